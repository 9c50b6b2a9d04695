/** SHA-256 and hex helpers: key comparison, key fingerprints, hashed user ids in logs and rate-limit keys, MCP tokens in cache keys, random ids. */

const utf8 = new TextEncoder();

export function sha256(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", utf8.encode(text));
}

export function hex(bytes: ArrayBuffer, chars = bytes.byteLength * 2): string {
  let out = "";
  for (const byte of new Uint8Array(bytes, 0, Math.ceil(chars / 2))) out += byte.toString(16).padStart(2, "0");
  return out.slice(0, chars);
}

/** The first `chars` hex digits of the SHA-256 of `text` (a user id in logs: 16). */
export async function hashId(text: string, chars = 16): Promise<string> {
  return hex(await sha256(text), chars);
}

/**
 * The hashed `user_id` (hashId, 16 hex digits) for logs and the per-user rate limit. The last few
 * hundred are kept per isolate (ids are at most 128 characters), so a user's next chat skips the
 * digest and its promise: a string when known, else a promise of it.
 */
export function userHash(userId: string): string | Promise<string> {
  const known = userHashes.get(userId);
  if (known !== undefined) return known;
  return hashId(userId).then((hash) => {
    if (userHashes.size >= MAX_USER_HASHES) userHashes.clear();
    userHashes.set(userId, hash);
    return hash;
  });
}

const userHashes = new Map<string, string>();
const MAX_USER_HASHES = 512;
