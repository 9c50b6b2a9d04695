/**
 * The fake Azure (tools/fakes/fake-azure.ts) in this process but on a thread of its own, for load
 * generators: sharing one event loop with hundreds of clients would make the load generator, not
 * the Worker, the bottleneck. (tsx's loader is not inherited by worker threads: the thread
 * registers it, then imports the fake.)
 */
import { Worker } from "node:worker_threads";

export async function startFakeAzureThread(): Promise<{ url: string; close(): Promise<void> }> {
  const fakeModule = new URL("./fake-azure.ts", import.meta.url).href;
  const code = `
    const { parentPort } = require("node:worker_threads");
    import("tsx/esm/api")
      .then(({ register }) => { register(); return import(${JSON.stringify(fakeModule)}); })
      .then(({ startFakeAzure }) => startFakeAzure())
      .then((fake) => parentPort.postMessage(fake.url));`;
  const thread = new Worker(code, { eval: true });
  const url = await new Promise<string>((resolve, reject) => {
    thread.once("message", resolve);
    thread.once("error", reject);
  });
  return { url, close: () => thread.terminate().then(() => undefined) };
}
