import { describe, expect, it } from "vitest";
import { hashId, userHash } from "../../src/security/digest";

describe("userHash", () => {
  it("is hashId's 16 hex digits, from memory (a string, no promise) once the id has been hashed", async () => {
    const id = `user-${crypto.randomUUID()}`;
    const first = userHash(id);
    expect(first).toBeInstanceOf(Promise);
    expect(await first).toBe(await hashId(id));
    expect(userHash(id)).toBe(await hashId(id));
  });

  it("stays bounded: many distinct ids still hash right", async () => {
    const ids = Array.from({ length: 600 }, (_, i) => `bulk-${i}-${crypto.randomUUID()}`);
    for (const id of ids) await userHash(id);
    for (const id of [ids[0], ids[599]]) expect(await userHash(id)).toBe(await hashId(id));
  });
});
