/**
 * The body limit (`MAX_BODY_BYTES`, default 32 MiB: one image at Azure's 20 MiB limit is about
 * 27 MiB of base64) with hono/body-limit, before the body is parsed: a declared Content-Length over
 * the limit is refused without reading, a chunked body as soon as it passes the limit. 413.
 */
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../app-env";
import { ApiError, size } from "../errors";

const byLimit = new Map<number, MiddlewareHandler>();

export const limitBody: MiddlewareHandler<AppEnv> = (c, next) => {
  const max = c.var.config.limits.maxBodyBytes;
  let middleware = byLimit.get(max);
  if (!middleware) {
    middleware = bodyLimit({
      maxSize: max,
      onError: () => {
        throw new ApiError(413, `body: larger than the ${size(max)} allowed (MAX_BODY_BYTES)`);
      },
    });
    byLimit.set(max, middleware);
  }
  return middleware(c, next);
};
