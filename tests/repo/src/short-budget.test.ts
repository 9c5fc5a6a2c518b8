import { describe, expect, it } from "vitest";
import { withShortBudget } from "./short-budget.js";

describe("withShortBudget", () => {
  it("cuts the budgets of our CLIs' lines and keeps the rest", () => {
    expect(
      withShortBudget("pnpm gqn-train --data-dir d --preset small --max-minutes 120   # two hours"),
    ).toBe(
      "pnpm gqn-train --data-dir d --preset small --max-minutes 0.02 --batch-size 2 --eval-batches 1   # two hours",
    );
    expect(
      withShortBudget("gqn-synth --out data --train-scenes 2000 --test-scenes 200 --frame-size 32"),
    ).toBe("gqn-synth --out data --train-scenes 8 --test-scenes 4 --frame-size 32");
    expect(withShortBudget("pnpm gqn-render --model-dir m --out r --scenes 8 --orbit 36 --zoom 4")).toBe(
      "pnpm gqn-render --model-dir m --out r --scenes 1 --orbit 3 --zoom 4",
    );
    expect(withShortBudget("mkdir -p x")).toBe("mkdir -p x");
  });
});
