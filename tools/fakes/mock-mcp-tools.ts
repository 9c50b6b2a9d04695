/**
 * The mock ModelScope MCP server's tools, over the fixture: the real ModelScope MCP server's
 * search_models / search_datasets / search_papers, plus the old service's get_model_info and
 * test_streaming. Answers are readable text, with structuredContent `{ result: [...] }` as the
 * real (FastMCP) server gives for list results.
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import * as z from "zod";
import { DATASET_SORTS, MODEL_SORTS, PAPER_SORTS } from "./modelscope-client";
import { DATASETS, MODELS, PAPERS, matches, type ModelRecord } from "./modelscope-fixture";

const limit = z.number().int().min(1).max(30).default(10).describe("Maximum number of results to return");
const query = z.string().default("").describe("Keywords to search for; empty lists everything");

const ModelShape = z.object({
  id: z.string(), path: z.string(), name: z.string(), chinese_name: z.string(), task: z.string(),
  description: z.string(), license: z.string(), downloads_count: z.number(), likes_count: z.number(),
  updated_at: z.number(), modelscope_url: z.string(),
});

export function createModelScopeMcpServer(): McpServer {
  const server = new McpServer({ name: "modelscope-mock", version: "0.1.0" });

  server.registerTool("search_models", {
    title: "Search Models",
    description: "Search for models on ModelScope (mock: fixture data).",
    inputSchema: {
      query,
      task: z.string().optional().describe("Task to filter by, e.g. text-generation, text-to-image, auto-speech-recognition"),
      sort: z.enum(MODEL_SORTS).default("Default").describe("Sort order"),
      limit,
    },
    outputSchema: { result: z.array(ModelShape) },
  }, async (args) => {
    let found = MODELS.filter((m) => matches(args.query, m.id, m.chinese_name, m.description) && (!args.task || m.task === args.task));
    found = sortBy(found, args.sort === "DownloadsCount" ? "downloads_count" : args.sort === "LikesCount" ? "likes_count" : args.sort === "GmtModified" ? "updated_at" : undefined);
    const page = found.slice(0, args.limit);
    const lines = page.map((m, i) => `${i + 1}. ${m.id} (${m.chinese_name}), ${m.task}, ${m.downloads_count} downloads, ${m.likes_count} likes: ${m.description} ${m.modelscope_url}`);
    return listResult(`${found.length} model(s) found${args.query ? ` for "${args.query}"` : ""}`, lines, page);
  });

  server.registerTool("search_datasets", {
    title: "Search Datasets",
    description: "Search for datasets on ModelScope (mock: fixture data).",
    inputSchema: { query, sort: z.enum(DATASET_SORTS).default("default").describe("Sort order"), limit },
  }, async (args) => {
    let found = DATASETS.filter((d) => matches(args.query, d.id, d.chinese_name, d.description));
    found = sortBy(found, args.sort === "downloads" ? "downloads_count" : args.sort === "likes" ? "likes_count" : args.sort === "gmt_modified" ? "updated_at" : undefined);
    const page = found.slice(0, args.limit);
    const lines = page.map((d, i) => `${i + 1}. ${d.id} (${d.chinese_name}), ${d.downloads_count} downloads: ${d.description} ${d.modelscope_url}`);
    return listResult(`${found.length} dataset(s) found`, lines, page);
  });

  server.registerTool("search_papers", {
    title: "Search Papers",
    description: "Search for arXiv papers indexed on ModelScope (mock: fixture data).",
    inputSchema: { query, sort: z.enum(PAPER_SORTS).default("default").describe("Sort order"), limit },
  }, async (args) => {
    let found = PAPERS.filter((p) => matches(args.query, p.title, p.authors, p.abstract_en));
    found = sortBy(found, args.sort === "hot" ? "view_count" : args.sort === "recommend" ? "favorite_count" : undefined);
    const page = found.slice(0, args.limit);
    const lines = page.map((p, i) => `${i + 1}. ${p.title} (arXiv ${p.arxiv_id}, ${p.publish_date}) by ${p.authors}: ${p.abstract_en} ${p.arxiv_url}`);
    return listResult(`${found.length} paper(s) found`, lines, page);
  });

  server.registerTool("get_model_info", {
    title: "Get Model Info",
    description: "Details of one ModelScope model by id, e.g. Qwen/Qwen2.5-7B-Instruct.",
    inputSchema: { model_id: z.string().min(1).describe("Model id, formatted as 'owner/name'") },
  }, async ({ model_id }) => {
    const model = MODELS.find((m) => m.id.toLowerCase() === model_id.toLowerCase());
    if (!model) return { isError: true, content: [{ type: "text", text: `Model not found: ${model_id}` }] };
    return { content: [{ type: "text", text: describeModel(model) }], structuredContent: { ...model } };
  });

  server.registerTool("test_streaming", {
    title: "Test Streaming",
    description: "Counts through a few steps, sending a progress notification for each (when the caller asked for progress), then answers.",
    inputSchema: {
      steps: z.number().int().min(1).max(20).default(3).describe("Number of progress steps"),
      interval_ms: z.number().int().min(0).max(10_000).default(100).describe("Pause before each step, in milliseconds"),
      message: z.string().default("streaming test").describe("Text to include in the answer"),
    },
  }, async ({ steps, interval_ms, message }, extra) => {
    const progressToken = extra._meta?.progressToken;
    for (let i = 1; i <= steps; i++) {
      await new Promise((resolve) => setTimeout(resolve, interval_ms));
      if (extra.signal.aborted) break;
      if (progressToken !== undefined) {
        await extra.sendNotification({
          method: "notifications/progress",
          params: { progressToken, progress: i, total: steps, message: `step ${i}/${steps}` },
        });
      }
    }
    // The SDK client handles notifications a tick later than responses: let the last one land first.
    if (progressToken !== undefined) await new Promise((resolve) => setTimeout(resolve, 20));
    return { content: [{ type: "text", text: `Completed ${steps} steps: ${message}` }] };
  });

  return server;
}

function sortBy<T>(items: T[], key: keyof T | undefined): T[] {
  if (!key) return items;
  return [...items].sort((a, b) => Number(b[key]) - Number(a[key]));
}

function listResult(head: string, lines: string[], items: object[]): CallToolResult {
  const text = lines.length ? `${head}:\n${lines.join("\n")}` : `${head}.`;
  return { content: [{ type: "text", text }], structuredContent: { result: items } };
}

function describeModel(m: ModelRecord): string {
  return [
    `${m.id} (${m.chinese_name})`,
    `Task: ${m.task}`,
    `License: ${m.license}`,
    `Downloads: ${m.downloads_count}, likes: ${m.likes_count}`,
    `Updated: ${new Date(m.updated_at * 1000).toISOString().slice(0, 10)}`,
    m.description,
    m.modelscope_url,
  ].join("\n");
}
