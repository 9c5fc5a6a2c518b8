import { ProtoWriter } from "@gqn/core";

// TensorBoard `Event` protos, written with @gqn/core's ProtoWriter: the only npm writer lives in
// tfjs-node. Field numbers are tensorflow/core/util/event.proto and framework/summary.proto.

/** One scalar or image of a summary. */
export type SummaryValue =
  | { tag: string; scalar: number }
  | { tag: string; image: { png: Uint8Array; width: number; height: number; channels?: number } };

/** The first record of every event file: `file_version = "brain.Event:2"`. */
export function encodeFileVersionEvent(wallTimeSeconds: number): Uint8Array {
  return new ProtoWriter(32).double(1, wallTimeSeconds).string(3, "brain.Event:2").finish();
}

/**
 * `Event { wall_time, step, session_log { status: START } }`: TensorBoard drops the events of
 * earlier files at this step or later (what a crashed run wrote after the checkpoint it resumed
 * from), so a resumed run's curves do not fold back.
 */
export function encodeSessionStartEvent(wallTimeSeconds: number, step: number): Uint8Array {
  return new ProtoWriter(32)
    .double(1, wallTimeSeconds)
    .varint(2, step)
    .message(7, (sessionLog) => sessionLog.varint(1, 1)) // SessionLog.status = START
    .finish();
}

/**
 * An `Event { wall_time, step, summary { value* } }` with scalar (`simple_value`) and image
 * (`image { height, width, colorspace, encoded_image_string }`) values. Frame it as a TFRecord.
 */
export function encodeSummaryEvent(
  wallTimeSeconds: number,
  step: number,
  values: readonly SummaryValue[],
): Uint8Array {
  return new ProtoWriter()
    .double(1, wallTimeSeconds)
    .varint(2, step)
    .message(5, (summary) => {
      for (const value of values) {
        summary.message(1, (v) => {
          v.string(1, value.tag);
          if ("scalar" in value) {
            v.float(2, value.scalar);
          } else {
            v.message(4, (image) =>
              image
                .varint(1, value.image.height)
                .varint(2, value.image.width)
                .varint(3, value.image.channels ?? 3)
                .bytes(4, value.image.png),
            );
          }
        });
      }
    })
    .finish();
}
