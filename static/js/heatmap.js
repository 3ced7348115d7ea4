// The output view: the decision boundary (or regression surface) computed in the browser from the
// streamed weights on a grid, with the train (and optionally test) points; the hidden units'
// thumbnails for the diagram; for image data, a gallery of digits and the output probabilities.

import { scaleLinear } from "../vendor/d3/d3.esm.min.js";
import { classColor, divergingLut, diverging, hexToRgb, lutIndex, niceExtent, NEUTRAL } from "./colors.js";
import { cssVar, fitCanvas, h } from "./dom.js";
import { forwardGrid, gridInputs, inputFeatures } from "./nn.js";
import { classPhrase, formatNumber } from "./format.js";

export const GRID = 48;
const MIN_GRID = 20;
/** Multiply-adds per heatmap the page allows itself (≈ 3 ms); wider nets get a coarser grid. */
const GRID_BUDGET = 3e6;

/** Grid resolution for a network with `params` weights: 48 × 48 unless that costs too much. */
export function gridFor(params) {
  if (!(params > 0)) return GRID;
  return Math.max(MIN_GRID, Math.min(GRID, Math.floor(Math.sqrt(GRID_BUDGET / params))));
}
const PAD = { left: 22, bottom: 18, top: 2, right: 2 };

export class OutputView {
  constructor(root, hooks) {
    this.root = root;
    this.hooks = hooks;
    this.theme = "light";
    this.data = null;
    this.layers = null;
    this.config = null;
    this.showTest = false;
    this.discretize = false;
    this.follow = null;
    this.preview = null;
    this.thumbs = null;
    this.lut = divergingLut("light");
    this.heat = h("canvas", { class: "heat", width: GRID, height: GRID, "aria-hidden": "true" });
    this.points = h("canvas", { class: "points", role: "img", "aria-label": "Data points over the decision boundary; click a point to follow it" });
    this.label = h("div", { class: "heat-label", hidden: true });
    this.gallery = h("div", { class: "gallery", role: "group", "aria-label": "Digit samples" });
    this.probs = h("div", { class: "probs", "aria-label": "Output probabilities" });
    this.points.addEventListener("click", (e) => this.onClick(e));
    this.points.addEventListener("mousemove", (e) => this.onMove(e));
    this.points.addEventListener("mouseleave", () => this.hooks.tooltip?.(null));
    new ResizeObserver(() => this.resize()).observe(root);
  }

  setTheme(theme) {
    this.theme = theme;
    this.lut = divergingLut(theme);
    this.lastKey = null;
    this.render(true);
    this.drawPoints();
  }

  setOptions({ showTest, discretize }) {
    this.showTest = showTest;
    this.discretize = discretize;
    this.render(true);
    this.drawPoints();
  }

  setData(data) {
    this.data = data;
    this.image = Boolean(data?.image_shape);
    this.root.classList.toggle("digits", this.image);
    this.grid = null;
    this.thumbCanvases = null;
    if (this.image) {
      this.buildGallery();
      this.root.replaceChildren(this.gallery, this.probs);
    } else {
      this.root.replaceChildren(this.heat, this.points, this.label);
      this.computeDomain();
    }
    this.resize();
  }

  computeDomain() {
    let m = 0;
    for (const split of ["train", "test"]) for (const p of this.data?.[split]?.points ?? []) m = Math.max(m, Math.abs(p[0]), Math.abs(p[1]));
    const d = m > 0 ? Math.ceil(m * 1.05 * 2) / 2 : 1;
    this.domain = [-d, d];
    this.features = inputFeatures(this.data) ?? ["x1", "x2"];
    this.res = 0;
    let ymax = 0;
    if (this.data?.task === "regression") for (const y of this.data.train.y) ymax = Math.max(ymax, Math.abs(Array.isArray(y) ? y[0] : y));
    this.yExtent = niceExtent(ymax || 1);
  }

  buildGallery() {
    const xs = this.data.train.x ?? [];
    const [rows, cols] = this.data.image_shape;
    let lo = Infinity;
    let hi = -Infinity;
    for (const x of xs) for (const v of x) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    this.pixelRange = [lo, hi];
    this.gallery.replaceChildren();
    this.galleryButtons = xs.map((x, i) => {
      const c = h("canvas", { width: cols, height: rows });
      this.paintImage(c, x, rows, cols);
      const y = this.data.train.y[i];
      const b = h("button", { type: "button", "aria-label": `Digit sample ${i} (label ${y})`, "aria-pressed": "false", title: `Sample #${i}, label ${y}`, onclick: () => this.hooks.onPick(this.follow === i ? null : i, "train") }, c);
      this.gallery.append(b);
      return b;
    });
  }

