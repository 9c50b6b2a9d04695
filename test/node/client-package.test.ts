/**
 * The typed client as a package (`chatapi/client`, package.json exports → client/dist, built by
 * `npm run build:client`, which `prepare` runs on `npm ci`): up to date with client/src, typed for
 * a TypeScript application resolving it as Node does, and what `npm pack` would ship. That it runs
 * in plain Node against the service is in client.test.ts.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { CLIENT_BUNDLE, CLIENT_DIST, CLIENT_TYPES_ENTRY, clientBundleText } from "../../tools/client-build";
import { ROOT } from "../../tools/worker";

const run = promisify(execFile);
const EXPORTS = ["CHAT_ID_MAX", "CHAT_ID_PATTERN", "ChatApiError", "IMAGE_TYPES", "MAX_IMAGES", "MAX_IMAGE_BYTES", "answerApproval", "chat", "health", "imageProblem", "readLines", "readNdjson", "readSse", "resumeChat", "sniffImageType", "stopChat", "streamChat", "toDataUrl"];

describe("the built client", () => {
  it("public/client.js and client/dist/index.js are a fresh build of client/src (run `npm run build:client`)", async () => {
    const fresh = await clientBundleText();
    expect(readFileSync(CLIENT_BUNDLE, "utf8")).toBe(fresh);
    expect(readFileSync(join(CLIENT_DIST, "index.js"), "utf8")).toBe(fresh);
  });

  it("carries no zod and no imports: one ES module on its own", async () => {
    const text = readFileSync(CLIENT_BUNDLE, "utf8");
    expect(text).not.toMatch(/zod|import\s|require\(/);
    expect(text.length).toBeLessThan(20_000);
    const client = await import(pathToFileURL(CLIENT_BUNDLE).href);
    expect(Object.keys(client).sort()).toEqual(EXPORTS);
  });

  it("package.json points `chatapi/client` at the built files", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    expect(pkg.exports["./client"]).toEqual({ types: "./client/dist/types/client/src/index.d.ts", default: "./client/dist/index.js" });
    expect(join(ROOT, pkg.exports["./client"].types)).toBe(CLIENT_TYPES_ENTRY);
    // `prepare` (every npm install / npm ci / npm pack) builds the client, then the page's script, then copies Swagger UI for /docs.
    expect(pkg.scripts.prepare).toBe("tsx scripts/build-client.ts && tsx scripts/build-page.ts && tsx scripts/build-docs.ts");
  });
});

// The type-check and the pack are separate processes (CPU and disk): they run side by side.
describe.concurrent("its types", () => {
  it("type-check an application that imports `chatapi/client` with Node's resolution (nodenext)", async () => {
    const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
    const consumer = join(ROOT, "test/node/fixtures/client-consumer.ts");
    const result = await run(
      process.execPath,
      [tsc, "--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "--lib", "es2023,dom", "--skipLibCheck", consumer],
      { cwd: ROOT },
    ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? String(error) }));
    expect(result.stdout).toBe("");
  }, 60_000);
});

describe.concurrent("the package", () => {
  it("would ship the built client, its types, the browser module and the JSON Schema, not the Worker's source", async () => {
    const { stdout } = await run("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: ROOT });
    const files: string[] = JSON.parse(stdout)[0].files.map((f: { path: string }) => f.path).sort();
    expect(files).toContain("client/dist/index.js");
    expect(files).toContain("client/dist/types/client/src/index.d.ts");
    expect(files).toContain("client/dist/types/src/schema/events.d.ts");
    expect(files).toContain("public/client.js");
    expect(files).toContain("schema/chatapi.schema.json");
    expect(files.filter((f) => /^(src|tools|scripts|test)\//.test(f) || f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
  });
});
