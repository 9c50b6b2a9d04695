/**
 * API keys (docs/settings.md): `Authorization: Bearer KEY` checked against `API_KEYS`
 * in constant time: SHA-256 digests compared with `crypto.subtle.timingSafeEqual`, every
 * configured key every time. Fails closed: with no keys and no `ALLOW_ANONYMOUS=true`, every
 * request is a 503 that says what to configure. With `ALLOW_ANONYMOUS=true` a request without a
 * key is served; a wrong key is a 401 all the same. Sets `client`: the key's fingerprint
 * (`key_` + 12 hex of its SHA-256, for logs and rate limits) or `anonymous`; never the key.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { ApiError } from "../errors";
import { hex, sha256 } from "./digest";

export const ANONYMOUS = "anonymous";
const MAX_KEY_CHARS = 1024;

const NOT_CONFIGURED =
  "No API keys are configured: set the secret API_KEYS (comma-separated keys; clients send Authorization: Bearer KEY), " +
  "or ALLOW_ANONYMOUS=true to serve clients without a key (local development only)";

const NO_KEYS_TO_MATCH =
  "This server has no API keys configured (API_KEYS is empty): send no Authorization header";

const digests = new WeakMap<readonly string[], Promise<ArrayBuffer[]>>();

export const requireKey: MiddlewareHandler<AppEnv> = async (c, next) => {
  const { apiKeys, allowAnonymous } = c.var.config.auth;
  if (!apiKeys.length && !allowAnonymous) throw new ApiError(503, NOT_CONFIGURED);

  const key = bearerToken(c.req.header("authorization"));
  if (key === undefined) {
    if (!allowAnonymous) throw unauthorized("Missing API key: send Authorization: Bearer KEY");
    c.set("client", ANONYMOUS);
    c.var.log.key = ANONYMOUS;
    return next();
  }
  // A key sent to a server that has none (ALLOW_ANONYMOUS=true, e.g. npm start without API_KEYS)
  // can never match: say so, rather than call the key wrong.
  if (!apiKeys.length) throw unauthorized(NO_KEYS_TO_MATCH, "invalid_token");
  const digest = await sha256(key.slice(0, MAX_KEY_CHARS));
  if (key.length > MAX_KEY_CHARS || !(await matches(digest, apiKeys))) {
    throw unauthorized("Invalid API key", "invalid_token");
  }
  const client = `key_${hex(digest, 12)}`;
  c.set("client", client);
  c.var.log.key = client;
  return next();
};

/** The token of `Bearer TOKEN`; undefined when there is no header or no token. */
function bearerToken(header: string | undefined): string | undefined {
  const value = (header ?? "").trim();
  if (!value) return undefined;
  const match = /^Bearer(?:\s+(\S*))?\s*$/i.exec(value);
  if (!match) throw unauthorized('Authorization must be "Bearer KEY"', "invalid_request");
  return match[1] || undefined;
}

async function matches(digest: ArrayBuffer, apiKeys: readonly string[]): Promise<boolean> {
  let known = digests.get(apiKeys);
  if (!known) digests.set(apiKeys, (known = Promise.all(apiKeys.map(sha256))));
  let found = 0;
  for (const candidate of await known) found |= Number(crypto.subtle.timingSafeEqual(digest, candidate));
  return found === 1;
}

function unauthorized(message: string, error?: string): ApiError {
  return new ApiError(401, message, { "WWW-Authenticate": `Bearer realm="chatapi"${error ? `, error="${error}"` : ""}` });
}
