/**
 * Images as the service accepts them (docs/api.md): png, jpeg, webp or gif, at most 20 MiB each
 * and 10 per request, sent as `data:` URLs. Checked here first, so a client can refuse early.
 */
import { IMAGE_TYPES as TYPES, MAX_IMAGE_BYTES, MAX_IMAGES, sniffImageType as sniff } from "../../src/schema/limits";

export { MAX_IMAGE_BYTES, MAX_IMAGES };
/** The media types the service accepts: the server's own list (src/schema/limits.ts). */
export const IMAGE_TYPES = TYPES.map((t) => `image/${t}` as const);
export type ImageType = (typeof IMAGE_TYPES)[number];

export type ImageProblem = "type" | "size";

/** What is wrong with an image of this declared type and byte size, if anything. */
export function imageProblem(file: { type: string; size: number }): ImageProblem | undefined {
  if (!(IMAGE_TYPES as readonly string[]).includes(file.type)) return "type";
  if (file.size > MAX_IMAGE_BYTES) return "size";
  return undefined;
}

/** The image type from the first bytes (its signature, as the server checks it), or undefined. */
export function sniffImageType(bytes: Uint8Array): ImageType | undefined {
  const type = sniff(bytes);
  return type && `image/${type}`;
}

/** `data:TYPE;base64,…` of some bytes. */
export function toDataUrl(bytes: Uint8Array, type: string): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return `data:${type};base64,${btoa(binary)}`;
}
