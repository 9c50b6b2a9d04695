/**
 * Every bound on a chat request, in one home: the server's validation and the typed client both
 * read it (the client to refuse early). The fixed bounds are Azure's own for gpt-4.1 or ours; the
 * configurable ones are the defaults of their settings (src/config.ts).
 */

/** Images: Azure's limits for gpt-4.1. */
export const MAX_IMAGE_BYTES = 20 * 1024 * 1024;
export const MAX_IMAGES = 10;
export const IMAGE_TYPES = ["png", "jpeg", "webp", "gif"] as const;
export type ImageType = (typeof IMAGE_TYPES)[number];

/** `user_id`: 1 to 128 characters. */
export const USER_ID_MAX = 128;
/** `chat_id`: 1 to 128 characters of `A-Z a-z 0-9 _ -`. */
export const CHAT_ID_MAX = 128;
export const CHAT_ID_PATTERN = /^[A-Za-z0-9_-]+$/;
/** Parts in one message's content: a fixed bound that also stops validation early on hostile lists. */
export const MAX_CONTENT_PARTS = 1000;

/** Defaults of the configurable bounds (`MAX_BODY_BYTES`, `MAX_TEXT_CHARS`, `MAX_QUERY_ITEMS`). */
export const DEFAULT_LIMITS = {
  /** One image at 20 MiB is about 27 MiB of base64. */
  maxBodyBytes: 32 * 1024 * 1024,
  maxTextChars: 200_000,
  maxQueryItems: 100,
} as const;

/** The image type whose signature the bytes start with (12 bytes are enough), or undefined. */
export function sniffImageType(b: Uint8Array): ImageType | undefined {
  if (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 && b[4] === 0x0d && b[5] === 0x0a && b[6] === 0x1a && b[7] === 0x0a) return "png";
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "jpeg";
  if (b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38 && (b[4] === 0x37 || b[4] === 0x39) && b[5] === 0x61) return "gif";
  if (b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46 && b[8] === 0x57 && b[9] === 0x45 && b[10] === 0x42 && b[11] === 0x50) return "webp";
  return undefined;
}
