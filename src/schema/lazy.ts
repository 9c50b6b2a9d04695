/**
 * The zod schemas the Worker validates with, loaded on first use: building them (and evaluating
 * zod) is most of what the Worker's modules would cost at startup, and most requests that start an
 * isolate need none of it yet (a preflight, /health, a 401). esbuild keeps these modules in the one
 * bundle but evaluates them only when first imported; after that each call is a resolved promise.
 */
let request: Promise<typeof import("./request")> | undefined;
let ui: Promise<typeof import("./ui-request")> | undefined;

/** src/schema/request.ts: ChatRequest, ChatId, SeqCursor, ApprovalDecision. */
export const requestSchemas = () => (request ??= import("./request"));

/** src/schema/ui-request.ts: the AI SDK dialect's request schema. */
export const uiRequestSchema = () => (ui ??= import("./ui-request"));
