/**
 * What the model is sent of a stored conversation (src/conversations/history.ts): an answer whose
 * run called a tool is the call, its result and the last round's text, each round's text once;
 * older turns past the character budget are left out, system messages never.
 */
import { describe, expect, it } from "vitest";
import type { StoredMessage } from "../../src/conversations/conversation-store";
import { modelHistory } from "../../src/conversations/history";

const base = { chat_id: "c1", user_id: "u1", created_at: 0 };
const user = (id: string, text: string): StoredMessage => ({ ...base, id, role: "user", content: [{ type: "input_text", text }] });
const noImages = async () => undefined;

describe("modelHistory", () => {
  it("sends a tool round's text once: in its call, not again in the answer", async () => {
    const answer: StoredMessage = {
      ...base,
      id: "req_1",
      role: "assistant",
      status: "done",
      // Every round's text, as the stream carried it: round 1 before its call, round 2 after.
      content: [{ type: "output_text", text: "Let me look. Found it: 42." }],
      transcript: [
        { role: "assistant", content: "Let me look. ", tool_calls: [{ id: "call_1", type: "function", function: { name: "lookup", arguments: "{}" } }] },
        { role: "tool", tool_call_id: "call_1", content: "42" },
      ],
    };
    const { messages } = await modelHistory([user("m1", "what is it?"), answer], { maxChars: 10_000, maxImages: 10 }, noImages);
    expect(messages.slice(1)).toEqual([
      answer.transcript![0],
      answer.transcript![1],
      { role: "assistant", content: "Found it: 42." },
    ]);
  });

  it("leaves the oldest turns out past the budget and keeps system messages", async () => {
    const system: StoredMessage = { ...base, id: "s1", role: "system", content: [{ type: "input_text", text: "be brief" }] };
    const reply = (id: string, text: string): StoredMessage => ({ ...base, id, role: "assistant", status: "done", content: [{ type: "output_text", text }] });
    const stored = [system, user("m1", "a".repeat(50)), reply("r1", "b".repeat(50)), user("m2", "c".repeat(10)), reply("r2", "d".repeat(10))];
    const window = await modelHistory(stored, { maxChars: 60, maxImages: 10 }, noImages);
    expect(window).toMatchObject({ sent: 3, leftOut: 2 });
    expect(window.messages.map((m) => m.role)).toEqual(["system", "user", "assistant"]);
  });
});
