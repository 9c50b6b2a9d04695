/** The Hono environment of this app: Worker bindings and per-request variables. */
export interface AppEnv {
  Bindings: Env;
  Variables: { requestId: string };
}
