import type { Rgb } from "./scene.js";

/** HSV (each in [0, 1]) to RGB. */
function hsvToRgb(hue: number, saturation: number, value: number): Rgb {
  const h = (((hue % 1) + 1) % 1) * 6;
  const sector = Math.floor(h);
  const f = h - sector;
  const p = value * (1 - saturation);
  const q = value * (1 - saturation * f);
  const t = value * (1 - saturation * (1 - f));
  switch (sector) {
    case 0:
      return [value, t, p];
    case 1:
      return [q, value, p];
    case 2:
      return [p, value, t];
    case 3:
      return [p, q, value];
    case 4:
      return [t, p, value];
    default:
      return [value, p, q];
  }
}

/** `count` saturated colours at evenly spaced hues (the Shepard-Metzler palette has 10). */
export function saturatedPalette(count: number): Rgb[] {
  return Array.from({ length: count }, (_, i) => hsvToRgb(i / count, 1, 1));
}
