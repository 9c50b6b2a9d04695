/** The body of `GET /health` (docs/api.md). */
import * as z from "zod";

export const Health = z.object({
  status: z.literal("healthy"),
  /** When the Worker answered, ISO 8601. */
  timestamp: z.string(),
});

export type Health = z.infer<typeof Health>;
