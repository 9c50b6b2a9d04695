import { describe, expect, it } from "vitest";
import { API_TOOL_NAME, assignToolNames, sanitizeToolName } from "../../src/mcp/tool-names";

describe("sanitizeToolName", () => {
  it.each([
    ["search_models", "search_models"],
    ["get-tiny-image", "get-tiny-image"],
    ["weather.get forecast", "weather_get_forecast"],
    ["files/read", "files_read"],
    ["搜索模型", "____"],
    ["", "tool"],
    ["a".repeat(80), "a".repeat(64)],
  ])("%s → %s", (input, output) => {
    expect(sanitizeToolName(input)).toBe(output);
    expect(sanitizeToolName(input)).toMatch(API_TOOL_NAME);
  });
});

describe("assignToolNames", () => {
  it("keeps valid names and the server's order", () => {
    const names = assignToolNames(["echo", "get-sum"]);
    expect([...names]).toEqual([["echo", "echo"], ["get-sum", "get-sum"]]);
  });

  it("makes colliding names unique, never taking a valid name's spelling", () => {
    const names = assignToolNames(["files.read", "files_read", "files/read"]);
    expect(names.get("files_read")).toBe("files_read");
    expect(names.get("files.read")).toBe("files_read_2");
    expect(names.get("files/read")).toBe("files_read_3");
    expect([...names.keys()]).toEqual(["files.read", "files_read", "files/read"]);
  });

  it("keeps suffixed long names within 64 characters", () => {
    const long = "x".repeat(70);
    const names = assignToolNames([`${long}.a`, `${long}.b`, "Echo", "echo"]);
    const values = [...names.values()];
    expect(new Set(values.map((v) => v.toLowerCase())).size).toBe(4);
    for (const v of values) expect(v).toMatch(API_TOOL_NAME);
    expect(names.get(`${long}.b`)).toBe(`${"x".repeat(62)}_2`);
  });

  it("collapses duplicate server names", () => {
    expect([...assignToolNames(["a", "a"])]).toEqual([["a", "a"]]);
  });
});
