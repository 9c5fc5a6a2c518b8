// Packing the workspace's public packages into tarballs, as npm would publish them.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const root = resolve(import.meta.dirname, "../../..");
export const TFJS = "4.22.0";

export interface PublicPackage {
  name: string;
  dir: string;
}

/** Every package under packages/ that is not private. */
export const publicPackages: PublicPackage[] = readdirSync(join(root, "packages"))
  .map((name) => join(root, "packages", name))
  .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) }))
  .filter(({ manifest }) => !manifest.private)
  .map(({ dir, manifest }) => ({ name: manifest.name as string, dir }));

/** Runs a command; on failure the error carries its output, which is what one needs to read. */
export function run(command: string, args: string[], cwd: string): string {
  try {
    return execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(" ")} failed:\n${stdout}\n${stderr}`);
  }
}

/** `pnpm pack`s each package into `packDir` (which must exist); returns name -> tarball path. */
export function packPackages(packages: readonly PublicPackage[], packDir: string): Map<string, string> {
  const tarballs = new Map<string, string>();
  for (const pkg of packages) {
    const before = new Set(readdirSync(packDir));
    run("pnpm", ["pack", "--pack-destination", packDir], pkg.dir);
    const created = readdirSync(packDir).find((file) => !before.has(file));
    if (!created) throw new Error(`pnpm pack made no tarball for ${pkg.name}`);
    tarballs.set(pkg.name, join(packDir, created));
  }
  return tarballs;
}
