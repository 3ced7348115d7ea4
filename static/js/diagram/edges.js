// The diagram's edges on their canvas: width ∝ |w|, colour = sign, batched into a few paths by
// sign and width when nothing glows (thousands of edges stay cheap every frame); at the update
// each edge glows by its |dW| (the gradient of that weight). The input of an image task sends one bundle per hidden
// unit (width ∝ the RMS of its weights) instead of 64 edges each.

import { diverging } from "../colors.js";
import { distanceToEdge, edgeWidth } from "../layout.js";

/** Source and target points [x0, y0, x1, y1] of the edge from unit i of column l−1 to unit j of column l. */
export function edgeEnds(geom, l, j, i) {
  const { columns, image } = geom;
  const a = columns[l - 1];
  const b = columns[l];
  if (l === 1 && image) {
    // One bundle per hidden unit leaves the picture's right edge.
    const n = columns[1].ys.length;
    return [image.x + image.size, image.y + ((j + 0.5) / n) * image.size, b.x - b.r, b.ys[j]];
  }
  return [a.x + a.r, a.ys[i], b.x - b.r, b.ys[j]];
}

/** Add the edge's curve (or a straight line) from (x0, y0) to (x1, y1) to a path or context. */
export function traceEdge(path, [x0, y0, x1, y1], straight = false) {
  path.moveTo(x0, y0);
  if (straight) path.lineTo(x1, y1);
  else {
    const mx = (x0 + x1) / 2;
    path.bezierCurveTo(mx, y0, mx, y1, x1, y1);
  }
}

/** Largest finite |w| over every layer's W. */
function largestWeight(weights) {
  let maxAbs = 0;
  for (const layer of weights) for (const row of layer.W) for (const w of row) if (Math.abs(w) > maxAbs && Number.isFinite(w)) maxAbs = Math.abs(w);
  return maxAbs;
}

/**
 * Draw every edge of `weights` on `ctx` for layout `geom`. `glow` (per layer {W: dW}) lights each
 * edge by its |dW| with strength `glowAlpha`; `bundleColor` colours an image input's bundles.
 * Returns the |w| that has the widest edge (the legend's scale).
 */
export function paintEdges(ctx, geom, weights, { theme, glow = null, glowAlpha = 0, bundleColor }) {
  const { width, height } = geom;
  ctx.clearRect(0, 0, width, height);
  const edgeMax = Math.max(0.5, largestWeight(weights));
  const neg = diverging(-0.75, theme);
  const pos = diverging(0.75, theme);
  const glowColor = theme === "dark" ? "rgba(255,236,150," : "rgba(220,160,0,";
  let total = 0;
  for (const layer of weights) total += layer.W.length * (layer.W[0]?.length ?? 0);
  const straight = total > 1500;
  ctx.globalAlpha = total > 600 ? 0.55 : 0.85;
  ctx.lineCap = "round";
  const maxWidth = total > 600 ? 3 : 7;
  // Without a glow, edges are batched into a few paths by sign and width (0.5 px steps): one
  // stroke per bucket instead of one per edge.
  const buckets = glowAlpha > 0 && glow ? null : new Map();
  weights.forEach((layer, k) => {
    const l = k + 1;
    if (l === 1 && geom.image) {
      paintImageBundles(ctx, geom, layer.W, bundleColor);
      return;
    }
    let gmax = 0;
    const g = buckets ? null : glow?.[k]?.W;
    if (g) for (const row of g) for (const v of row) if (Math.abs(v) > gmax) gmax = Math.abs(v);
    for (let j = 0; j < layer.W.length; j++) {
      const row = layer.W[j];
      for (let i = 0; i < row.length; i++) {
        const w = row[i];
        const ends = edgeEnds(geom, l, j, i);
        const lineWidth = edgeWidth(w, edgeMax, maxWidth);
        if (buckets) {
          const level = Math.max(1, Math.round(lineWidth * 2));
          const key = (w < 0 ? -1 : 1) * level;
          let path = buckets.get(key);
          if (!path) buckets.set(key, (path = new Path2D()));
          traceEdge(path, ends, straight);
          continue;
        }
        ctx.beginPath();
        traceEdge(ctx, ends, straight);
        ctx.strokeStyle = w < 0 ? neg : pos;
        ctx.lineWidth = lineWidth;
        ctx.stroke();
        if (g && gmax > 0) {
          const strength = Math.abs(g[j][i]) / gmax;
          if (strength > 0.02) {
            ctx.save();
            ctx.globalAlpha = 1;
            ctx.strokeStyle = `${glowColor}${(glowAlpha * strength * 0.9).toFixed(3)})`;
            ctx.lineWidth = lineWidth + 3 + 4 * strength;
            ctx.stroke();
            ctx.restore();
          }
        }
      }
    }
  });
  if (buckets) {
    for (const [key, path] of [...buckets].sort((a, b) => Math.abs(a[0]) - Math.abs(b[0]))) {
      ctx.strokeStyle = key < 0 ? neg : pos;
      ctx.lineWidth = Math.abs(key) / 2;
      ctx.stroke(path);
    }
  }
  ctx.globalAlpha = 1;
  return edgeMax;
}

function paintImageBundles(ctx, geom, W, color) {
  let maxNorm = 0;
  const norms = W.map((row) => Math.sqrt(row.reduce((a, w) => a + w * w, 0) / Math.max(1, row.length)));
  for (const v of norms) if (v > maxNorm) maxNorm = v;
  ctx.strokeStyle = color;
  W.forEach((_, j) => {
    ctx.beginPath();
    traceEdge(ctx, edgeEnds(geom, 1, j, 0));
    ctx.lineWidth = edgeWidth(norms[j], maxNorm || 1, 4);
    ctx.stroke();
  });
}

/** The edge within 6 px of (x, y) nearest to it, as a selection {type: "edge", layer, row, col}, or null. */
export function edgeNear(geom, weights, x, y) {
  let best = null;
  let bestD = 6;
  weights.forEach((layer, k) => {
    const l = k + 1;
    if (l === 1 && geom.image) return;
    const a = geom.columns[l - 1];
    const b = geom.columns[l];
    if (x < a.x - 2 || x > b.x + 2) return;
    for (let j = 0; j < layer.W.length; j++) {
      for (let i = 0; i < layer.W[j].length; i++) {
        const [x0, y0, x1, y1] = edgeEnds(geom, l, j, i);
        const d = distanceToEdge(x, y, x0, y0, x1, y1);
        if (d < bestD) {
          bestD = d;
          best = { type: "edge", layer: l, row: j, col: i };
        }
      }
    }
  });
  return best;
}
