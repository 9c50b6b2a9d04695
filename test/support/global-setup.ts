/**
 * Starts the network-boundary fakes once for the whole run (in Node) and hands their URLs to the
 * tests, Node and workerd alike, through vitest's provide/inject.
 */
import type { TestProject } from "vitest/node";
import { startFakeAzure } from "./fake-azure";

export default async function setup(project: TestProject) {
  const azure = await startFakeAzure();
  project.provide("fakeAzureUrl", azure.url);
  return async () => {
    await azure.close();
  };
}
