/** One field of a protobuf message: varints as bigint, fixed64 as a double, fixed32 as a float, else bytes. */
export interface ProtoField {
  field: number;
  value: bigint | number | Uint8Array;
}

/**
 * Splits a protobuf message into its fields (test helper, independent of the encoder under
 * test: it reads the wire format from the spec, and throws on anything malformed).
 */
export function protoFields(bytes: Uint8Array): ProtoField[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields: ProtoField[] = [];
  let at = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (at >= bytes.length) throw new Error("truncated varint");
      const b = bytes[at++] as number;
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return result;
    }
  };
  while (at < bytes.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === 0) fields.push({ field, value: varint() });
    else if (wire === 1) {
      fields.push({ field, value: view.getFloat64(at, true) });
      at += 8;
    } else if (wire === 5) {
      fields.push({ field, value: view.getFloat32(at, true) });
      at += 4;
    } else if (wire === 2) {
      const length = Number(varint());
      if (at + length > bytes.length) throw new Error("truncated bytes");
      fields.push({ field, value: bytes.subarray(at, at + length) });
      at += length;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
  return fields;
}

/** The first field with this number (throws when absent). */
export function fieldOf(fields: ProtoField[], field: number): ProtoField["value"] {
  const found = fields.find((f) => f.field === field);
  if (!found) throw new Error(`no field ${field}`);
  return found.value;
}
