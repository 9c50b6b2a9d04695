/**
 * Image checks before anything goes upstream (docs/api.md): declared type png/jpeg/webp/gif,
 * valid base64, the decoded bytes start with that type's signature, at most 20 MiB each and 10 per
 * request. Reads as little of the image as it can: one pass of a compiled character-class test
 * over the base64 text, and the first 16 characters decoded for the signature. No copy is made.
 */
import { fieldError, type FieldPath } from "../errors";
import type { ChatRequest } from "../schema/request";
import { IMAGE_TYPES, MAX_IMAGE_BYTES, MAX_IMAGES, sniffImageType, type ImageType } from "../schema/limits";

export { MAX_IMAGE_BYTES, MAX_IMAGES, type ImageType };

/** A `data:` image URL's head: its image type (after `image/`) in group 1. */
export const DATA_URL = /^data:image\/([a-z0-9.+-]+);base64,/i;
/** Sticky: run from the comma without slicing the (possibly 27 MB) string. */
const BASE64_BODY = /[A-Za-z0-9+/]*={0,2}$/y;


export interface ImageInfo {
  kind: "data" | "https";
  type?: ImageType;
  bytes?: number;
}

/** Checks one `image_url`; `field` is its path, named in the error (e.g. `query[0].content[1].image_url`). */
export function checkImageUrl(url: string, field: FieldPath): ImageInfo {
  if (url.startsWith("https://")) {
    if (!URL.canParse(url)) throw fieldError(400, field, `not a valid https URL`);
    return { kind: "https" };
  }
  const head = DATA_URL.exec(url.length > 64 ? url.slice(0, 64) : url);
  if (!head) {
    throw fieldError(400, field, `must be a data:image/{png|jpeg|webp|gif};base64,… URL or an https:// URL`);
  }
  const declared = head[1].toLowerCase();
  if (!(IMAGE_TYPES as readonly string[]).includes(declared)) {
    throw fieldError(400, field, `image type "image/${declared}" is not supported (png, jpeg, webp, gif)`);
  }
  const type = declared as ImageType;
  const start = head[0].length;
  const length = url.length - start;
  const padding = url.endsWith("==") ? 2 : url.endsWith("=") ? 1 : 0;
  const bytes = (length / 4) * 3 - padding;
  if (length === 0) throw fieldError(400, field, `the image data is empty`);
  if (bytes > MAX_IMAGE_BYTES) {
    throw fieldError(413, field, `image is ${(bytes / 1048576).toFixed(1)} MiB, more than the ${MAX_IMAGE_BYTES / 1048576} MiB allowed`);
  }
  BASE64_BODY.lastIndex = start;
  if (length % 4 !== 0 || !BASE64_BODY.test(url)) {
    throw fieldError(400, field, `the image data is not valid base64`);
  }
  let head12: Uint8Array;
  try {
    head12 = Uint8Array.from(atob(url.slice(start, start + 16)), (c) => c.charCodeAt(0));
  } catch {
    throw fieldError(400, field, `the image data is not valid base64`);
  }
  if (sniffImageType(head12) !== type) {
    throw fieldError(400, field, `the image bytes are not a ${type.toUpperCase()} image (declared image/${declared})`);
  }
  return { kind: "data", type, bytes };
}

/** Checks every image of the request; returns how many there are. */
export function checkImages(request: ChatRequest): number {
  let count = 0;
  request.query.forEach((message, i) => {
    if (message.role !== "user" || typeof message.content === "string") return;
    message.content.forEach((part, j) => {
      if (part.type !== "input_image") return;
      count++;
      if (count > MAX_IMAGES) {
        throw fieldError(400, ["query"], `too many images (more than ${MAX_IMAGES} per request)`);
      }
      checkImageUrl(part.image_url, ["query", i, "content", j, "image_url"]);
    });
  });
  return count;
}
