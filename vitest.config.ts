import { defineConfig } from "vitest/config";
import { availableParallelism } from "node:os";
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import SlowFirstSequencer from "./test/support/sequencer.ts";

export default defineConfig({
  test: {
    // vitest's default on a 2-core machine is one worker: every file in turn. Most files wait on
    // I/O (Chromium on paced streams, CLI processes, wrangler dev booting, the fakes' timers): on the
    // 2-core development machine three at once took 229 s where two took 242 s. More cores, more
    // workers (at most six).
    maxWorkers: Math.min(6, Math.max(3, availableParallelism())),
    // The workerd project's files first, then the slowest files (test/support/sequencer.ts).
    sequence: { sequencer: SlowFirstSequencer },
    // The fakes every project uses (fake Azure, MCP servers), started once for the whole run; the
    // projects inherit what it provides.
    globalSetup: ["test/support/global-setup.ts"],
    projects: [
      {
        // Unit tests of pure modules and integration tests of the whole app, inside workerd.
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                AZURE_OPENAI_ENDPOINT: inject("fakeAzureUrl"),
                AZURE_OPENAI_API_KEY: "test-azure-key-7f3a9c",
                UPSTREAM_TIMEOUT_MS: "5000",
                UPSTREAM_RETRY_MAX_WAIT_MS: "2000",
                ALLOW_ANONYMOUS: "true",
                // Configured for every test so the leak scan (test/worker/leak-scan.ts) has them to look for.
                API_KEYS: "test-api-key-3d9f1c2ab84e,test-api-key-second-77c0",
                MCP_AUTH_TOKEN: "test-mcp-token-b51e08d2",
              },
              // wrangler.toml's limits would throttle the suite (hundreds of anonymous requests, one
              // user_id); the rate-limit tests swap in TIGHT_RATE_LIMITER.
              ratelimits: {
                KEY_RATE_LIMITER: { simple: { limit: 1_000_000, period: 60 } },
                USER_RATE_LIMITER: { simple: { limit: 1_000_000, period: 60 } },
                TIGHT_RATE_LIMITER: { simple: { limit: 3, period: 60 } },
              },
            },
          })),
        ],
        test: {
          name: "worker",
          include: ["test/unit/**/*.test.ts", "test/worker/**/*.test.ts"],
          // One workerd (Miniflare) per vitest worker, reused from file to file, instead of one per
          // file: starting it took 2-5 s, longer than most files run. Files share the runtime's
          // module state as one Worker isolate's requests do; tests that use Durable Objects or the
          // rate limiters use names and keys of their own (random chat_ids, fresh keys), and the
          // leak scan's setup file still runs, and checks, once per file.
          isolate: false,
          // Records every log line and fails a file whose responses or logs hold a configured secret.
          // lazy-modules.ts: the code the Worker imports on first use, loaded before the tests time it.
          setupFiles: ["test/worker/leak-scan.ts", "test/worker/lazy-modules.ts"],
          // As the other projects: the tests that move tens of MiB (body and image limits, a
          // 2,000-chunk resumable answer) take more than vitest's 5 s default on a busy machine.
          testTimeout: 30_000,
        },
      },
      {
        // Node-side tests of the service: the typed client, the CLI, the page in Chromium, the MCP
        // tool source against real servers, and end-to-end runs against `wrangler dev`.
        // isolate: false, as in the tools project: a worker process runs file after file, keeping
        // what they import (playwright-core, the tools), instead of a new process per file. The
        // files share no state but the module cache; each starts and stops its own servers. On the
        // 2-core development machine the node and tools projects took 260 s of CPU this way, 311 s
        // with a process per file (spawned from a large parent, then importing all again).
        test: { name: "node", environment: "node", include: ["test/node/**/*.test.ts"], isolate: false, testTimeout: 30_000, hookTimeout: 60_000 },
      },
      {
        // Self-tests of the development tools (tools/): the fake Azure and the demo upstream against
        // Azure's published schemas and the official SDK, the mock MCP server, the ModelScope client.
        test: { name: "tools", environment: "node", include: ["test/tools/**/*.test.ts"], isolate: false, testTimeout: 30_000, hookTimeout: 60_000 },
      },
    ],
  },
});
