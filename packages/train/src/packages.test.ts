import * as backend from "@gqn/backend";
import * as data from "@gqn/data";
import * as model from "@gqn/model";
import { describe, expect, it } from "vitest";
import * as train from "./index.js";

describe("the packages compose through their public entry points", () => {
  it("exposes each package's API", () => {
    expect(data.getDatasetSpec("shepard_metzler_5_parts").views).toBe(15);
    expect(model.resolveGqnConfig("tiny").draw.steps).toBe(4);
    expect(typeof backend.initBackend).toBe("function");
    expect(typeof train.createTrainer).toBe("function");
  });
});
