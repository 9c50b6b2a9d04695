/**
 * A hostile body must cost little more than reading it: the cheap bounds (MAX_QUERY_ITEMS, the parts
 * per message) are checked on the parsed JSON before the schema walks it. The proof that the schema
 * did not run: the body's last item is invalid, yet the answer is the bound's message, not the
 * schema's message about that item.
 */
import { describe, expect, it } from "vitest";
import type { Envelope } from "../../src/schema/events";
import { post } from "./helpers";

function bodyWith(query: string): string {
  return `{"user_id":"cost_user","query":${query}}`;
}

describe("cheap bounds before the schema", () => {
  it("refuses a million messages by MAX_QUERY_ITEMS without validating any of them", async () => {
    const n = 1_000_000;
    const body = bodyWith(`[${'{"role":"user","content":"x"},'.repeat(n - 1)}{"role":"robot","content":"x"}]`);
    const started = Date.now();
    const res = await post(body);
    const envelope = await res.json<Envelope>();
    console.info(`[validate-cost] ${n} messages (${(body.length / 1048576).toFixed(1)} MiB) answered ${res.status} in ${Date.now() - started} ms`);
    expect(res.status).toBe(400);
    expect(envelope.message).toBe(`query: ${n} messages, more than the 100 allowed (MAX_QUERY_ITEMS)`);
  }, 30_000);

  it("refuses a message with a million parts by the parts bound without validating them", async () => {
    const n = 1_000_000;
    const parts = `[${'{"type":"input_text","text":"x"},'.repeat(n - 1)}{"type":"video"}]`;
    const res = await post(bodyWith(`[{"role":"user","content":"hi"},{"role":"user","content":${parts}}]`));
    expect(res.status).toBe(400);
    expect((await res.json<Envelope>()).message).toBe(`query[1].content: ${n} parts, more than the 1000 allowed`);
  }, 30_000);
});
