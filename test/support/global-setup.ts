/**
 * Starts the network-boundary fakes once for the whole run (in Node) and hands their URLs to the
 * tests, Node and workerd alike, through vitest's provide/inject.
 */
import type { TestProject } from "vitest/node";
import { startFakeAzure } from "../../tools/fake-azure";
import { startHostileMcp } from "../../tools/hostile-mcp";
import { startMcpServers } from "../../tools/mcp-servers";

export default async function setup(project: TestProject) {
  const azure = await startFakeAzure();
  project.provide("fakeAzureUrl", azure.url);
  const mcp = await startMcpServers();
  project.provide("mockMcpUrl", mcp.mockUrl);
  project.provide("mockMcpSseUrl", mcp.mockSseUrl);
  project.provide("everythingMcpUrl", mcp.everythingUrl);
  project.provide("everythingMcpSseUrl", mcp.everythingSseUrl);
  const hostile = await startHostileMcp();
  project.provide("hostileMcpUrl", hostile.url);
  return async () => {
    await hostile.close();
    await mcp.close();
    await azure.close();
  };
}
