import { describe, expect, it } from "vitest";
import { describeIssue, fieldName } from "../../src/request/validate";
import { ChatRequest } from "../../src/schema/request";

function firstError(body: unknown): string {
  const result = ChatRequest.safeParse(body);
  expect(result.success).toBe(false);
  return describeIssue(result.error!.issues[0]);
}

describe("request validation messages", () => {
  it("formats paths like query[0].content[1].image_url", () => {
    expect(fieldName(["query", 0, "content", 1, "image_url"])).toBe("query[0].content[1].image_url");
    expect(fieldName([])).toBe("body");
  });

  it("names the missing or wrong field", () => {
    expect(firstError({ query: [{ role: "user", content: "hi" }] })).toBe("user_id: is required");
    expect(firstError({ user_id: "", query: [{ role: "user", content: "hi" }] })).toMatch(/^user_id: /);
    expect(firstError({ user_id: "x".repeat(129), query: [{ role: "user", content: "hi" }] })).toMatch(/^user_id: /);
    expect(firstError({ user_id: "u", query: [] })).toMatch(/^query: /);
    expect(firstError({ user_id: "u", query: [{ role: "robot", content: "hi" }] })).toMatch(/^query\[0\]\.role: /);
    expect(firstError({ user_id: "u", query: [{ role: "user", content: [{ type: "input_image" }] }] })).toMatch(
      /^query\[0\]\.content\[0\]\.image_url: /,
    );
    expect(firstError({ user_id: "u", query: [{ role: "user", content: [{ type: "input_text", text: "a" }, { type: "video" }] }] })).toMatch(
      /^query\[0\]\.content\[1\]\.type: /,
    );
    expect(firstError({ user_id: "u", query: [{ role: "system", content: [{ type: "output_text", text: "a" }] }] })).toMatch(
      /^query\[0\]\.content/,
    );
    expect(firstError({ user_id: "u", query: [{ role: "user", content: "hi" }], stream: "yes" })).toMatch(/^stream: /);
  });

  it("says what was wrong with a field of the wrong type, not that it is missing", () => {
    expect(firstError({ user_id: 123, query: [{ role: "user", content: "hi" }] })).toBe("user_id: Invalid input: expected string, received number");
    expect(firstError({ user_id: "u", query: [{ role: "user", content: "hi" }], stream: "false" })).toBe("stream: Invalid input: expected boolean, received string");
    expect(firstError({ user_id: "u", query: "hi" })).toBe("query: Invalid input: expected array, received string");
    expect(firstError(null)).toBe("body: Invalid input: expected object, received null");
    expect(firstError([])).toBe("body: Invalid input: expected object, received array");
  });

  it("bounds the parts of one message, without validating a hostile list to the end", () => {
    const parts = Array.from({ length: 1001 }, () => ({ type: "input_text", text: "" }));
    expect(firstError({ user_id: "u", query: [{ role: "user", content: parts }] })).toMatch(/^query\[0\]\.content: .*1000/);
  });
});
