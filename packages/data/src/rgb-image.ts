/** A decoded image: `width * height * 3` RGB bytes, row-major. The one image type of @gqn. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}
