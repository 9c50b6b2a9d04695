import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/errors";
import { checkImages, checkImageUrl, MAX_IMAGE_BYTES } from "../../src/request/images";

const b64 = (bytes: number[]) => btoa(String.fromCharCode(...bytes));
const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52];
const JPEG = [0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1];
const GIF = [...new TextEncoder().encode("GIF89a"), 1, 0, 1, 0, 0, 0];
const WEBP = [...new TextEncoder().encode("RIFF"), 36, 0, 0, 0, ...new TextEncoder().encode("WEBPVP8 ")];

function failure(fn: () => unknown): { status: number; message: string } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return { status: (err as ApiError).status, message: (err as ApiError).message };
  }
  throw new Error("expected a failure");
}

describe("checkImageUrl", () => {
  it.each([
    ["png", PNG],
    ["jpeg", JPEG],
    ["gif", GIF],
    ["webp", WEBP],
  ])("accepts a %s whose bytes match", (type, bytes) => {
    const info = checkImageUrl(`data:image/${type};base64,${b64(bytes)}`, ["f"]);
    expect(info).toEqual({ kind: "data", type, bytes: bytes.length });
  });

  it("accepts https URLs without fetching them", () => {
    expect(checkImageUrl("https://example.com/cat.png", ["f"])).toEqual({ kind: "https" });
  });

  it("names the field and the reason", () => {
    expect(failure(() => checkImageUrl("http://example.com/a.png", ["query", 0, "content", 1, "image_url"]))).toEqual({
      status: 400,
      message: expect.stringMatching(/^query\[0\]\.content\[1\]\.image_url: must be a data:image/),
    });
    expect(failure(() => checkImageUrl(`data:image/bmp;base64,${b64(PNG)}`, ["x"])).message).toMatch(/image\/bmp.*not supported/);
    expect(failure(() => checkImageUrl(`data:image/png;base64,${b64(JPEG)}`, ["x"])).message).toMatch(/not a PNG image/);
    expect(failure(() => checkImageUrl(`data:image/webp;base64,${b64(PNG)}`, ["x"])).message).toMatch(/not a WEBP image/);
    expect(failure(() => checkImageUrl("data:image/png;base64,", ["x"])).message).toMatch(/empty/);
  });

  it("rejects invalid base64 anywhere in the data, not only at the start", () => {
    const good = b64([...PNG, ...new Array(3000).fill(7)]);
    expect(checkImageUrl(`data:image/png;base64,${good}`, ["x"]).kind).toBe("data");
    const bad = good.slice(0, 2000) + "*" + good.slice(2001);
    expect(failure(() => checkImageUrl(`data:image/png;base64,${bad}`, ["x"])).message).toMatch(/not valid base64/);
    expect(failure(() => checkImageUrl(`data:image/png;base64,${good.slice(1)}`, ["x"])).message).toMatch(/not valid base64/);
    expect(failure(() => checkImageUrl(`data:image/png;base64,${good}=A==`, ["x"])).message).toMatch(/not valid base64/);
  });

  it("rejects an image over 20 MiB by its length, with 413", () => {
    const chars = Math.ceil(((MAX_IMAGE_BYTES + 3) / 3) * 4);
    const big = b64(PNG).slice(0, 20) + "A".repeat(chars - 20 - (chars % 4));
    expect(failure(() => checkImageUrl(`data:image/png;base64,${big}`, ["x"]))).toEqual({ status: 413, message: expect.stringMatching(/20 MiB/) });
  });
});

describe("checkImages", () => {
  const image = { type: "input_image" as const, image_url: `data:image/png;base64,${b64(PNG)}` };
  it("counts the images of every user message", () => {
    expect(
      checkImages({
        user_id: "u",
        query: [
          { role: "user", content: [image, { type: "input_text", text: "hi" }] },
          { role: "assistant", content: "ok" },
          { role: "user", content: [image, image] },
        ],
      }),
    ).toBe(3);
  });

  it("refuses more than ten images with a 400 naming query", () => {
    const request = { user_id: "u", query: [{ role: "user" as const, content: new Array(11).fill(image) }] };
    expect(failure(() => checkImages(request))).toEqual({ status: 400, message: expect.stringMatching(/^query: too many images/) });
  });

  it("keeps the path of the field it names on the error, for a dialect to name its own field", () => {
    const request = { user_id: "u", query: [{ role: "user" as const, content: [{ type: "input_text" as const, text: "hi" }, { ...image, image_url: "http://x" }] }] };
    try {
      checkImages(request);
      expect.unreachable();
    } catch (err) {
      expect((err as ApiError).field).toEqual(["query", 0, "content", 1, "image_url"]);
      expect((err as ApiError).message).toMatch(/^query\[0\]\.content\[1\]\.image_url: /);
    }
  });
});
