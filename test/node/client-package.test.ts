/**
 * The typed client as a package of its own (client/package.json, `chatapi-client`): its build is
 * fresh, it has no dependencies, and `npm pack` in client/ gives a tarball that installs into an
 * empty project with nothing else (offline, from an empty npm cache: nothing comes from a
 * registry), imports in plain Node, bundles with esbuild, and type-checks under `strict` with
 * Node's resolution, its declarations standing alone (no skipLibCheck). That it chats with the
 * service in plain Node is in client.test.ts.
 */
import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLIENT_BUNDLE, CLIENT_DIST, CLIENT_TYPES_ENTRY, clientBundleText } from "../../tools/build/client-build";
import { ROOT } from "../../tools/run/worker";

const run = promisify(execFile);
const CLIENT = join(ROOT, "client");
const EXPORTS = ["CHAT_ID_MAX", "CHAT_ID_PATTERN", "ChatApiError", "IMAGE_TYPES", "MAX_IMAGES", "MAX_IMAGE_BYTES", "answerApproval", "chat", "deleteChat", "getFile", "getImage", "getMessages", "health", "imageProblem", "listChats", "readLines", "readNdjson", "readSse", "resumeChat", "sniffImageType", "stopChat", "streamChat", "toDataUrl"];
const pkg = JSON.parse(readFileSync(join(CLIENT, "package.json"), "utf8"));

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
});

describe("client/package.json", () => {
  it("is a publishable package with no dependencies, pointing at the built files", () => {
    expect(pkg).toMatchObject({ name: "chatapi-client", type: "module", files: ["dist/"] });
    expect(pkg.private).toBeUndefined();
    for (const field of ["dependencies", "peerDependencies", "optionalDependencies"]) expect(pkg[field]).toBeUndefined();
    expect(pkg.exports["."]).toEqual({ types: "./dist/types/client/src/index.d.ts", default: "./dist/index.js" });
    expect(join(CLIENT, pkg.exports["."].types)).toBe(CLIENT_TYPES_ENTRY);
    // Its version is the server's it was built with (README: versions).
    expect(pkg.version).toBe(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version);
  });
});

describe("npm pack in client/, installed alone into an empty project", () => {
  let work: string;
  let project: string;
  let tarball: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "chatapi-client-pack-"));
    // --ignore-scripts: pack what the run's build left in client/dist (checked fresh above) rather
    // than rebuild it under the other test files that read it.
    const { stdout } = await run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", work], { cwd: CLIENT });
    tarball = join(work, JSON.parse(stdout)[0].filename);
    project = join(work, "app");
    const cache = join(work, "empty-npm-cache");
    await run("mkdir", ["-p", project, cache]);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "app", version: "1.0.0", private: true, type: "module" }));
    // Offline, with an empty cache: anything the tarball needed from a registry would fail here.
    await run("npm", ["install", "--offline", "--cache", cache, "--no-audit", "--no-fund", "--ignore-scripts", tarball], { cwd: project, env: { ...process.env, npm_config_registry: "http://127.0.0.1:9/" } });
  }, 120_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("holds the built client and its declarations, nothing of the server", async () => {
    const { stdout } = await run("tar", ["-tzf", tarball]);
    const files = stdout.trim().split("\n").map((f) => f.replace(/^package\//, "")).sort();
    expect(files).toContain("dist/index.js");
    expect(files).toContain("dist/types/client/src/index.d.ts");
    expect(files).toContain("dist/types/client/src/wire.d.ts");
    expect(files.filter((f) => !f.startsWith("dist/") && f !== "package.json" && f !== "README.md")).toEqual([]);
    expect(files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
  });

  it("installs nothing else, and its declarations import only each other", () => {
    expect(readdirSync(join(project, "node_modules")).filter((n) => !n.startsWith("."))).toEqual(["chatapi-client"]);
    const types = join(project, "node_modules/chatapi-client/dist/types");
    const declarations = readdirSync(types, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".d.ts"));
    for (const file of declarations) {
      const specifiers = [...readFileSync(join(types, file), "utf8").matchAll(/(?:from\s+|import\()"([^"]+)"/g)].map((m) => m[1]);
      expect(specifiers.filter((s) => !s.startsWith(".")), file).toEqual([]);
    }
  });

  it("imports in plain Node", async () => {
    const program = `import * as client from "chatapi-client"; console.log(JSON.stringify(Object.keys(client).sort()));`;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", program], { cwd: project, env: { ...process.env, NODE_OPTIONS: "" } });
    expect(JSON.parse(stdout)).toEqual(EXPORTS);
  });

  it("bundles for the browser with esbuild, as an application's bundler would", async () => {
    writeFileSync(join(project, "main.js"), `import { streamChat } from "chatapi-client";\nconsole.log(typeof streamChat);\n`);
    const result = await build({ entryPoints: [join(project, "main.js")], absWorkingDir: project, bundle: true, platform: "browser", format: "esm", write: false, logLevel: "silent" });
    expect(result.outputFiles[0].text).toMatch(/function\*? ?streamChat\(/);
  });

  it("type-checks an application under strict with Node's resolution (nodenext), the package's declarations checked too", async () => {
    copyFileSync(join(ROOT, "test/node/fixtures/client-consumer.ts"), join(project, "consumer.ts"));
    const tsconfig = {
      compilerOptions: { strict: true, noEmit: true, module: "nodenext", moduleResolution: "nodenext", target: "es2022", lib: ["es2023", "dom"], types: [], skipLibCheck: false },
      files: ["consumer.ts"],
    };
    writeFileSync(join(project, "tsconfig.json"), JSON.stringify(tsconfig));
    const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
    const result = await run(process.execPath, [tsc, "-p", project], { cwd: project }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? String(error) }));
    expect(result.stdout).toBe("");
  }, 60_000);
});