  paintImage(canvas, x, rows, cols) {
    const ctx = canvas.getContext("2d");
    const img = ctx.createImageData(cols, rows);
    const [lo, hi] = this.pixelRange ?? [0, 1];
    const dark = this.theme === "dark";
    for (let p = 0; p < rows * cols; p++) {
      const t = Math.max(0, Math.min(1, (x[p] - lo) / (hi - lo || 1)));
      const g = dark ? 30 + 220 * t : 250 - 230 * t;
      img.data.set([g, g, dark ? g : Math.min(255, g + 6), 255], p * 4);
    }
    ctx.putImageData(img, 0, 0);
  }

  resize() {
    if (this.image || !this.data) return;
    const size = this.root.clientWidth;
    if (size < 10) return;
    this.size = size;
    fitCanvas(this.points, size, size);
    const inner = { x: PAD.left, y: PAD.top, w: size - PAD.left - PAD.right, h: size - PAD.top - PAD.bottom };
    this.inner = inner;
    Object.assign(this.heat.style, { left: `${inner.x}px`, top: `${inner.y}px`, width: `${inner.w}px`, height: `${inner.h}px` });
    this.sx = scaleLinear().domain(this.domain).range([inner.x, inner.x + inner.w]);
    this.sy = scaleLinear().domain(this.domain).range([inner.y + inner.h, inner.y]);
    this.drawPoints();
  }

  /** New weights: recompute the grid (once per weights object) and redraw. */
  setWeights(layers, config, { playing = false } = {}) {
    this.layers = layers;
    this.config = config;
    // While playing, a costly heatmap is redrawn less often: at most a quarter of the time.
    const now = performance.now();
    if (playing && this.cost > 2 && now - (this.lastRender ?? 0) < this.cost * 4) return;
    const t0 = performance.now();
    this.render();
    this.cost = performance.now() - t0;
    this.lastRender = now;
  }

  compute() {
    if (!this.layers || !this.data || this.image) return null;
    if (this.grid && this.grid.layers === this.layers) return this.grid;
    const d = this.features.length;
    if (this.layers[0]?.W[0]?.length !== d) return null;
    let params = 0;
    for (const l of this.layers) params += l.W.length * (l.W[0]?.length ?? 0);
    const res = gridFor(params);
    if (res !== this.res) {
      this.res = res;
      this.inputs = gridInputs(res, this.domain, this.domain, this.features);
      this.heat.width = res;
      this.heat.height = res;
      this.thumbPool = [];
    }
    const outs = forwardGrid(this.layers, this.inputs, res * res, this.config?.activation ?? "tanh", this.data.task);
    this.grid = { layers: this.layers, outs, res };
    return this.grid;
  }

  render(force = false) {
    if (this.image) {
      this.thumbCanvases = this.layers ? this.weightImages() : null;
      return;
    }
    const grid = this.compute();
    if (!grid) return;
    const key = `${this.discretize}|${this.theme}|${JSON.stringify(this.preview)}`;
    if (!force && this.lastGrid === grid && this.lastKey === key) return;
    this.lastGrid = grid;
    this.lastKey = key;
    const ctx = this.heat.getContext("2d");
    const img = ctx.createImageData(grid.res, grid.res);
    const L = grid.outs.length;
    const n = grid.res * grid.res;
    const lut = this.lut;
    const px = img.data;
    if (this.preview && this.preview.layer >= 1 && this.preview.layer < L) {
      const a = grid.outs[this.preview.layer - 1];
      const units = this.layers[this.preview.layer - 1].W.length;
      const j = this.preview.unit;
      let m = 0;
      for (let p = 0; p < n; p++) m = Math.max(m, Math.abs(a[p * units + j]));
      const ext = ["tanh", "sigmoid"].includes(this.config?.activation) ? 1 : niceExtent(m);
      for (let p = 0; p < n; p++) {
        const k = lutIndex(a[p * units + j] / ext) * 3;
        px[p * 4] = lut[k];
        px[p * 4 + 1] = lut[k + 1];
        px[p * 4 + 2] = lut[k + 2];
        px[p * 4 + 3] = 255;
      }
      this.label.hidden = false;
      this.label.textContent = `Layer ${this.preview.layer}, unit ${j + 1}`;
    } else {
      this.label.hidden = true;
      const out = grid.outs[L - 1];
      const k = this.layers[L - 1].W.length;
      const classification = this.data.task === "classification";
      const neutral = hexToRgb(NEUTRAL[this.theme] ?? NEUTRAL.light);
      const classRgb = Array.from({ length: k }, (_, c) => hexToRgb(classColor(c)));
      for (let p = 0; p < n; p++) {
        let r;
        let g;
        let b;
        if (classification && k === 2) {
          let t = out[p * 2 + 1] - out[p * 2];
          if (this.discretize) t = t >= 0 ? 1 : -1;
          const i = lutIndex(t * 0.85) * 3;
          [r, g, b] = [lut[i], lut[i + 1], lut[i + 2]];
        } else if (classification) {
          let best = 0;
          for (let c = 1; c < k; c++) if (out[p * k + c] > out[p * k + best]) best = c;
          const conf = this.discretize ? 0.75 : Math.max(0, (out[p * k + best] - 1 / k) / (1 - 1 / k)) * 0.8;
          const col = classRgb[best];
          r = neutral[0] + (col[0] - neutral[0]) * conf;
          g = neutral[1] + (col[1] - neutral[1]) * conf;
          b = neutral[2] + (col[2] - neutral[2]) * conf;
        } else {
          let t = out[p * k] / this.yExtent;
          if (this.discretize) t = Math.round(t * 4) / 4;
          const i = lutIndex(t) * 3;
          [r, g, b] = [lut[i], lut[i + 1], lut[i + 2]];
        }
        px[p * 4] = r;
        px[p * 4 + 1] = g;
        px[p * 4 + 2] = b;
        px[p * 4 + 3] = 255;
      }
    }
    ctx.putImageData(img, 0, 0);
    this.thumbCanvases = this.hiddenThumbnails(grid);
  }

