/** Size and channels of a JPEG, read from its frame header without decoding. */
export interface JpegInfo {
  width: number;
  height: number;
  /** 3 for colour (YCbCr/RGB), 1 for greyscale. */
  components: number;
}

/**
 * Reads a JPEG's frame header (SOFn marker). Returns `undefined` when `bytes` is not a JPEG (no SOI marker)
 * or has no frame header before its scan. Cheap (walks marker lengths only), so batches check every frame's
 * size before any decoding.
 */
export function readJpegInfo(bytes: Uint8Array): JpegInfo | undefined {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined;
  let i = 2;
  while (i + 4 <= bytes.length) {
    if (bytes[i] !== 0xff) return undefined;
    const marker = bytes[i + 1] as number;
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    const length = ((bytes[i + 2] as number) << 8) | (bytes[i + 3] as number);
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (i + 10 > bytes.length) return undefined;
      return {
        height: ((bytes[i + 5] as number) << 8) | (bytes[i + 6] as number),
        width: ((bytes[i + 7] as number) << 8) | (bytes[i + 8] as number),
        components: bytes[i + 9] as number,
      };
    }
    if (marker === 0xda || marker === 0xd9) return undefined; // scan or end before any frame header
    i += 2 + length;
  }
  return undefined;
}
