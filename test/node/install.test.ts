/**
 * A first `npm install` (or `npm ci`) on the Node version the README names prints nothing a
 * newcomer must wonder about: every package the lock file installs accepts that Node version
 * (no EBADENGINE warning), and every package with an install script has been reviewed in
 * package.json's `allowScripts` (npm install-scripts), so npm prints no list of unreviewed ones.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import semver from "semver";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../tools/run/worker";

interface LockEntry { engines?: { node?: string } | string[]; hasInstallScript?: boolean; optional?: boolean; os?: string[]; cpu?: string[] }
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { engines: { node: string }; allowScripts?: Record<string, boolean> };
const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> };
/** The package's name from its lock-file path (node_modules/a/node_modules/@b/c → @b/c). */
const nameOf = (path: string) => path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);
/** npm skips an optional package built for another system: no engine check, no script. */
const installedHere = (entry: LockEntry) =>
  !(entry.optional && ((entry.os && !entry.os.includes(process.platform)) || (entry.cpu && !entry.cpu.includes(process.arch))));

describe("the first install", () => {
  const named = /\*\*Node\.js (\d+\.\d+) or newer\*\*/.exec(readFileSync(join(ROOT, "README.md"), "utf8"))?.[1];

  it("names one Node version in the README and in package.json's engines", () => {
    expect(named).toBeDefined();
    expect(pkg.engines.node).toBe(`>=${named}.0`);
  });

  it("installs only packages that accept that Node version: no EBADENGINE warning", () => {
    const minimum = `${named}.0`;
    const refusing = Object.entries(lock.packages)
      .filter(([path, entry]) => path !== "" && installedHere(entry))
      .flatMap(([path, entry]) => {
        const range = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
        return range && !semver.satisfies(minimum, range) ? [`${nameOf(path)} wants node ${range}`] : [];
      });
    expect(refusing).toEqual([]);
  });

  it("has every install script reviewed in allowScripts", () => {
    const scripts = new Set(Object.entries(lock.packages).filter(([path, entry]) => path !== "" && entry.hasInstallScript && installedHere(entry)).map(([path]) => nameOf(path)));
    expect([...scripts].filter((name) => !(name in (pkg.allowScripts ?? {}))).sort()).toEqual([]);
  });
});
