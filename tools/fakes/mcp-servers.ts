/**
 * MCP servers for the tests: the ModelScope mock (in-process) and the official
 * @modelcontextprotocol/server-everything (child processes, Streamable HTTP and legacy SSE).
 * test/support/global-setup.ts starts them once and provides the URLs; Node tests may also start
 * their own.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { startMockMcpServer } from "./mock-mcp-server";
import { freePort } from "../run/worker";

export interface McpServers {
  mockUrl: string;
  mockSseUrl: string;
  everythingUrl: string;
  everythingSseUrl: string;
  close(): Promise<void>;
}

export interface EverythingServer {
  /** …/mcp for streamableHttp, …/sse for sse. */
  url: string;
  close(): Promise<void>;
}

export async function startMcpServers(): Promise<McpServers> {
  const [mock, everything, everythingSse] = await Promise.all([
    startMockMcpServer({ port: 0 }),
    startEverythingServer("streamableHttp"),
    startEverythingServer("sse"),
  ]);
  return {
    mockUrl: mock.url,
    mockSseUrl: mock.sseUrl,
    everythingUrl: everything.url,
    everythingSseUrl: everythingSse.url,
    async close() {
      await Promise.all([mock.close(), everything.close(), everythingSse.close()]);
    },
  };
}

/** Runs server-everything from node_modules on a free port; resolves once it answers HTTP. */
export async function startEverythingServer(mode: "streamableHttp" | "sse"): Promise<EverythingServer> {
  const entry = createRequire(import.meta.url).resolve("@modelcontextprotocol/server-everything/dist/index.js");
  const port = await freePort();
  const child = spawn(process.execPath, [entry, mode], {
    env: { ...process.env, PORT: String(port) },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const base = `http://127.0.0.1:${port}`;
  const url = `${base}/${mode === "sse" ? "sse" : "mcp"}`;
  try {
    await waitForHttp(`${base}/mcp`, child);
  } catch (error) {
    await stop(child);
    throw new Error(`server-everything ${mode} did not start: ${(error as Error).message}\n${stderr}`);
  }
  return { url, close: () => stop(child) };
}

async function waitForHttp(url: string, child: ChildProcess, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
    try {
      const res = await fetch(url, { method: "GET", signal: AbortSignal.timeout(1_000) });
      await res.body?.cancel();
      return; // any HTTP answer means it's listening
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`no answer from ${url} within ${timeoutMs} ms`);
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
