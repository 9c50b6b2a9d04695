/** The Hono environment of this app: Worker bindings and per-request variables. */
import type { RequestLog } from "./security/request-log";

export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    /** The request's log line, filled in as the request goes (src/security/request-log.ts). */
    log: RequestLog;
    /** Who is calling: an API key's fingerprint or `anonymous` (src/security/auth.ts). */
    client: string;
    /** `zh` or `en`, from Accept-Language (hono/language). */
    language: string;
  };
}
