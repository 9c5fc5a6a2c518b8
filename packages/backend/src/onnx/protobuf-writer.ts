/**
 * A minimal protocol-buffers writer: just what an ONNX `ModelProto` of a few nodes needs
 * (varints, length-delimited fields, nested messages). Hand-written because the models here are
 * tiny and fixed in form; a generated ONNX schema (protobufjs + onnx.proto) would add a runtime
 * dependency of ~1 MB to build six message types.
 */
export class ProtoWriter {
  private readonly bytes: number[] = [];

  /** Field of wire type 0 (int32/int64/enum/bool), non-negative values. */
  varint(field: number, value: number): this {
    this.key(field, 0);
    this.rawVarint(value);
    return this;
  }

  /** Field of wire type 2 holding UTF-8 text. */
  string(field: number, value: string): this {
    return this.bytesField(field, new TextEncoder().encode(value));
  }

  /** Field of wire type 2 holding a nested message. */
  message(field: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytesField(field, inner.finish());
  }

  /** A packed repeated int64 field (non-negative values). */
  packedVarints(field: number, values: readonly number[]): this {
    const inner = new ProtoWriter();
    for (const v of values) inner.rawVarint(v);
    return this.bytesField(field, inner.finish());
  }

  bytesField(field: number, value: Uint8Array): this {
    this.key(field, 2);
    this.rawVarint(value.length);
    for (const b of value) this.bytes.push(b);
    return this;
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }

  private key(field: number, wireType: number): void {
    this.rawVarint(field * 8 + wireType);
  }

  private rawVarint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`ProtoWriter: varint must be a non-negative safe integer, but got ${value}.`);
    }
    let v = value;
    while (v >= 0x80) {
      this.bytes.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.bytes.push(v);
  }
}
