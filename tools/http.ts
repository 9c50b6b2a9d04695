/** Small node:http helpers shared by the local servers in tools/ (fake Azure, demo upstream, mock MCP server). */
import type { IncomingMessage } from "node:http";

/** A request's whole body, as UTF-8 text. */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
