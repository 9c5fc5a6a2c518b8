// gifenc ships no types; these are the calls this package makes (see its README). Its Node entry
// is CommonJS without static named exports, so it is imported as a default.
declare module "gifenc" {
  type Palette = number[][];
  interface GifEncoder {
    writeFrame(
      index: Uint8Array,
      width: number,
      height: number,
      options?: { palette?: Palette; delay?: number; repeat?: number; first?: boolean },
    ): void;
    finish(): void;
    bytes(): Uint8Array;
  }
  const gifenc: {
    GIFEncoder(options?: { auto?: boolean; initialCapacity?: number }): GifEncoder;
    quantize(rgba: Uint8Array | Uint8ClampedArray, maxColors: number, options?: object): Palette;
    applyPalette(rgba: Uint8Array | Uint8ClampedArray, palette: Palette, format?: string): Uint8Array;
  };
  export default gifenc;
}
