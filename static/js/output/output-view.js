// The output view: the decision boundary (or regression surface) computed in the browser from the
// streamed weights on a grid (surface.js), with the train (and optionally test) points; for image
// data, a gallery of digits and the output probabilities (gallery.js). Its grid is also the
// source of the diagram's hidden-unit thumbnails (`thumbnailSource`).

import { scaleLinear } from "../../vendor/d3/d3.esm.min.js";
import { classColor, divergingLut, diverging, niceExtent } from "../colors.js";
import { cssVar, fitCanvas, h } from "../dom.js";
import { forwardGrid, gridInputs, inputFeatures } from "../nn.js";
import { classPhrase, formatNumber } from "../format.js";
import { isClassification } from "../protocol.js";
import { GRID, gridFor, paintOutput, paintUnit } from "./surface.js";
import { Gallery } from "./gallery.js";

const PAD = { left: 22, bottom: 18, top: 2, right: 2 };

/** A regression target as one number (the first column of a target row). */
function targetValue(y) {
  return Array.isArray(y) ? y[0] : y;
}

export class OutputView {
  /**
   * @param {HTMLElement} root
   * @param {object} hooks onPick(index|null, split), tooltip(text|null, event)
   * @param {HTMLElement} [checks] the output's own check boxes (hidden for image data)
   */
  constructor(root, hooks, checks = null) {
    this.root = root;
    this.hooks = hooks;
    this.checks = checks;
    this.theme = "light";
    this.data = null;
    this.layers = null;
    this.config = null;
    this.showTest = false;
    this.discretize = false;
    this.follow = null;
    this.followSplit = "train";
    this.preview = null;
    this.grid = null;
    this.lut = divergingLut("light");
    this.heat = h("canvas", { class: "heat", width: GRID, height: GRID, "aria-hidden": "true" });
    this.points = h("canvas", { class: "points", role: "img", "aria-label": "Data points over the decision boundary; click a point to follow it" });
    this.label = h("div", { class: "heat-label", hidden: true });
    this.gallery = new Gallery((i) => this.hooks.onPick(this.follow === i ? null : i, "train"));
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
    if (this.checks) this.checks.hidden = this.image;
    this.grid = null;
    this.shownLayers = null;
    if (this.image) {
      this.gallery.build(data, this.theme);
      this.root.replaceChildren(this.gallery.el, this.gallery.box);
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
    if (!isClassification(this.data?.task)) for (const y of this.data.train.y) ymax = Math.max(ymax, Math.abs(targetValue(y)));
    this.yExtent = niceExtent(ymax || 1);
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

  /**
   * What the diagram's thumbnails picture: the last grid computed (2-D data) or the first
   * layer's weights (image data), with the activation.
   */
  thumbnailSource() {
    return { grid: this.grid, layers: this.shownLayers ?? null, activation: this.config?.activation, imageShape: this.image ? this.data.image_shape : null };
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
    }
    const outs = forwardGrid(this.layers, this.inputs, res * res, this.config?.activation ?? "tanh", this.data.task);
    this.grid = { layers: this.layers, outs, res };
    return this.grid;
  }

  render(force = false) {
    if (this.image) {
      this.shownLayers = this.layers;
      return;
    }
    const grid = this.compute();
    if (!grid) return;
    const key = `${this.discretize}|${this.theme}|${JSON.stringify(this.preview)}`;
    if (!force && this.lastGrid === grid && this.lastKey === key) return;
    this.lastGrid = grid;
    this.lastKey = key;
    const ctx = this.heat.getContext("2d");
    const L = grid.outs.length;
    if (this.preview && this.preview.layer >= 1 && this.preview.layer < L) {
      paintUnit(ctx, grid, this.layers, this.preview, this.config?.activation, this.lut);
      this.label.hidden = false;
      this.label.textContent = `Layer ${this.preview.layer}, unit ${this.preview.unit + 1}`;
    } else {
      this.label.hidden = true;
      const k = this.layers[L - 1].W.length;
      paintOutput(ctx, grid, { task: this.data.task, k, discretize: this.discretize, yExtent: this.yExtent, theme: this.theme, lut: this.lut });
    }
  }

  /** Hovering a hidden unit shows its own heatmap in the big view. */
  setPreview(sel) {
    const p = sel && sel.type === "neuron" && sel.layer >= 1 ? { layer: sel.layer, unit: sel.unit } : null;
    if (JSON.stringify(p) === JSON.stringify(this.preview)) return;
    this.preview = p;
    this.render(true);
  }

  /** Mark the followed sample `index` (null for none) of `split`. */
  setFollow(index, split = this.followSplit) {
    this.follow = index;
    this.followSplit = split;
    if (this.image) this.gallery.setFollow(index);
    else this.drawPoints();
  }

  /** Output probabilities of the displayed sample {index, split} (image tasks). */
  setProbs(probs, label, sample) {
    if (this.image) this.gallery.setProbs(probs, label, sample);
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
    const ink = this.theme === "dark" ? "#ffffff" : "#111111";
    const classes = isClassification(this.data.task);
    const draw = (split, testStyle) => {
      const set = this.data[split];
      if (!set?.points) return;
      set.points.forEach((p, i) => {
        const y = set.y[i];
        ctx.beginPath();
        ctx.arc(this.sx(p[0]), this.sy(p[1]), 3.2, 0, Math.PI * 2);
        ctx.fillStyle = classes ? classColor(y) : diverging(targetValue(y) / this.yExtent, this.theme);
        ctx.fill();
        ctx.lineWidth = testStyle ? 1.6 : 1;
        ctx.strokeStyle = testStyle ? ink : stroke;
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
        ctx.strokeStyle = ink;
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
    this.hooks.onPick(hit.index, hit.split);
  }

  onMove(e) {
    const hit = this.nearest(e);
    this.points.style.cursor = hit ? "pointer" : "crosshair";
    if (!hit) {
      this.hooks.tooltip?.(null);
      return;
    }
    const label = isClassification(this.data.task) ? classPhrase(this.data, hit.y) : `y = ${formatNumber(targetValue(hit.y))}`;
    this.hooks.tooltip?.(`${hit.split === "train" ? "Training" : "Test"} sample #${hit.index}: (${formatNumber(hit.point[0])}, ${formatNumber(hit.point[1])}), ${label} — click to follow`, e);
  }
}
