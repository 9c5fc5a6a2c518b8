import { ProtoWriter } from "@gqn/core";
import { CorruptRecordError } from "./errors.js";

// tf.train.Example on the protobuf wire: written with @gqn/core's ProtoWriter, read by hand. It is three
// nested messages; a generic protobuf runtime would add a dependency and a schema step for no speed gain
// (Example decode is ~1-2 us per record against ~400 us for the record's JPEGs), and this file runs
// unchanged in a browser.
//
//   Example  { Features features = 1; }
//   Features { map<string, Feature> feature = 1; }   // wire: repeated entry { string key = 1; Feature value = 2; }
//   Feature  { oneof kind { BytesList bytes_list = 1; FloatList float_list = 2; Int64List int64_list = 3; } }
//   BytesList { repeated bytes value = 1; }  FloatList { repeated float value = 1 [packed]; }
//   Int64List { repeated int64 value = 1 [packed]; }

/** One feature of a tf.train.Example. */
export type Feature =
  | { kind: "bytes"; value: Uint8Array[] }
  | { kind: "float"; value: Float32Array }
  | { kind: "int64"; value: BigInt64Array };

/** The features of a tf.train.Example, by name. */
export type Features = Record<string, Feature>;

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;
const textDecoder = new TextDecoder("utf-8", { fatal: true });
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ---------------------------------------------------------------------------------------------- encode

const LIST_FIELD = { bytes: 1, float: 2, int64: 3 } as const;

/**
 * Serialises features as a tf.train.Example: float and int64 lists packed, keys in the order given.
 * Round-trips with {@link decodeExample} and with TensorFlow's parser.
 */
export function encodeExample(features: Features): Uint8Array {
  const entries = Object.entries(features);
  let capacity = 16;
  for (const [name, feature] of entries) {
    if (!feature || !["bytes", "float", "int64"].includes(feature.kind)) {
      throw new TypeError(`encodeExample: feature "${name}" must have kind "bytes", "float" or "int64".`);
    }
    // Sized so a scene's frames are copied into the writer once, never regrown.
    capacity += 32 + name.length * 3 + 8 * feature.value.length;
    if (feature.kind === "bytes") for (const b of feature.value) capacity += b.length;
    else if (feature.kind === "float") capacity += feature.value.byteLength;
  }
  return new ProtoWriter(capacity)
    .message(1, (featureMap) => {
      for (const [name, feature] of entries) {
        featureMap.message(1, (entry) =>
          entry.string(1, name).message(2, (value) =>
            value.message(LIST_FIELD[feature.kind], (list) => {
              if (feature.kind === "bytes") for (const b of feature.value) list.bytes(1, b);
              else if (feature.kind === "float") list.packedFloats(1, feature.value);
              else list.packedVarints(1, feature.value);
            }),
          ),
        );
      }
    })
    .finish();
}

// ---------------------------------------------------------------------------------------------- decode

class Reader {
  pos: number;
  constructor(
    readonly bytes: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }
  fail(what: string): never {
    throw new CorruptRecordError("decodeExample", `malformed tf.train.Example: ${what} at byte ${this.pos}`);
  }
  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail("truncated varint");
      const b = this.bytes[this.pos++] as number;
      result += (b & 127) * scale;
      if (b < 128) {
        if (result > Number.MAX_SAFE_INTEGER) this.fail("varint too large");
        return result;
      }
      scale *= 128;
    }
    return this.fail("varint longer than 10 bytes");
  }
  int64(): bigint {
    let lo = 0;
    let hi = 0;
    let shift = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail("truncated varint");
      const b = this.bytes[this.pos++] as number;
      if (shift < 28) lo |= (b & 127) << shift;
      else if (shift === 28) {
        lo |= (b & 15) << 28;
        hi |= (b & 127) >>> 4;
      } else hi |= (b & 127) << (shift - 32);
      if (b < 128) return BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));
      shift += 7;
    }
    return this.fail("varint longer than 10 bytes");
  }
  length(): number {
    const n = this.varint();
    if (n > this.end - this.pos) this.fail(`length ${n} past the end of its message`);
    return n;
  }
  skip(wire: number): void {
    switch (wire) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_I64:
        this.advance(8);
        return;
      case WIRE_LEN: {
        const n = this.length();
        this.pos += n;
        return;
      }
      case WIRE_I32:
        this.advance(4);
        return;
      default:
        this.fail(`unsupported wire type ${wire}`);
    }
  }
  advance(n: number): void {
    if (n > this.end - this.pos) this.fail("truncated field");
    this.pos += n;
  }
}

function readFloats(bytes: Uint8Array, start: number, count: number, out: number[]): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset + start, count * 4);
  for (let i = 0; i < count; i++) out.push(view.getFloat32(i * 4, true));
}

