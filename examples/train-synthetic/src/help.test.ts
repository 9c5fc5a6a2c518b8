import { describe, expect, it } from "vitest";
import { BASELINES, DEFAULT_SCENE, HELP, MAIN_OPTIONS } from "./help.js";

describe("the main job's --help", () => {
  const summary = HELP.split("\n\n")[1] ?? "";

  it("describes the run it does: the default scene, scored beside every baseline", () => {
    expect(summary).toContain(DEFAULT_SCENE);
    expect(summary).not.toMatch(/Shepard-Metzler/);
    for (const baseline of BASELINES) expect(summary.replace(/\s+/g, " ")).toContain(baseline);
  });

  it("lists every flag the job parses", () => {
    for (const name of Object.keys(MAIN_OPTIONS)) expect(HELP).toMatch(new RegExp(`^  --${name}\\b`, "m"));
  });
});
