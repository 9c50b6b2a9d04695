/**
 * Starts the network-boundary fakes once for the whole run (in Node) and hands their URLs to the
 * tests, Node and workerd alike, through vitest's provide/inject. It is the root config's
 * globalSetup (vitest.config.ts), so it runs once for all projects (a project's own globalSetup
 * would run once per project, each starting its own copies); what the root provides every project
 * inherits. The servers start side by side, and beside them the Worker's deployable bundle is built
 * once (tools/build/worker-bundle.ts) for the end-to-end tests that boot it (`startWorker({ bundle })`),
 * and the CLI's (tools/cli/cli-bundle.ts) for the tests that run it.
 */
import type { TestProject } from "vitest/node";
import { startFakeAzure } from "../../tools/fakes/fake-azure";
import { startHostileMcp } from "../../tools/fakes/hostile-mcp";
import { startMcpServers } from "../../tools/fakes/mcp-servers";
import { buildCliBundle, removeCliBundle } from "../../tools/cli/cli-bundle";
import { buildWorkerBundle, removeWorkerBundle } from "../../tools/build/worker-bundle";

export default async function setup(project: TestProject) {
  const started = await Promise.allSettled([
    startFakeAzure(),
    startMcpServers(),
    startHostileMcp(),
    buildWorkerBundle().then((dir) => ({ dir, close: async () => removeWorkerBundle(dir) })),
    buildCliBundle().then((path) => ({ path, close: async () => removeCliBundle(path) })),
  ] as const);
  const [azure, mcp, hostile, bundle, cli] = started;
  if (azure.status === "rejected" || mcp.status === "rejected" || hostile.status === "rejected" || bundle.status === "rejected" || cli.status === "rejected") {
    await Promise.all(started.map((s) => (s.status === "fulfilled" ? s.value.close() : undefined)));
    throw started.map((s) => (s.status === "rejected" ? s.reason : undefined)).find(Boolean);
  }
  project.provide("fakeAzureUrl", azure.value.url);
  project.provide("mockMcpUrl", mcp.value.mockUrl);
  project.provide("mockMcpSseUrl", mcp.value.mockSseUrl);
  project.provide("everythingMcpUrl", mcp.value.everythingUrl);
  project.provide("everythingMcpSseUrl", mcp.value.everythingSseUrl);
  project.provide("hostileMcpUrl", hostile.value.url);
  project.provide("workerBundle", bundle.value.dir);
  project.provide("cliBundle", cli.value.path);
  return async () => {
    await hostile.value.close();
    await mcp.value.close();
    await azure.value.close();
    await bundle.value.close();
    await cli.value.close();
  };
}
