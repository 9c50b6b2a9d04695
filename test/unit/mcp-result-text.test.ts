import { describe, expect, it } from "vitest";
import { base64Size, cutText, resultToText } from "../../src/mcp/result-text";

describe("resultToText", () => {
  it("joins text parts", () => {
    expect(resultToText({ content: [{ type: "text", text: "a" }, { type: "text", text: "b" }] }, 100)).toBe("a\nb");
  });

  it("describes images and audio by type and size, never their bytes", () => {
    const data = btoa("x".repeat(100));
    const text = resultToText({ content: [{ type: "image", data, mimeType: "image/png" }, { type: "audio", data, mimeType: "audio/wav" }] }, 500);
    expect(text).toBe("[image: image/png, 100 bytes]\n[audio: audio/wav, 100 bytes]");
  });

  it("describes resource links and embedded resources, cutting embedded text", () => {
    const text = resultToText({
      content: [
        { type: "resource_link", uri: "file:///a.txt", name: "a.txt", mimeType: "text/plain" },
        { type: "resource", resource: { uri: "mem://long", mimeType: "text/plain", text: "y".repeat(3000) } },
        { type: "resource", resource: { uri: "mem://bin", mimeType: "application/pdf", blob: btoa("pdf!") } },
      ],
    }, 10_000);
    expect(text).toMatch(/^\[resource link: file:\/\/\/a\.txt, name a\.txt, text\/plain\]\n\[resource: mem:\/\/long, text\/plain\]\ny+\n…\[cut: \d+ of 3000 characters omitted\]\n\[resource: mem:\/\/bin, application\/pdf, 4 bytes\]$/);
  });

  it("gives structured content as JSON when there is no text", () => {
    expect(resultToText({ content: [], structuredContent: { t: 33, c: "Cloudy" } }, 100)).toBe('{"t":33,"c":"Cloudy"}');
    expect(resultToText({ content: [{ type: "text", text: "33°C" }], structuredContent: { t: 33 } }, 100)).toBe("33°C");
  });

  it("reads the 2024-10-07 protocol's toolResult", () => {
    expect(resultToText({ toolResult: { ok: 1 } }, 100)).toBe('{"ok":1}');
  });

  it("cuts the whole to the bound with a marker", () => {
    const text = resultToText({ content: [{ type: "text", text: "z".repeat(10_000) }] }, 4000);
    expect(text.length).toBeLessThanOrEqual(4000);
    expect(text).toMatch(/^z+\n…\[cut: \d+ of 10000 characters omitted\]$/);
  });
});

describe("cutText", () => {
  it("leaves short text alone and never splits a surrogate pair", () => {
    expect(cutText("short", 10)).toBe("short");
    const emoji = "😀".repeat(100);
    const cut = cutText(emoji, 60);
    expect(cut.length).toBeLessThanOrEqual(60);
    expect(cut.split("\n")[0]).toMatch(/^(😀)+$/u);
  });
});

describe("base64Size", () => {
  it.each([["", 0], ["QQ==", 1], ["QUI=", 2], ["QUJD", 3]])("%s → %d", (b64, n) => {
    expect(base64Size(b64)).toBe(n);
  });
});
