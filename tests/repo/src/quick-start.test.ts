// The README's quick start is what a new user types first, and CI must run exactly that: these
// tests fail when the README's commands, .ci/run's copies of them or the pnpm pin drift apart.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const read = (path: string) => readFileSync(`${root}${path}`, "utf8");

/** The command lines (comments and blank lines dropped) of the README's first `sh` block after "## Quick start". */
function quickStartCommands(readme: string): string[] {
  const section = readme.split(/^## Quick start\s*$/m)[1];
  if (section === undefined) throw new Error('README.md has no "## Quick start" section');
  // The fence may carry words after "sh" (` no-run <reason>` for the doc runner).
  const block = /```sh(?:[ \t][^\n]*)?\n([\s\S]*?)```/.exec(section)?.[1];
  if (block === undefined) throw new Error("README.md's quick start has no ```sh block");
  return block
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

/** The value of a `name='...'` assignment in a shell script. */
function shellAssignment(script: string, name: string): string {
  const value = new RegExp(`^${name}='([^']*)'$`, "m").exec(script)?.[1];
  if (value === undefined) throw new Error(`.ci/run assigns no ${name}='...'`);
  return value;
}

describe("the README's quick start", () => {
  const readme = read("README.md");
  const ci = read(".ci/run");
  const [start, test, ...rest] = quickStartCommands(readme);

  it("is two commands: install + start, install + test", () => {
    expect(rest).toEqual([]);
    expect(start).toMatch(/ install --frozen-lockfile && .* start$/);
    expect(test).toMatch(/ install --frozen-lockfile && .* test$/);
  });

  it("is what .ci/run runs, word for word", () => {
    expect(shellAssignment(ci, "readme_test_command")).toBe(test);
    expect(shellAssignment(ci, "readme_start_command")).toBe(start);
    // Both are run, the test command before anything else is installed or built but the Vulkan
    // driver the WebGPU tests need, which is all that script installs.
    const body = ci
      .split("\n")
      .filter((line) => !line.trimStart().startsWith("#") && line !== "bash .ci/install-vulkan-driver");
    const firstRun = body.findIndex((line) => /^\s*(eval|pnpm|npx|npm|apt|sudo|bash|"\$\{pnpm)/.test(line));
    expect(body[firstRun]).toMatch(/^eval "\$readme_test_command"/);
    expect(body.some((line) => line.startsWith('eval "$readme_start_command'))).toBe(true);
    expect(body.join("\n")).not.toMatch(/apt-get|pnpm build|turbo run build/);
    const installs = read(".ci/install-vulkan-driver").match(/apt-get install .*/g) ?? [];
    expect(installs).toEqual([
      "apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null",
    ]);
  });

  it("pins the pnpm of package.json's packageManager", () => {
    const pinned = (JSON.parse(read("package.json")) as { packageManager: string }).packageManager;
    for (const command of [start, test]) {
      const used = command?.match(/pnpm@[\w.-]+/g) ?? [];
      expect(used.length).toBeGreaterThan(0);
      for (const pnpm of used) expect(pnpm).toBe(pinned);
    }
  });
});

describe("quickStartCommands", () => {
  it("reads the command lines of the quick-start block only", () => {
    const readme =
      "# x\n```sh\nnope\n```\n## Quick start\n\ntext\n```sh\n# one\na && b\n\nc\n```\n```sh\nd\n```\n";
    expect(quickStartCommands(readme)).toEqual(["a && b", "c"]);
  });

  it("names what is missing", () => {
    expect(() => quickStartCommands("# nothing here")).toThrow(/no "## Quick start"/);
    expect(() => quickStartCommands("## Quick start\nprose only")).toThrow(/no ```sh block/);
  });
});