function decodeFeature(r: Reader, end: number, name: string): Feature {
  let kind: Feature["kind"] | undefined;
  const bytesValues: Uint8Array[] = [];
  const floatChunks: Float32Array[] = [];
  const floatLoose: number[] = [];
  const intValues: bigint[] = [];
  while (r.pos < end) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (field < 1 || field > 3 || wire !== WIRE_LEN) {
      r.skip(wire);
      continue;
    }
    // A oneof: the last list present wins, as in protobuf.
    const next = field === 1 ? "bytes" : field === 2 ? "float" : "int64";
    if (kind !== next) {
      bytesValues.length = 0;
      floatChunks.length = 0;
      floatLoose.length = 0;
      intValues.length = 0;
      kind = next;
    }
    const listEndLength = r.length();
    const listEnd = r.pos + listEndLength;
    while (r.pos < listEnd) {
      const t = r.varint();
      const f = Math.floor(t / 8);
      const wt = t & 7;
      if (f !== 1) {
        r.skip(wt);
        continue;
      }
      if (kind === "bytes") {
        if (wt !== WIRE_LEN) r.fail(`bytes_list value with wire type ${wt}`);
        const n = r.length();
        bytesValues.push(r.bytes.subarray(r.pos, r.pos + n));
        r.pos += n;
      } else if (kind === "float") {
        if (wt === WIRE_LEN) {
          const n = r.length();
          if (n % 4) r.fail(`packed float_list of ${n} bytes`);
          if (floatLoose.length) {
            readFloats(r.bytes, r.pos, n / 4, floatLoose);
          } else if (LITTLE_ENDIAN) {
            floatChunks.push(new Float32Array(r.bytes.slice(r.pos, r.pos + n).buffer));
          } else {
            const tmp: number[] = [];
            readFloats(r.bytes, r.pos, n / 4, tmp);
            floatChunks.push(Float32Array.from(tmp));
          }
          r.pos += n;
        } else if (wt === WIRE_I32) {
          // Unpacked float: keep the order with any packed chunks before it.
          for (const chunk of floatChunks) for (const v of chunk) floatLoose.push(v);
          floatChunks.length = 0;
          const start = r.pos;
          r.advance(4);
          readFloats(r.bytes, start, 1, floatLoose);
        } else r.fail(`float_list value with wire type ${wt}`);
      } else if (wt === WIRE_LEN) {
        const packedEndLength = r.length();
        const packedEnd = r.pos + packedEndLength;
        const sub = new Reader(r.bytes, r.pos, packedEnd);
        while (sub.pos < packedEnd) intValues.push(sub.int64());
        r.pos = packedEnd;
      } else if (wt === WIRE_VARINT) {
        intValues.push(r.int64());
      } else r.fail(`int64_list value with wire type ${wt}`);
    }
    if (r.pos !== listEnd) r.fail(`list of feature "${name}" overruns its length`);
  }
  if (r.pos !== end) r.fail(`feature "${name}" overruns its length`);
  switch (kind) {
    case "bytes":
      return { kind, value: bytesValues };
    case "float": {
      if (floatLoose.length) return { kind, value: Float32Array.from(floatLoose) };
      if (floatChunks.length === 1) return { kind, value: floatChunks[0] as Float32Array };
      const total = floatChunks.reduce((s, c) => s + c.length, 0);
      const value = new Float32Array(total);
      let at = 0;
      for (const c of floatChunks) {
        value.set(c, at);
        at += c.length;
      }
      return { kind, value };
    }
    case "int64":
      return { kind, value: BigInt64Array.from(intValues) };
    default:
      // A Feature with no list set: TensorFlow treats it as an empty list of unknown kind; bytes is the
      // least surprising reading.
      return { kind: "bytes", value: [] };
  }
}

/**
 * Parses a serialised tf.train.Example. Accepts packed and unpacked float and int64 lists and skips
 * unknown fields. Bytes values are views into `bytes` (no copy): keep `bytes` unchanged while you use them.
 * Throws a {@link CorruptRecordError} (code `CORRUPT_RECORD`) on malformed input.
 */
export function decodeExample(bytes: Uint8Array): Features {
  const r = new Reader(bytes, 0, bytes.length);
  const features: Features = {};
  while (r.pos < r.end) {
    const tag = r.varint();
    if (tag !== ((1 << 3) | WIRE_LEN)) {
      r.skip(tag & 7);
      continue;
    }
    const featuresEndLength = r.length();
    const featuresEnd = r.pos + featuresEndLength;
    while (r.pos < featuresEnd) {
      const t = r.varint();
      if (t !== ((1 << 3) | WIRE_LEN)) {
        r.skip(t & 7);
        continue;
      }
      const entryEndLength = r.length();
      const entryEnd = r.pos + entryEndLength;
      let key = "";
      let feature: Feature = { kind: "bytes", value: [] };
      while (r.pos < entryEnd) {
        const et = r.varint();
        if (et === ((1 << 3) | WIRE_LEN)) {
          const n = r.length();
          try {
            key = textDecoder.decode(bytes.subarray(r.pos, r.pos + n));
          } catch {
            r.fail("feature name is not UTF-8");
          }
          r.pos += n;
        } else if (et === ((2 << 3) | WIRE_LEN)) {
          const n = r.length();
          feature = decodeFeature(r, r.pos + n, key);
        } else r.skip(et & 7);
      }
      if (r.pos !== entryEnd) r.fail("feature map entry overruns its length");
      features[key] = feature;
    }
    if (r.pos !== featuresEnd) r.fail("Features overruns its length");
  }
  return features;
}
