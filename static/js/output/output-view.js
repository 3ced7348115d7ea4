// The output view: the decision boundary (or regression surface) computed in the browser from the
// streamed weights on a grid (surface.js), with the train (and optionally test) points; for image
// data, a gallery of digits and the output probabilities (gallery.js). Its grid is also the
// source of the diagram's hidden-unit thumbnails (`thumbnailSource`).

import { scaleLinear } from "../../vendor/d3/d3.esm.min.js";
import { classColor, divergingLut, diverging, niceExtent } from "../colors.js";
import { fitCanvas, h } from "../dom.js";
import { forwardGrid, gridInputs, inputFeatures } from "../nn.js";
import { classPhrase, formatNumber } from "../format.js";
import { isClassification } from "../protocol.js";
import { GRID, gridFor, paintOutput, paintUnit } from "./surface.js";
import { Gallery } from "./gallery.js";

// Margins of the plot (px): the y labels left, the x labels below, half a label's height on top
// (a tick at the domain's end, e.g. XOR's ±6, keeps its label whole).
const PAD = { left: 22, bottom: 18, top: 6, right: 2 };

/** `start` clamped so that a box of `size` starting there stays within [0, limit]. */
function within(start, size, limit) {
  return Math.max(0, Math.min(limit - size, start));
}

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
    // The axes' labels (d3's nice ticks), as text in the page: measured, never cut by the canvas.
    this.axes = h("div", { class: "axes", "aria-hidden": "true" });
    this.gallery = new Gallery((i) => this.canPick && this.hooks.onPick(this.follow === i ? null : i, "train"));
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
      this.root.replaceChildren(this.heat, this.points, this.axes, this.label);
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
    this.placeTicks();
    this.drawPoints();
  }

  /**
   * One label per tick: x labels centred under their tick, y labels right-aligned beside theirs,
   * each moved just enough to stay inside the plot (the ticks at the domain's ends).
   */
  placeTicks() {
    const { inner, size } = this;
    const xs = this.sx.ticks(5).map((t) => [t, h("span", { class: "axis x", text: String(t) })]);
    const ys = this.sy.ticks(5).map((t) => [t, h("span", { class: "axis y", text: String(t) })]);
    this.axes.replaceChildren(...xs.map(([, el]) => el), ...ys.map(([, el]) => el));
    const below = inner.y + inner.h + 3; // the x labels' top
    for (const [t, el] of xs) {
      const w = Math.ceil(el.getBoundingClientRect().width);
      el.style.left = `${within(this.sx(t) - w / 2, w, size)}px`;
      el.style.top = `${below}px`;
    }
    // (Above the x labels: the lowest y label keeps clear of the first x label in the corner.)
    for (const [t, el] of ys) {
      const ht = Math.ceil(el.getBoundingClientRect().height);
      el.style.right = `${size - inner.x + 4}px`;
      el.style.top = `${within(this.sy(t) - ht / 2, ht, below)}px`;
    }
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

  /** Whether a click follows a sample (hooks.canPick; by default it does). */
  get canPick() {
    return this.hooks.canPick?.() ?? true;
  }

  onClick(e) {
    if (!this.canPick) return;
    const hit = this.nearest(e);
    if (!hit) {
      if (this.follow !== null) this.hooks.onPick(null, "train");
      return;
    }
    this.hooks.onPick(hit.index, hit.split);
  }

  onMove(e) {
    const hit = this.nearest(e);
    this.points.style.cursor = hit && this.canPick ? "pointer" : "crosshair";
    if (!hit) {
      this.hooks.tooltip?.(null);
      return;
    }
    const label = isClassification(this.data.task) ? classPhrase(this.data, hit.y) : `y = ${formatNumber(targetValue(hit.y))}`;
    this.hooks.tooltip?.(`${hit.split === "train" ? "Training" : "Test"} sample #${hit.index}: (${formatNumber(hit.point[0])}, ${formatNumber(hit.point[1])}), ${label}${this.canPick ? " — click to follow" : ""}`, e);
  }
}
