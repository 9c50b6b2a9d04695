/**
 * The Hono environment of this app: Worker bindings and per-request variables (`requestId` is
 * hono/request-id's, `log` src/log/request-log.ts's, both declared in Hono's ContextVariableMap).
 */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    /** Who is calling: an API key's fingerprint or `anonymous` (src/security/auth.ts). */
    client: string;
    /** `zh` or `en`, from Accept-Language (hono/language). */
    language: string;
  };
}
