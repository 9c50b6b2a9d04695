import { defineConfig } from "vitest/config";
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";

const globalSetup = ["test/support/global-setup.ts"];

export default defineConfig({
  test: {
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
              },
            },
          })),
        ],
        test: { name: "worker", include: ["test/unit/**/*.test.ts", "test/worker/**/*.test.ts"], globalSetup },
      },
      {
        // Node-side tests: the fakes themselves, MCP servers, and end-to-end runs against `wrangler dev`.
        test: { name: "node", environment: "node", include: ["test/node/**/*.test.ts"], globalSetup, testTimeout: 30_000, hookTimeout: 60_000 },
      },
    ],
  },
});