  /** One small canvas per hidden unit: its activation over the input plane. */
  hiddenThumbnails(grid) {
    const L = grid.outs.length;
    const res = grid.res;
    if (!this.thumbPool) this.thumbPool = [];
    const cols = [null];
    let used = 0;
    const bounded = ["tanh", "sigmoid"].includes(this.config?.activation);
    for (let l = 1; l < L; l++) {
      const a = grid.outs[l - 1];
      const units = this.layers[l - 1].W.length;
      const list = [];
      if (this.wantThumbs && !this.wantThumbs(l)) {
        cols.push(null);
        continue;
      }
      for (let j = 0; j < units; j++) {
        let c = this.thumbPool[used];
        if (!c || c.width !== res) {
          c = document.createElement("canvas");
          c.width = res;
          c.height = res;
          this.thumbPool[used] = c;
        }
        used++;
        let m = 0;
        if (!bounded) for (let p = 0; p < res * res; p++) m = Math.max(m, Math.abs(a[p * units + j]));
        const ext = bounded ? 1 : niceExtent(m);
        const ctx = c.getContext("2d");
        const img = ctx.createImageData(res, res);
        for (let p = 0; p < res * res; p++) {
          const k = lutIndex(a[p * units + j] / ext) * 3;
          img.data[p * 4] = this.lut[k];
          img.data[p * 4 + 1] = this.lut[k + 1];
          img.data[p * 4 + 2] = this.lut[k + 2];
          img.data[p * 4 + 3] = 255;
        }
        ctx.putImageData(img, 0, 0);
        list.push(c);
      }
      cols.push(list);
    }
    cols.push(null);
    return cols;
  }

  /** For image inputs: the first layer's weights of each unit, as a picture. */
  weightImages() {
    if (!this.layers?.length) return null;
    const [rows, cols] = this.data.image_shape;
    const W = this.layers[0].W;
    if (W[0]?.length !== rows * cols) return null;
    if (!this.thumbPool) this.thumbPool = [];
    const list = W.map((row, j) => {
      let c = this.thumbPool[j];
      if (!c || c.width !== cols) {
        c = document.createElement("canvas");
        c.width = cols;
        c.height = rows;
        this.thumbPool[j] = c;
      }
      let m = 0;
      for (const w of row) m = Math.max(m, Math.abs(w));
      const ctx = c.getContext("2d");
      const img = ctx.createImageData(cols, rows);
      for (let p = 0; p < row.length; p++) {
        const k = lutIndex(row[p] / (m || 1)) * 3;
        img.data.set([this.lut[k], this.lut[k + 1], this.lut[k + 2], 255], p * 4);
      }
      ctx.putImageData(img, 0, 0);
      return c;
    });
    const out = Array.from({ length: this.layers.length + 1 }, () => null);
    if (this.layers.length > 1) out[1] = list;
    return out;
  }

