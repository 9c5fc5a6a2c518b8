// The package graph that docs/architecture.md draws is the one the package.json files declare,
// and it has no cycle: every @gqn dependency points down the layers.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..", "..");

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/** Each library's @gqn dependencies (runtime and peer), by short name. */
function declaredGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const dir of readdirSync(join(root, "packages"))) {
    const manifest = JSON.parse(
      readFileSync(join(root, "packages", dir, "package.json"), "utf8"),
    ) as Manifest;
    const deps = Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies })
      .filter((name) => name.startsWith("@gqn/"))
      .map((name) => name.slice("@gqn/".length))
      .sort();
    graph.set(manifest.name.slice("@gqn/".length), deps);
  }
  return graph;
}

/** The table of docs/architecture.md: `| \`@gqn/x\` | a, b |` rows. */
function documentedGraph(): Map<string, string[]> {
  const text = readFileSync(join(root, "docs", "architecture.md"), "utf8");
  const graph = new Map<string, string[]>();
  for (const match of text.matchAll(/^\| `@gqn\/([a-z-]+)` \|([^|]*)\|$/gm)) {
    const deps = (match[2] ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean)
      .sort();
    graph.set(match[1] as string, deps);
  }
  return graph;
}

describe("the package graph", () => {
  it("is the one docs/architecture.md draws", () => {
    const declared = declaredGraph();
    expect(Object.fromEntries(documentedGraph())).toEqual(Object.fromEntries(declared));
  });

  it("has no cycle", () => {
    const graph = declaredGraph();
    const state = new Map<string, "visiting" | "done">();
    const visit = (name: string, path: string[]): void => {
      if (state.get(name) === "done") return;
      if (state.get(name) === "visiting") throw new Error(`cycle: ${[...path, name].join(" -> ")}`);
      state.set(name, "visiting");
      for (const dep of graph.get(name) ?? []) visit(dep, [...path, name]);
      state.set(name, "done");
    };
    for (const name of graph.keys()) expect(() => visit(name, [])).not.toThrow();
  });
});
