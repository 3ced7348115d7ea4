// Pixel pictures on canvases, shared by every view that draws one: grey-scale images (the digits'
// pixels) and diverging maps (a unit's activation over the input plane, a unit's weights).

import { lutIndex } from "./colors.js";

/** Largest |valueAt(p)| over p < n (finite values only). */
export function maxAbsOf(n, valueAt) {
  let m = 0;
  for (let p = 0; p < n; p++) {
    const v = Math.abs(valueAt(p));
    if (v > m) m = v;
  }
  return m;
}

/**
 * Paint an image of `rows` × `cols` grey pixels (row-major `values`, scaled to [lo, hi]) onto the
 * canvas's 2-D context at its origin: dark ink on light paper, or light ink on dark. `values`
 * null paints the background value `lo` everywhere.
 */
export function paintGray(ctx, values, rows, cols, [lo, hi], theme) {
  const img = ctx.createImageData(cols, rows);
  const dark = theme === "dark";
  for (let p = 0; p < rows * cols; p++) {
    const v = values ? values[p] : lo;
    const t = Math.max(0, Math.min(1, (v - lo) / (hi - lo || 1)));
    const g = dark ? 30 + 220 * t : 250 - 230 * t;
    img.data[p * 4] = g;
    img.data[p * 4 + 1] = g;
    img.data[p * 4 + 2] = dark ? g : Math.min(255, g + 6);
    img.data[p * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

/**
 * Paint `n` pixels of a `width` × `height` image with the diverging colours of `lut` (colors.js):
 * pixel p shows valueAt(p) / ext.
 */
export function paintDiverging(ctx, width, height, n, valueAt, ext, lut) {
  const img = ctx.createImageData(width, height);
  const px = img.data;
  for (let p = 0; p < n; p++) {
    const k = lutIndex(valueAt(p) / ext) * 3;
    px[p * 4] = lut[k];
    px[p * 4 + 1] = lut[k + 1];
    px[p * 4 + 2] = lut[k + 2];
    px[p * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

/** A vector of weights as a picture on `canvas` (one pixel each), scaled by its largest |w|. */
export function paintWeightVector(canvas, row, lut) {
  const m = maxAbsOf(row.length, (p) => row[p]);
  paintDiverging(canvas.getContext("2d"), canvas.width, canvas.height, row.length, (p) => row[p], m || 1, lut);
}
