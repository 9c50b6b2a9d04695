/**
 * Rate limits with the Rate Limiting bindings, simulated by workerd here. vitest.config.ts gives
 * wrangler.toml's two limiters generous limits for the rest of the suite and adds
 * TIGHT_RATE_LIMITER (3 per 60 s), which these tests put in their place.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { envelopeOf, ndjson, terminal } from "./helpers";
import { chatBody, logLineOf, send } from "./security-support";

const tight = (env as unknown as { TIGHT_RATE_LIMITER: RateLimit }).TIGHT_RATE_LIMITER;
const LIMIT = 3;
const freshKey = () => `sk-test-rl-${crypto.randomUUID()}`;

/** The simulator counts in fixed windows of 60 s: retry a run that straddled a window boundary. */
async function inOneWindow(run: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const window = Math.floor(Date.now() / 60_000);
    try {
      await run();
      return;
    } catch (err) {
      if (attempt >= 3 || Math.floor(Date.now() / 60_000) === window) throw err;
    }
  }
}

describe("per API key (KEY_RATE_LIMITER)", () => {
  it("answers the request over the limit with a 429 envelope and Retry-After, counted before the body is read", async () => {
    await inOneWindow(async () => {
      const key = freshKey();
      const other = freshKey();
      const envs = { API_KEYS: `${key},${other}`, ALLOW_ANONYMOUS: "false", KEY_RATE_LIMITER: tight };
      const headers = { authorization: `Bearer ${key}` };
      // Invalid bodies count too: the limit is checked before the body is read.
      for (let i = 0; i < LIMIT; i++) await envelopeOf(await send("/api/chat", { headers, body: "{}", env: envs }), 400);
      const res = await send("/api/chat", { headers, body: chatBody(), env: envs });
      expect(res.headers.get("retry-after")).toBe("60");
      const body = await envelopeOf(res, 429, /Rate limit exceeded.*API key.*60 s/);
      expect(body.data.steps).toEqual([]);
      expect((await logLineOf(res)).status).toBe(429);
      // Another key has its own budget.
      const served = await send("/api/chat", { headers: { authorization: `Bearer ${other}` }, body: chatBody(), env: envs });
      expect(terminal(await ndjson(served)).type).toBe("done");
    });
  });

  it("limits anonymous clients per address", async () => {
    await inOneWindow(async () => {
      const ip = `192.0.2.${Math.floor(Math.random() * 250)}-${crypto.randomUUID()}`;
      const envs = { API_KEYS: "", ALLOW_ANONYMOUS: "true", KEY_RATE_LIMITER: tight };
      for (let i = 0; i < LIMIT; i++) await envelopeOf(await send("/api/chat", { headers: { "cf-connecting-ip": ip }, body: "[]", env: envs }), 400);
      await envelopeOf(await send("/api/chat", { headers: { "cf-connecting-ip": ip }, body: "[]", env: envs }), 429, /from this address/);
      await envelopeOf(await send("/api/chat", { headers: { "cf-connecting-ip": `${ip}-b` }, body: "[]", env: envs }), 400);
    });
  });

  it("uses RATE_LIMIT_RETRY_AFTER_S for Retry-After", async () => {
    await inOneWindow(async () => {
      const key = freshKey();
      const envs = { API_KEYS: key, KEY_RATE_LIMITER: tight, RATE_LIMIT_RETRY_AFTER_S: "10" };
      let res!: Response;
      for (let i = 0; i <= LIMIT; i++) res = await send("/api/chat", { headers: { authorization: `Bearer ${key}` }, body: "{}", env: envs });
      expect(res.headers.get("retry-after")).toBe("10");
      await envelopeOf(res, 429, /retry after 10 s/);
    });
  });
});

