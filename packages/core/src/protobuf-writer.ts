// The protocol-buffers wire format, just the writing half: the few messages the @gqn packages
// emit (tf.train.Example, TensorBoard's Event, ONNX's ModelProto) need five field kinds, and a
// schema-driven runtime would add a dependency and a code-generation step for no speed gain.

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const textEncoder = new TextEncoder();
/** Bytes kept for a nested message's length prefix while it is written: lengths below 2^35. */
const MAX_PREFIX = 5;

/** The bytes of a non-negative varint (1 to 10). */
function varintSize(value: number): number {
  let size = 1;
  for (let v = value; v >= 0x80; v = Math.floor(v / 0x80)) size++;
  return size;
}

/**
 * Writes one protobuf message, fields in the order called, into a growing buffer. Nested messages
 * are written in place behind room for their length prefix; `finish()` writes the prefixes and
 * closes the gaps in one pass, so large byte fields (a scene's JPEG frames) move once however
 * deep they sit, instead of once per level.
 *
 * ```ts
 * const bytes = new ProtoWriter().double(1, wallTime).varint(2, step).message(5, (s) => s.string(1, "tag")).finish();
 * ```
 */
export class ProtoWriter {
  private buffer: Uint8Array;
  private view: DataView;
  private length = 0;
  /** Per nested message, in the order they start: where its length prefix goes, and its body's length. */
  private readonly prefixes: number[] = [];
  /** Bytes the finished nested messages' prefixes leave unused. */
  private gaps = 0;

  constructor(initialCapacity = 256) {
    this.buffer = new Uint8Array(Math.max(16, initialCapacity));
    this.view = new DataView(this.buffer.buffer);
  }

  /**
   * A varint field (wire type 0: int32, int64, uint64, enum, bool). Negative values are written as
   * 64-bit two's complement, as protobuf's int64 is.
   */
  varint(field: number, value: number | bigint): this {
    this.key(field, WIRE_VARINT);
    this.rawVarint(value);
    return this;
  }

  /** A `double` field (wire type 1, little-endian). */
  double(field: number, value: number): this {
    this.key(field, WIRE_I64);
    this.reserve(8);
    this.view.setFloat64(this.length, value, true);
    this.length += 8;
    return this;
  }

  /** A `float` field (wire type 5, little-endian). */
  float(field: number, value: number): this {
    this.key(field, WIRE_I32);
    this.reserve(4);
    this.view.setFloat32(this.length, value, true);
    this.length += 4;
    return this;
  }

  /** A `bytes` field (wire type 2). */
  bytes(field: number, value: Uint8Array): this {
    this.key(field, WIRE_LEN);
    this.rawVarint(value.length);
    this.reserve(value.length);
    this.buffer.set(value, this.length);
    this.length += value.length;
    return this;
  }

  /** A `string` field, UTF-8. */
  string(field: number, value: string): this {
    return this.bytes(field, textEncoder.encode(value));
  }

  /** A nested message field: `build` writes its fields into this writer. */
  message(field: number, build: (writer: this) => void): this {
    this.key(field, WIRE_LEN);
    // Room for the longest length prefix; finish() writes the real one and closes the gap.
    this.reserve(MAX_PREFIX);
    const slot = this.prefixes.length;
    this.prefixes.push(this.length, 0);
    this.length += MAX_PREFIX;
    const start = this.length;
    const gapsBefore = this.gaps;
    build(this);
    // The body as it will be: less the gaps its own nested messages leave.
    const bodyLength = this.length - start - (this.gaps - gapsBefore);
    this.prefixes[slot + 1] = bodyLength;
    this.gaps += MAX_PREFIX - varintSize(bodyLength);
    return this;
  }

  /** A packed repeated varint field (int32, int64...); nothing when `values` is empty. */
  packedVarints(field: number, values: ArrayLike<number> | BigInt64Array): this {
    if (values.length === 0) return this;
    return this.message(field, (w) => {
      for (let i = 0; i < values.length; i++) w.rawVarint(values[i] as number | bigint);
    });
  }

  /** A packed repeated `float` field; nothing when `values` is empty. */
  packedFloats(field: number, values: Float32Array): this {
    if (values.length === 0) return this;
    const size = values.length * 4;
    this.key(field, WIRE_LEN);
    this.rawVarint(size);
    this.reserve(size);
    if (LITTLE_ENDIAN) {
      this.buffer.set(new Uint8Array(values.buffer, values.byteOffset, size), this.length);
    } else {
      for (let i = 0; i < values.length; i++) {
        this.view.setFloat32(this.length + i * 4, values[i] as number, true);
      }
    }
    this.length += size;
    return this;
  }

  /**
   * The message's bytes: a view of the writer's buffer (which may be longer). The writer is spent.
   */
  finish(): Uint8Array {
    const { prefixes, buffer } = this;
    // One pass in position order, moving bytes left: each prefix at its real length, then the
    // bytes up to the next prefix.
    let to = prefixes.length > 0 ? (prefixes[0] as number) : this.length;
    for (let i = 0; i < prefixes.length; i += 2) {
      for (let v = prefixes[i + 1] as number; ; v = Math.floor(v / 0x80)) {
        if (v < 0x80) {
          buffer[to++] = v;
          break;
        }
        buffer[to++] = (v % 0x80) | 0x80;
      }
      const from = (prefixes[i] as number) + MAX_PREFIX;
      const until = i + 2 < prefixes.length ? (prefixes[i + 2] as number) : this.length;
      buffer.copyWithin(to, from, until);
      to += until - from;
    }
    prefixes.length = 0;
    this.length = to;
    return buffer.subarray(0, to);
  }

  private key(field: number, wireType: number): void {
    if (!Number.isInteger(field) || field < 1 || field > 0x1fffffff) {
      throw new RangeError(`ProtoWriter: field must be an integer in [1, 2^29 - 1], but got ${field}.`);
    }
    this.rawVarint(field * 8 + wireType);
  }

  private rawVarint(value: number | bigint): void {
    if (typeof value === "number" && value >= 0 && Number.isSafeInteger(value)) {
      this.reserve(10);
      let v = value;
      while (v >= 0x80) {
        this.buffer[this.length++] = (v % 0x80) | 0x80;
        v = Math.floor(v / 0x80);
      }
      this.buffer[this.length++] = v;
      return;
    }
    if (typeof value === "number" && !Number.isSafeInteger(value)) {
      throw new RangeError(`ProtoWriter: a varint must be a safe integer or a bigint, but got ${value}.`);
    }
    let v = BigInt.asUintN(64, BigInt(value));
    this.reserve(10);
    while (v >= 0x80n) {
      this.buffer[this.length++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buffer[this.length++] = Number(v);
  }

  private reserve(bytes: number): void {
    const needed = this.length + bytes;
    if (needed <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(needed, this.buffer.length * 2));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
    this.view = new DataView(grown.buffer);
  }
}
