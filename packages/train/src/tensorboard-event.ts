// TensorBoard `Event` protos, encoded by hand: the only npm writer lives in tfjs-node, and the
// four messages involved need a dozen lines of protobuf wire format. Field numbers are
// tensorflow/core/util/event.proto and framework/summary.proto.

/** One scalar or image of a summary. */
export type SummaryValue =
  | { tag: string; scalar: number }
  | { tag: string; image: { png: Uint8Array; width: number; height: number; channels?: number } };

class ProtoWriter {
  private readonly chunks: number[] = [];

  varint(value: number | bigint): this {
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.chunks.push(Number((v & 0x7fn) | 0x80n));
      v >>= 7n;
    }
    this.chunks.push(Number(v));
    return this;
  }

  tag(field: number, wire: 0 | 1 | 2 | 5): this {
    return this.varint((field << 3) | wire);
  }

  double(field: number, value: number): this {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setFloat64(0, value, true);
    this.tag(field, 1).chunks.push(...bytes);
    return this;
  }

  float(field: number, value: number): this {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    this.tag(field, 5).chunks.push(...bytes);
    return this;
  }

  int(field: number, value: number | bigint): this {
    return this.tag(field, 0).varint(value);
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, 2).varint(value.length);
    for (const b of value) this.chunks.push(b);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

/** The first record of every event file: `file_version = "brain.Event:2"`. */
export function encodeFileVersionEvent(wallTimeSeconds: number): Uint8Array {
  return new ProtoWriter().double(1, wallTimeSeconds).string(3, "brain.Event:2").finish();
}

/**
 * `Event { wall_time, step, session_log { status: START } }`: TensorBoard drops the events of
 * earlier files at this step or later (what a crashed run wrote after the checkpoint it resumed
 * from), so a resumed run's curves do not fold back.
 */
export function encodeSessionStartEvent(wallTimeSeconds: number, step: number): Uint8Array {
  const sessionLog = new ProtoWriter().int(1, 1).finish(); // SessionLog.status = START
  return new ProtoWriter().double(1, wallTimeSeconds).int(2, step).bytes(7, sessionLog).finish();
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
  const summary = new ProtoWriter();
  for (const value of values) {
    const v = new ProtoWriter().string(1, value.tag);
    if ("scalar" in value) {
      v.float(2, value.scalar);
    } else {
      const image = new ProtoWriter()
        .int(1, value.image.height)
        .int(2, value.image.width)
        .int(3, value.image.channels ?? 3)
        .bytes(4, value.image.png)
        .finish();
      v.bytes(4, image);
    }
    summary.bytes(1, v.finish());
  }
  return new ProtoWriter().double(1, wallTimeSeconds).int(2, step).bytes(5, summary.finish()).finish();
}
