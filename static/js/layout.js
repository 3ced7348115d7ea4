// Where every neuron of the diagram goes (pure; unit-tested). Columns left to right: the input,
// the hidden layers, the output. Each column centres its units vertically.

export const MARGIN = { top: 40, bottom: 26, left: 46, right: 112 };

/**
 * @param {number[]} sizes units per column: [inputs, hidden…, outputs]
 * @param {number} width  @param {number} height  CSS pixels of the diagram
 * @param {{image?: number[]|null}} [opts] image input shape (e.g. [8, 8]): draw the input as a picture
 * @returns {{columns: Array<{x: number, ys: number[], r: number, spacing: number}>,
 *            image: {x: number, y: number, size: number}|null, width: number, height: number}}
 */
export function layoutColumns(sizes, width, height, opts = {}) {
  const top = MARGIN.top;
  const bottom = height - MARGIN.bottom;
  const avail = Math.max(40, bottom - top);
  let image = null;
  let x0 = MARGIN.left;
  if (opts.image) {
    const size = Math.max(48, Math.min(140, avail * 0.55, width * 0.18));
    image = { x: 10, y: top + (avail - size) / 2, size };
    x0 = 10 + size;
  }
  const x1 = width - MARGIN.right;
  const n = sizes.length;
  const columns = sizes.map((units, c) => {
    const x = n === 1 ? x0 : x0 + ((x1 - x0) * c) / (n - 1);
    const spacing = Math.min(72, avail / Math.max(1, units));
    // Smaller neurons when hidden units carry a heatmap thumbnail above them.
    const k = opts.thumbs && c > 0 && c < n - 1 ? 0.26 : 0.34;
    const r = Math.max(Math.min(2.5, spacing * 0.45), Math.min(opts.thumbs ? 13 : 15, spacing * k));
    const start = top + (avail - spacing * units) / 2 + spacing / 2;
    const ys = Array.from({ length: units }, (_, i) => start + i * spacing);
    return { x, ys, r, spacing };
  });
  if (image) {
    // The input "neurons" of an image are its pixels: place them on the picture's grid.
    const [rows, cols] = opts.image;
    const cell = image.size / cols;
    columns[0] = {
      x: image.x + image.size,
      ys: columns[0].ys.map((_, i) => image.y + (Math.floor(i / cols) + 0.5) * (image.size / rows)),
      xs: columns[0].ys.map((_, i) => image.x + ((i % cols) + 0.5) * cell),
      r: cell / 2,
      spacing: cell,
      image: true,
    };
  }
  return { columns, image, width, height };
}

/** Point at parameter t ∈ [0, 1] on the cubic edge curve from (x0, y0) to (x1, y1). */
export function edgePoint(x0, y0, x1, y1, t) {
  const mx = (x0 + x1) / 2;
  const u = 1 - t;
  // Control points (mx, y0) and (mx, y1): a horizontal S-curve.
  const x = u * u * u * x0 + 3 * u * u * t * mx + 3 * u * t * t * mx + t * t * t * x1;
  const y = u * u * u * y0 + 3 * u * u * t * y0 + 3 * u * t * t * y1 + t * t * t * y1;
  return [x, y];
}

/** Distance from point (px, py) to the edge curve, approximated by a 12-segment polyline. */
export function distanceToEdge(px, py, x0, y0, x1, y1) {
  let best = Infinity;
  let [ax, ay] = [x0, y0];
  for (let k = 1; k <= 12; k++) {
    const [bx, by] = edgePoint(x0, y0, x1, y1, k / 12);
    const dx = bx - ax;
    const dy = by - ay;
    const len2 = dx * dx + dy * dy || 1;
    const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len2));
    const d = Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
    if (d < best) best = d;
    ax = bx;
    ay = by;
  }
  return best;
}

/** Edge width in pixels for weight w given the largest |w| drawn (width ∝ |w|). */
export function edgeWidth(w, maxAbs, maxWidth = 7) {
  if (!Number.isFinite(w) || !(maxAbs > 0)) return 0.5;
  return 0.4 + (maxWidth - 0.4) * Math.min(1, Math.abs(w) / maxAbs);
}
