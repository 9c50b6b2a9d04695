// The conversations the service keeps for this key, as the page reads and deletes them: the
// list of a user's chats, one chat's stored messages, its images (fetched with the key, shown as
// blob: URLs) and DELETE. A refusal throws the client's ChatApiError.
import { errorFromResponse } from "../client/src/errors";

/**
 * @param {() => { apiKey?: string, lang: string }} settings the key and language of each request
 */
export function conversationsApi(settings) {
  async function call(method, path, accept = "application/json") {
    const { apiKey, lang } = settings();
    const headers = { Accept: accept, "Accept-Language": lang };
    if (apiKey) headers.Authorization = `Bearer ${apiKey}`;
    const res = await fetch(path, { method, headers, cache: "no-store" });
    if (!res.ok) throw await errorFromResponse(res);
    return res;
  }
  const chatPath = (chatId) => `/api/chat/${encodeURIComponent(chatId)}`;
  return {
    /** `GET /api/chats`: `{ chats: [{ chat_id, title, updated_at, messages }], next_cursor }`, newest first. */
    async list(userId, cursor) {
      const query = new URLSearchParams({ user_id: userId, limit: "20" });
      if (cursor) query.set("cursor", cursor);
      return (await call("GET", `/api/chats?${query}`)).json();
    },
    /** `GET /api/chat/{chat_id}/messages`: the stored conversation. */
    async messages(chatId) {
      return (await call("GET", `${chatPath(chatId)}/messages`)).json();
    },
    /** A stored image (`/api/chat/{chat_id}/files/{file_id}`) as a blob: URL the page can show. */
    async image(path) {
      const res = await call("GET", path, "image/*");
      return URL.createObjectURL(await res.blob());
    },
    /** `DELETE /api/chat/{chat_id}`: true when deleted, false when there was nothing to delete. */
    async remove(chatId) {
      try {
        await call("DELETE", chatPath(chatId));
        return true;
      } catch (error) {
        if (error?.status === 404) return false;
        throw error;
      }
    },
  };
}
