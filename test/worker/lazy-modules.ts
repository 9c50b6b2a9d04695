/**
 * The Worker loads some of its code on first use (src/schema/lazy.ts, src/mcp/lazy.ts): in the
 * deployed bundle that import() is cheap, but in this test pool every module is fetched one by one
 * through Vite, so a first use inside a timed test would cost it hundreds of ms. Loaded here up
 * front, as the static imports were before, so the tests time the Worker, not the module loader.
 */
import "../../src/schema/request";
import "../../src/schema/ui-request";
import "../../src/mcp/tool-source";
