/** SHA-256 helpers: key comparison, key fingerprints and hashed user ids in logs and rate-limit keys. */

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