  /** Hovering a hidden unit shows its own heatmap in the big view. */
  setPreview(sel) {
    const p = sel && sel.type === "neuron" && sel.layer >= 1 ? { layer: sel.layer, unit: sel.unit } : null;
    if (JSON.stringify(p) === JSON.stringify(this.preview)) return;
    this.preview = p;
    this.render(true);
  }

  setFollow(index) {
    this.follow = index;
    if (this.image) {
      (this.galleryButtons ?? []).forEach((b, i) => b.setAttribute("aria-pressed", String(i === index)));
    } else this.drawPoints();
  }

  /** Output probabilities of the displayed sample (image tasks). */
  setProbs(probs, label) {
    if (!this.image) return;
    this.probs.replaceChildren();
    if (!probs) return;
    probs.forEach((p, c) => {
      const bar = h("div", { class: `bar${c === label ? " label" : ""}` });
      bar.style.width = `${Math.max(1, p * 100)}%`;
      this.probs.append(h("span", { text: String(c) }), h("div", {}, bar), h("span", { text: formatNumber(p, 2) }));
    });
  }

  drawPoints() {
    if (this.image || !this.data || !this.sx) return;
    const ctx = this.points.getContext("2d");
    const size = this.size;
    ctx.clearRect(0, 0, size, size);
    const ink3 = cssVar("--ink-3") || "#888";
    // Ticks (d3's nice ticks) in the margins.
    ctx.fillStyle = ink3;
    ctx.font = "10px ui-monospace, monospace";
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const t of this.sx.ticks(5)) ctx.fillText(String(t), this.sx(t), this.inner.y + this.inner.h + 4);
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const t of this.sy.ticks(5)) ctx.fillText(String(t), this.inner.x - 4, this.sy(t));
    const stroke = this.theme === "dark" ? "#0f1115" : "#ffffff";
    const classification = this.data.task === "classification";
    const draw = (split, testStyle) => {
      const set = this.data[split];
      if (!set?.points) return;
      set.points.forEach((p, i) => {
        const y = set.y[i];
        const x = this.sx(p[0]);
        const yy = this.sy(p[1]);
        ctx.beginPath();
        ctx.arc(x, yy, 3.2, 0, Math.PI * 2);
        ctx.fillStyle = classification ? classColor(y) : diverging((Array.isArray(y) ? y[0] : y) / this.yExtent, this.theme);
        ctx.fill();
        ctx.lineWidth = testStyle ? 1.6 : 1;
        ctx.strokeStyle = testStyle ? (this.theme === "dark" ? "#ffffff" : "#111111") : stroke;
        ctx.stroke();
      });
    };
    draw("train", false);
    if (this.showTest) draw("test", true);
    if (this.follow !== null && this.follow !== undefined) {
      const p = this.data[this.followSplit ?? "train"]?.points?.[this.follow];
      if (p) {
        ctx.beginPath();
        ctx.arc(this.sx(p[0]), this.sy(p[1]), 8, 0, Math.PI * 2);
        ctx.lineWidth = 2.5;
        ctx.strokeStyle = this.theme === "dark" ? "#ffffff" : "#111111";
        ctx.stroke();
      }
    }
  }

  nearest(e) {
    if (!this.data || this.image || !this.sx) return null;
    const r = this.points.getBoundingClientRect();
    const x = e.clientX - r.left;
    const y = e.clientY - r.top;
    let best = null;
    let bestD = 8;
    for (const split of this.showTest ? ["train", "test"] : ["train"]) {
      (this.data[split]?.points ?? []).forEach((p, i) => {
        const d = Math.hypot(this.sx(p[0]) - x, this.sy(p[1]) - y);
        if (d < bestD) {
          bestD = d;
          best = { index: i, split, point: p, y: this.data[split].y[i] };
        }
      });
    }
    return best;
  }

  onClick(e) {
    const hit = this.nearest(e);
    if (!hit) {
      if (this.follow !== null) this.hooks.onPick(null, "train");
      return;
    }
    this.followSplit = hit.split;
    this.hooks.onPick(hit.index, hit.split);
  }

  onMove(e) {
    const hit = this.nearest(e);
    this.points.style.cursor = hit ? "pointer" : "crosshair";
    if (!hit) {
      this.hooks.tooltip?.(null);
      return;
    }
    const label = this.data.task === "classification" ? classPhrase(this.data, hit.y) : `y = ${formatNumber(Array.isArray(hit.y) ? hit.y[0] : hit.y)}`;
    this.hooks.tooltip?.(`${hit.split === "train" ? "Training" : "Test"} sample #${hit.index}: (${formatNumber(hit.point[0])}, ${formatNumber(hit.point[1])}), ${label} — click to follow`, e);
  }
}
