/**
 * The request body of `POST /api/chat` (CONTRACT.md). One source of truth: the server validates
 * with it, the typed client and the published JSON Schema are derived from it.
 */
import * as z from "zod";

export const ImageDetail = z.enum(["auto", "low", "high"]);

export const InputTextPart = z.object({
  type: z.literal("input_text"),
  text: z.string(),
});

export const InputImagePart = z.object({
  type: z.literal("input_image"),
  /** `data:image/{png|jpeg|webp|gif};base64,…` or an `https://` URL; checked by request/images.ts. */
  image_url: z.string().min(1),
  detail: ImageDetail.optional(),
});

export const OutputTextPart = z.object({
  type: z.literal("output_text"),
  text: z.string(),
});

/** Parts in one message's content: a fixed bound that also stops validation early on hostile lists. */
export const MAX_CONTENT_PARTS = 1000;

export const SystemMessage = z.object({
  role: z.literal("system"),
  content: z.union([z.string(), z.array(InputTextPart).min(1).max(MAX_CONTENT_PARTS)]),
});

export const UserMessage = z.object({
  role: z.literal("user"),
  content: z.union([
    z.string(),
    z.array(z.discriminatedUnion("type", [InputTextPart, InputImagePart])).min(1).max(MAX_CONTENT_PARTS),
  ]),
});

export const AssistantMessage = z.object({
  role: z.literal("assistant"),
  content: z.union([
    z.string(),
    z.array(z.discriminatedUnion("type", [OutputTextPart, InputTextPart])).min(1).max(MAX_CONTENT_PARTS),
  ]),
});

export const QueryMessage = z.discriminatedUnion("role", [SystemMessage, UserMessage, AssistantMessage]);

export const ChatRequest = z.object({
  user_id: z.string().min(1).max(128),
  query: z.array(QueryMessage).min(1),
  stream: z.boolean().optional(),
});

export type ChatRequest = z.infer<typeof ChatRequest>;
export type QueryMessage = z.infer<typeof QueryMessage>;
export type InputImagePart = z.infer<typeof InputImagePart>;
