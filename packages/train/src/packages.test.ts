import * as backend from "@gqn/backend";
import * as data from "@gqn/data";
import * as draw from "@gqn/draw";
import * as encoders from "@gqn/encoders";
import { describe, expect, it } from "vitest";
import * as train from "./index.js";

describe("the packages compose through their public entry points", () => {
  it("exposes each package's API", () => {
    expect(data.getDatasetSpec("shepard_metzler_5_parts").views).toBe(15);
    expect(typeof encoders.aggregateViews).toBe("function");
    expect(draw.DEFAULT_DRAW_CONFIG.steps).toBe(8);
    expect(typeof backend.initBackend).toBe("function");
    expect(train.annealed(train.PAPER_SIGMA_SCHEDULE, 0)).toBe(2);
  });
});
