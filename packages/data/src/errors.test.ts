import { GqnError } from "@gqn/core";
import { describe, expect, it } from "vitest";
import { CorruptRecordError } from "./errors.js";

describe("CorruptRecordError", () => {
  it("matches instanceof for a copy of the class from another bundle of @gqn/data", () => {
    // What @gqn/data/node's bundle throws is another class object than @gqn/data's export.
    class CopiedCorruptRecordError extends GqnError {
      readonly reason = "bad CRC";
      constructor() {
        super("CORRUPT_RECORD", "readTfRecords: bad CRC.");
      }
    }
    expect(new CopiedCorruptRecordError()).toBeInstanceOf(CorruptRecordError);
    expect(new CorruptRecordError("x", "bad length", { file: "a.tfrecord", record: 2 })).toBeInstanceOf(
      CorruptRecordError,
    );
    expect(new GqnError("CORRUPT_RECORD", "no reason field")).not.toBeInstanceOf(CorruptRecordError);
    expect(new GqnError("IO_ERROR", "other")).not.toBeInstanceOf(CorruptRecordError);
    expect(new Error("plain")).not.toBeInstanceOf(CorruptRecordError);
    expect(null).not.toBeInstanceOf(CorruptRecordError);
  });
});
