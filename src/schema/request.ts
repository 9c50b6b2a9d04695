/**
 * The request body of `POST /api/chat` (docs/api.md). One source of truth: the server validates
 * with it, the typed client and the published JSON Schema are derived from it.
 */
import * as z from "zod";
import { CHAT_ID_MAX, CHAT_ID_PATTERN, MAX_CONTENT_PARTS, USER_ID_MAX } from "./limits";
import { MODEL_PARAM_NAMES, MODEL_PARAM_SPECS, type ModelParamName } from "../chat/model-params";

export const ImageDetail = z.enum(["auto", "low", "high"]);

export const InputTextPart = z.strictObject({
  type: z.literal("input_text"),
  text: z.string(),
});

export const InputImagePart = z.strictObject({
  type: z.literal("input_image"),
  /** `data:image/{png|jpeg|webp|gif};base64,…` or an `https://` URL; checked by request/images.ts. */
  image_url: z.string().min(1),
  detail: ImageDetail.optional(),
});

export const OutputTextPart = z.strictObject({
  type: z.literal("output_text"),
  text: z.string(),
});

export { MAX_CONTENT_PARTS };

export const SystemMessage = z.strictObject({
  role: z.literal("system"),
  content: z.union([z.string(), z.array(InputTextPart).min(1).max(MAX_CONTENT_PARTS)]),
});

export const UserMessage = z.strictObject({
  role: z.literal("user"),
  content: z.union([
    z.string(),
    z.array(z.discriminatedUnion("type", [InputTextPart, InputImagePart])).min(1).max(MAX_CONTENT_PARTS),
  ]),
});

export const AssistantMessage = z.strictObject({
  role: z.literal("assistant"),
  content: z.union([
    z.string(),
    z.array(z.discriminatedUnion("type", [OutputTextPart, InputTextPart])).min(1).max(MAX_CONTENT_PARTS),
  ]),
});

export const QueryMessage = z.discriminatedUnion("role", [SystemMessage, UserMessage, AssistantMessage]);

/**
 * Model parameters a request may ask for (`options`), each with the values the chat-completions API
 * accepts; which of them a request may set is the operator's choice (CLIENT_OPTIONS, checked after
 * this schema), and a `max_tokens` above the operator's is lowered to it.
 */
export const ModelOptions = z.strictObject(
  Object.fromEntries(
    MODEL_PARAM_NAMES.map((name) => {
      const spec = MODEL_PARAM_SPECS[name];
      const schema =
        spec.type === "boolean" ? z.boolean()
        : spec.type === "integer" ? z.int().min(spec.min).max(spec.max)
        : z.number().min(spec.min).max(spec.max);
      return [name, schema.optional()];
    }),
  ) as { [K in ModelParamName]: z.ZodOptional<(typeof MODEL_PARAM_SPECS)[K] extends { type: "boolean" } ? z.ZodBoolean : z.ZodNumber> },
);
export type ModelOptions = z.infer<typeof ModelOptions>;

export const ChatId = z.string().min(1).max(CHAT_ID_MAX).regex(CHAT_ID_PATTERN, "must be 1 to 128 characters of A-Z a-z 0-9 _ -");

/** Unknown fields are a 400 naming them, as OpenAI's API does: a typo such as `"steam": false` must not pass silently. */
export const ChatRequest = z.strictObject({
  user_id: z.string().min(1).max(USER_ID_MAX),
  query: z.array(QueryMessage).min(1),
  stream: z.boolean().optional(),
  /** Makes the chat resumable: it runs in a Durable Object and outlives its connection. */
  chat_id: ChatId.optional(),
  /** Model parameters for this chat, among those the operator allows (CLIENT_OPTIONS; default temperature, max_tokens). */
  options: ModelOptions.optional(),
  /** With `chat_id`: the service keeps the conversation, and `query` holds only what is new. */
  history: z.literal("server").optional(),
  /** With `history: "server"`: that stored user message and everything after it are dropped first (edit, regenerate). */
  replace_from: z.string().min(1).max(128).optional(),
});

export type ChatRequest = z.infer<typeof ChatRequest>;
export type QueryMessage = z.infer<typeof QueryMessage>;
export type InputImagePart = z.infer<typeof InputImagePart>;

/**
 * Where a reader of `GET /api/chat/{chat_id}/stream` resumes: the `seq` of the last event it has
 * (`Last-Event-ID`, or the `after` query; `0` or absent: from the start).
 */
export const SeqCursor = z.string().trim().regex(/^\d{1,15}$/, "must be a whole number (the last seq you have)");

/** The body of `POST /api/chat/{chat_id}/approvals/{approval_id}`: approve a waiting tool call, or deny it with a reason. */
export const ApprovalDecision = z.strictObject({ approve: z.boolean(), reason: z.string().max(1000).optional() });
export type ApprovalDecision = z.infer<typeof ApprovalDecision>;
