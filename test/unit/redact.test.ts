import { describe, expect, it } from "vitest";
import { readConfig } from "../../src/config";
import { Redactor } from "../../src/security/redact";

describe("Redactor", () => {
  it("replaces every configured secret, longest first, and leaves text without one untouched", () => {
    const redactor = new Redactor(["sk-azure-0123456789", "mcp-token-abcdefgh", "mcp-token-abcdefgh-longer", " ", undefined, "short"]);
    expect(redactor.redact("key sk-azure-0123456789 and again sk-azure-0123456789")).toBe("key [redacted] and again [redacted]");
    expect(redactor.redact("Bearer mcp-token-abcdefgh-longer")).toBe("Bearer [redacted]");
    expect(redactor.redact("a short word")).toBe("a short word");
    const plain = "nothing secret here";
    expect(redactor.redact(plain)).toBe(plain);
    expect(new Redactor([]).redact("sk-azure-0123456789")).toBe("sk-azure-0123456789");
  });

  it("also catches a secret's URL-encoded form", () => {
    const redactor = new Redactor(["key/with+odd=chars"]);
    expect(redactor.redact("k=key%2Fwith%2Bodd%3Dchars")).toBe("k=[redacted]");
  });

  it("is built once per config from every configured secret", () => {
    const env = {
      AZURE_OPENAI_API_KEY: "azure-key-11112222",
      MCP_AUTH_TOKEN: "mcp-token-33334444",
      API_KEYS: "client-key-55556666, client-key-77778888",
    } as unknown as Env;
    const config = readConfig(env);
    expect(readConfig(env).redact).toBe(config.redact);
    expect(config.redact.redact("azure-key-11112222 mcp-token-33334444 client-key-55556666 client-key-77778888")).toBe(
      "[redacted] [redacted] [redacted] [redacted]",
    );
  });
});
