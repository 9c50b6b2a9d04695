/**
 * Stand-in for `ajv` and `ajv-formats` in the Worker bundle (wrangler.toml `[alias]`). The MCP
 * SDK's Client imports Ajv for its default JSON Schema validator; src/mcp/connect.ts always passes
 * the Cloudflare-Worker validator instead, so Ajv is never constructed and ~120 KiB stay out of
 * the bundle. Should anything ever reach for it, fail loudly rather than validate nothing.
 */
export default function ajvUnavailable(): never {
  throw new Error("ajv is not bundled in this Worker: pass a jsonSchemaValidator (CfWorkerJsonSchemaValidator)");
}
