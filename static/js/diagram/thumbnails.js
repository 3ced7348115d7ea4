// The diagram's thumbnails: above each hidden unit a small picture of what it computes. For 2-D
// data that is the unit's activation over the input plane (from the output view's grid); for
// image data, the first layer's weights of each unit as an image. Pictures are computed once per
// grid (or weights), theme and layout, from a pool of canvases, and drawn on the thumbs canvas.

import { divergingLut, niceExtent } from "../colors.js";
import { cssVar } from "../dom.js";
import { isBounded } from "../nn.js";
import { maxAbsOf, paintDiverging, paintWeightVector } from "../paint.js";

/** Smallest thumbnail (CSS px) worth drawing; columns with less room get none. */
const MIN_SIZE = 12;

/** Side (CSS px) of the thumbnails of column c of a layout. */
export function thumbSize(geom, c) {
  const col = geom.columns[c];
  return Math.floor(Math.min(26, col.spacing - 2 * col.r - 6));
}

/** Top-left corner of the thumbnail of unit j of column c. */
function thumbOrigin(geom, c, j, size) {
  const g = geom.columns[c];
  return [g.x - size / 2, g.ys[j] - g.r - 3 - size];
}

export class Thumbnails {
  constructor(canvas) {
    this.canvas = canvas;
    this.source = null;
    this.images = null; // per column: array of canvases, or null
    this.pool = [];
    this.key = null;
  }

  /**
   * What to picture: {grid: {layers, outs, res} | null, layers (the weights an image task's
   * pictures show), activation, imageShape} (the output view's `thumbnailSource()`), or null.
   */
  setSource(source) {
    this.source = source;
  }

  clear() {
    this.source = null;
    this.images = null;
    this.key = null;
  }

  /** Recompute the pictures if their inputs changed, then draw them for layout `geom`. */
  draw(geom, theme) {
    if (!geom) return;
    this.compute(geom, theme);
    const ctx = this.canvas.getContext("2d");
    ctx.clearRect(0, 0, geom.width, geom.height);
    if (!this.images || this.images.length !== geom.columns.length) return;
    ctx.imageSmoothingEnabled = true;
    const border = cssVar("--line-2") || "#ccc";
    this.images.forEach((col, c) => {
      if (!col) return;
      const size = thumbSize(geom, c);
      if (size < MIN_SIZE) return;
      col.forEach((img, j) => {
        if (!img) return;
        const [x, y] = thumbOrigin(geom, c, j, size);
        ctx.drawImage(img, x, y, size, size);
        ctx.strokeStyle = border;
        ctx.lineWidth = 1;
        ctx.strokeRect(x - 0.5, y - 0.5, size + 1, size + 1);
      });
    });
  }

  /** The hidden unit whose thumbnail is under (x, y), as a selection, or null. */
  at(geom, x, y) {
    if (!this.images || !geom) return null;
    for (let c = 1; c < geom.columns.length - 1; c++) {
      const size = thumbSize(geom, c);
      if (size < MIN_SIZE || !this.images[c]) continue;
      for (let j = 0; j < geom.columns[c].ys.length; j++) {
        const [tx, ty] = thumbOrigin(geom, c, j, size);
        if (x >= tx && x <= tx + size && y >= ty && y <= ty + size) return { type: "neuron", layer: c, unit: j };
      }
    }
    return null;
  }

  compute(geom, theme) {
    const src = this.source;
    const wanted = geom.columns.map((_, c) => c > 0 && c < geom.columns.length - 1 && thumbSize(geom, c) >= MIN_SIZE);
    const basis = src?.imageShape ? src.layers : src?.grid;
    const key = basis ? [theme, src.activation, wanted.join()].join("|") : null;
    if (key === this.key && basis === this.basis) return;
    this.key = key;
    this.basis = basis;
    if (!basis) {
      this.images = null;
      return;
    }
    const lut = divergingLut(theme);
    this.images = src.imageShape ? this.weightImages(src, lut) : this.unitImages(src, wanted, lut);
  }

  /** A pooled canvas of `width` × `height` pixels. */
  canvasAt(i, width, height) {
    let c = this.pool[i];
    if (!c || c.width !== width || c.height !== height) {
      c = document.createElement("canvas");
      c.width = width;
      c.height = height;
      this.pool[i] = c;
    }
    return c;
  }

  /** One picture per hidden unit: its activation over the input plane. */
  unitImages({ grid, activation }, wanted, lut) {
    const { layers } = grid;
    const L = grid.outs.length;
    const res = grid.res;
    const n = res * res;
    const cols = [null];
    let used = 0;
    for (let l = 1; l < L; l++) {
      if (!wanted[l]) {
        cols.push(null);
        continue;
      }
      const a = grid.outs[l - 1];
      const units = layers[l - 1].W.length;
      const list = [];
      for (let j = 0; j < units; j++) {
        const c = this.canvasAt(used++, res, res);
        const valueAt = (p) => a[p * units + j];
        const ext = isBounded(activation) ? 1 : niceExtent(maxAbsOf(n, valueAt));
        paintDiverging(c.getContext("2d"), res, res, n, valueAt, ext, lut);
        list.push(c);
      }
      cols.push(list);
    }
    cols.push(null);
    return cols;
  }

  /** For image inputs: the first layer's weights of each unit, as a picture. */
  weightImages({ layers, imageShape }, lut) {
    if (!layers?.length) return null;
    const [rows, cols] = imageShape;
    const W = layers[0].W;
    if (W[0]?.length !== rows * cols) return null;
    const list = W.map((row, j) => {
      const c = this.canvasAt(j, cols, rows);
      paintWeightVector(c, row, lut);
      return c;
    });
    const out = Array.from({ length: layers.length + 1 }, () => null);
    if (layers.length > 1) out[1] = list;
    return out;
  }
}
