// The output view's big picture, painted pixel by pixel from the network's outputs over a grid of
// the input plane: the decision boundary (two classes on the diverging scale, more classes in
// their colours, paler where less sure), the regression surface, or one hidden unit's activation.

import { classColor, hexToRgb, lutIndex, niceExtent, NEUTRAL } from "../colors.js";
import { isBounded } from "../nn.js";
import { isClassification } from "../protocol.js";
import { maxAbsOf, paintDiverging } from "../paint.js";

export const GRID = 48;
const MIN_GRID = 20;
/** Multiply-adds per heatmap the page allows itself (≈ 3 ms); wider nets get a coarser grid. */
const GRID_BUDGET = 3e6;

/** Grid resolution for a network with `params` weights: 48 × 48 unless that costs too much. */
export function gridFor(params) {
  if (!(params > 0)) return GRID;
  return Math.max(MIN_GRID, Math.min(GRID, Math.floor(Math.sqrt(GRID_BUDGET / params))));
}

/** Paint unit `unit` of hidden layer `layer` over the grid (its own scale unless bounded). */
export function paintUnit(ctx, grid, layers, { layer, unit }, activation, lut) {
  const n = grid.res * grid.res;
  const a = grid.outs[layer - 1];
  const units = layers[layer - 1].W.length;
  const valueAt = (p) => a[p * units + unit];
  const ext = isBounded(activation) ? 1 : niceExtent(maxAbsOf(n, valueAt));
  paintDiverging(ctx, grid.res, grid.res, n, valueAt, ext, lut);
}

/**
 * Paint the network's output over the grid. `task` and `k` (output units) choose the picture;
 * `discretize` shows hard decisions; `yExtent` scales a regression's targets.
 */
export function paintOutput(ctx, grid, { task, k, discretize, yExtent, theme, lut }) {
  const img = ctx.createImageData(grid.res, grid.res);
  const px = img.data;
  const n = grid.res * grid.res;
  const out = grid.outs[grid.outs.length - 1];
  const colour = pixelColour({ out, task, k, discretize, yExtent, theme, lut });
  for (let p = 0; p < n; p++) {
    const [r, g, b] = colour(p);
    px[p * 4] = r;
    px[p * 4 + 1] = g;
    px[p * 4 + 2] = b;
    px[p * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

/** The function pixel p → [r, g, b] for a task's output. */
function pixelColour({ out, task, k, discretize, yExtent, theme, lut }) {
  const fromLut = (t) => {
    const i = lutIndex(t) * 3;
    return [lut[i], lut[i + 1], lut[i + 2]];
  };
  if (!isClassification(task)) {
    return (p) => {
      let t = out[p * k] / yExtent;
      if (discretize) t = Math.round(t * 4) / 4;
      return fromLut(t);
    };
  }
  if (k === 2) {
    return (p) => {
      let t = out[p * 2 + 1] - out[p * 2];
      if (discretize) t = t >= 0 ? 1 : -1;
      return fromLut(t * 0.85);
    };
  }
  const neutral = hexToRgb(NEUTRAL[theme] ?? NEUTRAL.light);
  const classRgb = Array.from({ length: k }, (_, c) => hexToRgb(classColor(c)));
  return (p) => {
    let best = 0;
    for (let c = 1; c < k; c++) if (out[p * k + c] > out[p * k + best]) best = c;
    const conf = discretize ? 0.75 : Math.max(0, (out[p * k + best] - 1 / k) / (1 - 1 / k)) * 0.8;
    const col = classRgb[best];
    return [0, 1, 2].map((i) => neutral[i] + (col[i] - neutral[i]) * conf);
  };
}
