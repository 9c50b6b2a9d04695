import { describe, expect, it } from "vitest";
import { retryDelayMs } from "../../src/chat/upstream-errors";

describe("retryDelayMs", () => {
  it("prefers retry-after-ms, then retry-after seconds or date, then backoff", () => {
    expect(retryDelayMs(new Headers({ "retry-after-ms": "250.5", "retry-after": "9" }), 0)).toBe(251);
    expect(retryDelayMs(new Headers({ "retry-after": "2" }), 0)).toBe(2000);
    const date = new Date(Date.now() + 3000).toUTCString();
    const fromDate = retryDelayMs(new Headers({ "retry-after": date }), 0);
    expect(fromDate).toBeGreaterThan(1000);
    expect(fromDate).toBeLessThanOrEqual(3000);
    expect(retryDelayMs(new Headers(), 0)).toBe(500);
    expect(retryDelayMs(new Headers(), 1)).toBe(1000);
    expect(retryDelayMs(undefined, 0)).toBe(500);
  });
});