describe("per user_id (USER_RATE_LIMITER)", () => {
  it("limits one user_id of one key, not the others", async () => {
    await inOneWindow(async () => {
      const [key, other] = [freshKey(), freshKey()];
      const envs = { API_KEYS: `${key},${other}`, USER_RATE_LIMITER: tight };
      const as = (k: string, userId: string) => send("/api/chat", { headers: { authorization: `Bearer ${k}` }, body: chatBody("hi", userId), env: envs });
      for (let i = 0; i < LIMIT; i++) expect(terminal(await ndjson(await as(key, "alice"))).type).toBe("done");
      const res = await as(key, "alice");
      expect(res.headers.get("retry-after")).toBe("60");
      await envelopeOf(res, 429, /for this user_id/);
      // Bob, and Alice under another key, are not affected.
      expect(terminal(await ndjson(await as(key, "bob"))).type).toBe("done");
      expect(terminal(await ndjson(await as(other, "alice"))).type).toBe("done");
    });
  });

  it("does not count invalid requests against the user", async () => {
    await inOneWindow(async () => {
      const key = freshKey();
      const envs = { API_KEYS: key, USER_RATE_LIMITER: tight };
      const headers = { authorization: `Bearer ${key}` };
      const bad = JSON.stringify({ user_id: "carol", query: [{ role: "user", content: [{ type: "input_image", image_url: "data:image/png;base64,AAAA" }] }] });
      for (let i = 0; i < LIMIT + 2; i++) await envelopeOf(await send("/api/chat", { headers, body: bad, env: envs }), 400);
      expect(terminal(await ndjson(await send("/api/chat", { headers, body: chatBody("hi", "carol"), env: envs }))).type).toBe("done");
    });
  });
});

describe("without the bindings", () => {
  it("serves a key that is over its limit once KEY_RATE_LIMITER is removed", async () => {
    await inOneWindow(async () => {
      const key = freshKey();
      const headers = { authorization: `Bearer ${key}` };
      const limited = { API_KEYS: key, KEY_RATE_LIMITER: tight };
      for (let i = 0; i < LIMIT; i++) await envelopeOf(await send("/api/chat", { headers, body: "{}", env: limited }), 400);
      // With the binding, this key is now over its limit…
      await envelopeOf(await send("/api/chat", { headers, body: "{}", env: limited }), 429);
      // …without it, the same key is served again and again.
      const unbound = { API_KEYS: key, KEY_RATE_LIMITER: undefined, USER_RATE_LIMITER: undefined } as unknown as Partial<Env>;
      for (let i = 0; i < LIMIT * 2; i++) await envelopeOf(await send("/api/chat", { headers, body: "{}", env: unbound }), 400);
      expect(terminal(await ndjson(await send("/api/chat", { headers, body: chatBody(), env: unbound }))).type).toBe("done");
    });
  });

  it("serves a user_id that is over its limit once USER_RATE_LIMITER is removed", async () => {
    await inOneWindow(async () => {
      const key = freshKey();
      const as = (envs: Partial<Env>) => send("/api/chat", { headers: { authorization: `Bearer ${key}` }, body: chatBody("hi", "dave"), env: envs });
      const limited = { API_KEYS: key, USER_RATE_LIMITER: tight };
      for (let i = 0; i < LIMIT; i++) expect(terminal(await ndjson(await as(limited))).type).toBe("done");
      await envelopeOf(await as(limited), 429, /for this user_id/);
      const unbound = { API_KEYS: key, USER_RATE_LIMITER: undefined } as unknown as Partial<Env>;
      for (let i = 0; i < 2; i++) expect(terminal(await ndjson(await as(unbound))).type).toBe("done");
    });
  });

  it("serves the request when the limiter itself fails, and says so in the log", async () => {
    const broken = { limit: () => Promise.reject(new Error("limiter unavailable")) } as unknown as RateLimit;
    const res = await send("/api/chat", { body: chatBody(), env: { KEY_RATE_LIMITER: broken, USER_RATE_LIMITER: broken } });
    expect(terminal(await ndjson(res)).type).toBe("done");
    expect(await logLineOf(res)).toMatchObject({ status: 200, rate_limiter_failed: true });
  });
});
