/**
 * A conversation's images in R2 (binding `CHAT_FILES`), stored once, never in Durable Object rows.
 * Each is kept as its base64 text, just as it came in its `data:` URL: storing it, and sending it
 * to the model again on a later turn, touches no byte of it (the same bytes upstream, no decoding
 * and encoding); only `GET …/files/{file_id}` decodes it. Keys are
 * `{scope}/{chat_id}/{file_id}`: a key's files are out of another key's reach by name.
 */
import { DATA_URL } from "../request/images";
import { newId } from "../steps/recorder";
import type { StoredPart } from "./conversation-store";

export const FILE_ID = /^file_[0-9a-f]{12}$/;

const keyOf = (scope: string, chatId: string, fileId: string) => `${scope}/${chatId}/${fileId}`;

/** An image part as stored: a `data:` URL becomes a file (its upload returned in `puts`); an `https:` URL stays a URL. */
export function storeImage(
  bucket: R2Bucket,
  scope: string,
  chatId: string,
  url: string,
  detail: "auto" | "low" | "high" | undefined,
  puts: Promise<unknown>[],
): StoredPart {
  const head = DATA_URL.exec(url.length > 64 ? url.slice(0, 64) : url);
  if (!head) return { type: "input_image", image_url: url, ...(detail ? { detail } : {}) };
  const fileId = newId("file_");
  const mediaType = `image/${head[1].toLowerCase()}`;
  puts.push(bucket.put(keyOf(scope, chatId, fileId), url.slice(head[0].length), { customMetadata: { mediaType } }));
  return { type: "input_image", file_id: fileId, media_type: mediaType, ...(detail ? { detail } : {}) };
}

/** The stored image as the `data:` URL it came as, or undefined when it is gone. */
export async function imageDataUrl(bucket: R2Bucket, scope: string, chatId: string, fileId: string, mediaType: string): Promise<string | undefined> {
  const object = await bucket.get(keyOf(scope, chatId, fileId));
  return object ? `data:${mediaType};base64,${await object.text()}` : undefined;
}

/** `GET /api/chat/{chat_id}/files/{file_id}`: the image's bytes with its content type; undefined when there is none for this key. */
export async function fileResponse(bucket: R2Bucket, scope: string, chatId: string, fileId: string): Promise<Response | undefined> {
  if (!FILE_ID.test(fileId)) return undefined;
  const object = await bucket.get(keyOf(scope, chatId, fileId));
  if (!object) return undefined;
  const binary = atob(await object.text());
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new Response(bytes, {
    headers: {
      "Content-Type": object.customMetadata?.mediaType ?? "application/octet-stream",
      "Cache-Control": "private, max-age=3600",
      "X-Content-Type-Options": "nosniff",
    },
  });
}

/** Deletes every file of the chat under this key. */
export async function deleteFiles(bucket: R2Bucket, scope: string, chatId: string): Promise<void> {
  const prefix = `${scope}/${chatId}/`;
  let cursor: string | undefined;
  do {
    const listed = await bucket.list({ prefix, cursor });
    if (listed.objects.length) await bucket.delete(listed.objects.map((o) => o.key));
    cursor = listed.truncated ? listed.cursor : undefined;
  } while (cursor);
}
