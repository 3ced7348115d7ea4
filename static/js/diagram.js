// The layer diagram: build → layout → update (Netron's shape). Edges live on a canvas (width = |w|,
// colour = sign, up to thousands of them), neurons and biases are SVG elements whose attributes
// are written only when they change. Hidden units carry a small heatmap thumbnail, the input of an
// image task is drawn as the picture itself, and +/− buttons add or remove layers and neurons.

import { scaleLinear } from "../vendor/d3/d3.esm.min.js";
import { attr, cls, cssVar, fitCanvas, h, s, text } from "./dom.js";
import { diverging, niceExtent, normalize } from "./colors.js";
import { distanceToEdge, edgePoint, edgeWidth, layoutColumns } from "./layout.js";
import { exact, featureLabel, formatNumber, formatShort, superscript } from "./format.js";

const BOUNDED = { tanh: 1, sigmoid: 1 };

export class Diagram {
  /**
   * @param {HTMLElement} root the element named "Network diagram"
   * @param {object} hooks onSelect(sel), onHover(sel|null), onHidden(newHidden), tooltip(el)
   */
  constructor(root, hooks) {
    this.root = root;
    this.hooks = hooks;
    this.theme = "light";
    this.net = null;
    this.geom = null;
    this.weights = null;
    this.edgeMax = 1;
    this.selection = null;
    this.thumbnails = null; // per hidden column: array of canvases or null
    this.edgeCanvas = h("canvas", { class: "edges", "aria-hidden": "true" });
    this.thumbCanvas = h("canvas", { class: "thumbs", "aria-hidden": "true" });
    this.fxCanvas = h("canvas", { class: "fx", "aria-hidden": "true" });
    this.svg = s("svg", { class: "nodes", "aria-hidden": "false" });
    this.svg.style.pointerEvents = "none";
    this.digit = h("canvas", { class: "digit", width: 8, height: 8, "aria-label": "Input image", role: "img" });
    this.digit.hidden = true;
    this.controls = h("div", { class: "controls-layer" });
    root.append(this.edgeCanvas, this.thumbCanvas, this.fxCanvas, this.digit, this.svg, this.controls);
    this.neurons = [];
    this.biases = [];
    root.addEventListener("mousemove", (e) => this.onMove(e));
    root.addEventListener("mouseleave", () => this.hover(null));
    root.addEventListener("click", (e) => this.onClick(e));
    root.addEventListener("keydown", (e) => {
      const g = e.target.closest?.(".neuron, .bias");
      if (g && (e.key === "Enter" || e.key === " ")) {
        e.preventDefault();
        e.stopPropagation();
        this.selectFromElement(g);
      }
    });
    new ResizeObserver(() => this.resize()).observe(root);
  }

  /**
   * Build for a network shape.
   * @param {{sizes: number[], features: string[]|null, image: number[]|null, task: string,
   *          activation: string, nClasses: number, classNames: string[], editable: boolean,
   *          maxLayers: number, maxWidth: number}} net
   */
  setNetwork(net) {
    const key = JSON.stringify([net.sizes, net.features, net.image, net.task, net.editable, net.classNames]);
    this.net = net;
    if (key === this.netKey) return;
    this.netKey = key;
    this.selection = null;
    this.weights = null;
    this.glow = null;
    this.lastDisplay = null;
    this.thumbnails = null;
    this.build();
    this.resize();
  }

  build() {
    const { sizes } = this.net;
    this.svg.replaceChildren();
    this.controls.replaceChildren();
    this.hooks.netControls?.replaceChildren();
    this.neurons = [];
    this.biases = [];
    this.titles = [];
    const gEdgesHint = s("g", { class: "titles" });
    this.svg.append(gEdgesHint);
    const L = sizes.length - 1;
    this.lossText = s("text", { class: "loss-badge", "text-anchor": "end" });
    gEdgesHint.append(this.lossText);
    for (let c = 0; c <= L; c++) {
      const title = s("text", { class: "col-title", "text-anchor": "middle" });
      const sub = s("text", { class: "col-sub", "text-anchor": "middle" });
      gEdgesHint.append(title, sub);
      this.titles.push({ title, sub });
      const col = [];
      const biasCol = [];
      const image = c === 0 && this.net.image;
      for (let j = 0; j < sizes[c]; j++) {
        if (image) {
          col.push(null);
          continue;
        }
        const g = s("g", { class: "neuron", tabindex: c === 0 || sizes[c] <= 16 || j === 0 ? "0" : "-1", role: "button", "data-layer": c, "data-unit": j });
        g.style.pointerEvents = "all";
        const ring = s("circle", { class: "ring", r: 0, fill: "none" });
        const body = s("circle", { class: "body", r: 8 });
        const val = s("text", { class: "val", "text-anchor": "start" });
        const lab = s("text", { class: c === 0 ? "feat" : "cls", "text-anchor": c === 0 ? "end" : "start", dy: "0.35em" });
        g.append(ring, body, val, lab);
        this.svg.append(g);
        col.push({ g, ring, body, val, lab });
        if (c > 0) {
          const b = s("rect", { class: "bias", width: 6, height: 6, rx: 1, role: "button", tabindex: "-1", "data-layer": c, "data-unit": j });
          b.style.pointerEvents = "all";
          this.svg.append(b);
          biasCol.push(b);
        }
      }
      this.neurons.push(col);
      this.biases.push(biasCol);
    }
    // Output labels: class names or "ŷ".
    const out = this.neurons[L];
    out.forEach((n, j) => {
      if (!n) return;
      const name = this.net.task === "classification" ? (this.net.classNames[j] ?? `class ${j}`) : sizes[L] > 1 ? `ŷ${j + 1}` : "ŷ";
      text(n.lab, name);
    });
    if (!this.net.image) {
      this.neurons[0].forEach((n, i) => text(n.lab, featureLabel(this.net.features?.[i] ?? `x${i + 1}`)));
    }
    this.digit.hidden = !this.net.image;
    if (this.net.image) {
      this.digit.width = this.net.image[1];
      this.digit.height = this.net.image[0];
    }
    this.buildButtons();
  }

  buildButtons() {
    if (!this.net.editable) return;
    const hidden = this.net.sizes.slice(1, -1);
    const netBtns = h(
      "div",
      { class: "net-btns", "data-hide": "layers network" },
      h("button", { type: "button", "aria-label": "Remove a hidden layer", title: "Remove the last hidden layer", disabled: hidden.length === 0, onclick: () => this.hooks.onHidden(hidden.slice(0, -1)) }, "−"),
      h("span", {}, h("span", { class: "n" }, String(hidden.length)), hidden.length === 1 ? " hidden layer" : " hidden layers"),
      h("button", {
        type: "button",
        "aria-label": "Add a hidden layer",
        title: "Add a hidden layer before the output",
        disabled: hidden.length >= (this.net.maxLayers ?? 8),
        onclick: () => this.hooks.onHidden([...hidden, hidden.length ? hidden[hidden.length - 1] : 4]),
      }, "+"),
    );
    (this.hooks.netControls ?? this.controls).replaceChildren(netBtns);
    this.netBtns = netBtns;
    this.layerBtns = hidden.map((n, k) => {
      const l = k + 1;
      const div = h(
        "div",
        { class: "layer-btns", "data-hide": "layers network" },
        h("button", { type: "button", "aria-label": `Remove a neuron from layer ${l}`, title: `Remove a neuron from layer ${l}`, disabled: n <= 1, onclick: () => this.hooks.onHidden(hidden.map((v, i) => (i === k ? v - 1 : v))) }, "−"),
        h("button", { type: "button", "aria-label": `Add a neuron to layer ${l}`, title: `Add a neuron to layer ${l}`, disabled: n >= (this.net.maxWidth ?? 64), onclick: () => this.hooks.onHidden(hidden.map((v, i) => (i === k ? v + 1 : v))) }, "+"),
      );
      this.controls.append(div);
      return div;
    });
  }

  resize() {
    if (!this.net) return;
    const width = this.root.clientWidth;
    const height = this.root.clientHeight;
    if (width < 10 || height < 10) return;
    this.geom = layoutColumns(this.net.sizes, width, height, { image: this.net.image, thumbs: !this.net.image });
    attr(this.svg, "width", width);
    attr(this.svg, "height", height);
    attr(this.svg, "viewBox", `0 0 ${width} ${height}`);
    fitCanvas(this.edgeCanvas, width, height);
    fitCanvas(this.thumbCanvas, width, height);
    fitCanvas(this.fxCanvas, width, height);
    this.placeNodes();
    this.drawEdges();
    this.drawThumbnails();
    if (this.lastDisplay) this.update(this.lastDisplay, true);
  }

  placeNodes() {
    const { columns, image } = this.geom;
    const L = this.net.sizes.length - 1;
    const gap = columns.length > 1 ? columns[1].x - columns[0].x : 200;
    columns.forEach((col, c) => {
      // Values beside neurons need room; when columns are close they live in the tooltip.
      const showText = col.spacing >= 15 && gap >= 78;
      this.neurons[c].forEach((n, j) => {
        if (!n) return;
        const x = col.xs ? col.xs[j] : col.x;
        const y = col.ys[j];
        attr(n.g, "transform", `translate(${x.toFixed(1)},${y.toFixed(1)})`);
        attr(n.body, "r", col.r.toFixed(1));
        attr(n.ring, "r", (col.r + 4).toFixed(1));
        // Values sit just above the point where the edges leave the neuron (right, centre), so
        // the edges never run through them; the output's right side has no edges.
        attr(n.val, "x", (col.r + 3).toFixed(1));
        // (Dense columns have no room above: there the value stays centred, on its halo.)
        const lift = c < L && col.spacing >= 26;
        attr(n.val, "y", lift ? (-Math.max(3, Math.min(5, col.r * 0.35))).toFixed(1) : null);
        attr(n.val, "dy", lift ? null : "0.35em");
        attr(n.val, "display", showText || c === L ? null : "none");
        attr(n.val, "font-size", col.spacing < 20 ? "9.5" : null);
        if (c === 0) attr(n.lab, "x", (-col.r - 5).toFixed(1));
        else attr(n.lab, "x", (col.r + 58).toFixed(1));
        attr(n.lab, "display", c === 0 || c === L ? (col.spacing >= 11 ? null : "none") : "none");
        const b = this.biases[c]?.[j];
        if (b) {
          const bs = Math.max(3, Math.min(7, col.r * 0.55));
          attr(b, "width", bs.toFixed(1));
          attr(b, "height", bs.toFixed(1));
          // A tab on the bottom of the neuron: clear of the edges (they meet the neuron at
          // its left and right), of the value label (upper right) and of the thumbnail below.
          attr(b, "x", (x - bs / 2).toFixed(1));
          attr(b, "y", (y + col.r - bs * 0.55).toFixed(1));
        }
      });
      const t = this.titles[c];
      const tx = c === 0 && image ? image.x + image.size / 2 : col.x;
      attr(t.title, "x", tx.toFixed(1));
      attr(t.title, "y", (this.geom.height - 12).toFixed(1));
      attr(t.sub, "x", tx.toFixed(1));
      attr(t.sub, "y", (this.geom.height - 1).toFixed(1));
      text(t.title, c === 0 ? "Input" : c === L ? "Output" : gap >= 70 ? `Layer ${c}` : `L${c}`);
      const wide = gap >= 95;
      const act = { leaky_relu: "leaky", sigmoid: "σ" }[this.net.activation] ?? this.net.activation;
      const sub = c === 0 ? (image ? "8×8 image" : gap >= 70 ? "A⁰ = x" : "") : c === L ? (this.net.task === "classification" ? (wide ? `softmax · A${superscript(c)}` : gap >= 70 ? "softmax" : "") : `ŷ = A${superscript(c)}`) : wide ? `${this.net.sizes[c]} · ${act} · A${superscript(c)}` : gap >= 70 ? `${this.net.sizes[c]} · ${act}` : String(this.net.sizes[c]);
      text(t.sub, sub);
    });
    const out = columns[L];
    attr(this.lossText, "x", (this.geom.width - 2).toFixed(1));
    attr(this.lossText, "y", (out.ys[out.ys.length - 1] + out.r + 22).toFixed(1));
    if (image) {
      Object.assign(this.digit.style, { left: `${image.x}px`, top: `${image.y}px`, width: `${image.size}px`, height: `${image.size}px` });
    }
    (this.layerBtns ?? []).forEach((div, k) => {
      Object.assign(div.style, { left: `${columns[k + 1].x}px`, top: "4px" });
    });
  }

  setTheme(theme) {
    this.theme = theme;
    this.drawEdges();
    this.drawThumbnails();
    if (this.lastDisplay) this.update(this.lastDisplay, true);
  }

  /** True when `layers` have the shape of the network being drawn. */
  fits(layers) {
    const sizes = this.net?.sizes;
    if (!sizes || layers.length !== sizes.length - 1) return false;
    return layers.every((l, k) => l.W.length === sizes[k + 1] && (l.W[0]?.length ?? 0) === sizes[k]);
  }

  /** Source and target points of the edge from unit i of column l−1 to unit j of column l. */
  edgeEnds(l, j, i) {
    const { columns, image } = this.geom;
    const a = columns[l - 1];
    const b = columns[l];
    if (l === 1 && image) {
      // One bundle per hidden unit leaves the picture's right edge.
      const n = columns[1].ys.length;
      return [image.x + image.size, image.y + ((j + 0.5) / n) * image.size, b.x - b.r, b.ys[j]];
    }
    return [a.x + a.r, a.ys[i], b.x - b.r, b.ys[j]];
  }

  /**
   * Draw every edge for `weights` (defaults to the last drawn). `glow` (per layer ΔW) highlights
   * changed weights during the update morph, with strength `glowAlpha`.
   */
  drawEdges(weights = this.weights, glow = this.glow, glowAlpha = this.glowAlpha ?? 0) {
    if (weights) this.weights = weights;
    if (!this.geom || !this.weights || !this.fits(this.weights)) return;
    const ctx = this.edgeCanvas.getContext("2d");
    const { width, height } = this.geom;
    ctx.clearRect(0, 0, width, height);
    let maxAbs = 0;
    for (const layer of this.weights) for (const row of layer.W) for (const w of row) if (Math.abs(w) > maxAbs && Number.isFinite(w)) maxAbs = Math.abs(w);
    this.edgeMax = Math.max(0.5, maxAbs);
    const neg = diverging(-0.75, this.theme);
    const pos = diverging(0.75, this.theme);
    const glowColor = this.theme === "dark" ? "rgba(255,236,150," : "rgba(220,160,0,";
    let total = 0;
    for (const layer of this.weights) total += layer.W.length * (layer.W[0]?.length ?? 0);
    const straight = total > 1500;
    ctx.globalAlpha = total > 600 ? 0.55 : 0.85;
    ctx.lineCap = "round";
    const maxWidth = total > 600 ? 3 : 7;
    // Without a glow, edges are batched into a few paths by sign and width (0.5 px steps): one
    // stroke per bucket instead of one per edge keeps thousands of edges cheap every frame.
    const buckets = glowAlpha > 0 && glow ? null : new Map();
    this.weights.forEach((layer, k) => {
      const l = k + 1;
      if (l === 1 && this.geom.image) {
        this.drawImageBundles(ctx, layer.W);
        return;
      }
      let gmax = 0;
      const g = buckets ? null : glow?.[k]?.W;
      if (g) for (const row of g) for (const v of row) if (Math.abs(v) > gmax) gmax = Math.abs(v);
      for (let j = 0; j < layer.W.length; j++) {
        const row = layer.W[j];
        for (let i = 0; i < row.length; i++) {
          const w = row[i];
          const [x0, y0, x1, y1] = this.edgeEnds(l, j, i);
          const width = edgeWidth(w, this.edgeMax, maxWidth);
          if (buckets) {
            const level = Math.max(1, Math.round(width * 2));
            const key = (w < 0 ? -1 : 1) * level;
            let path = buckets.get(key);
            if (!path) buckets.set(key, (path = new Path2D()));
            path.moveTo(x0, y0);
            if (straight) path.lineTo(x1, y1);
            else {
              const mx = (x0 + x1) / 2;
              path.bezierCurveTo(mx, y0, mx, y1, x1, y1);
            }
            continue;
          }
          ctx.beginPath();
          ctx.moveTo(x0, y0);
          if (straight) ctx.lineTo(x1, y1);
          else {
            const mx = (x0 + x1) / 2;
            ctx.bezierCurveTo(mx, y0, mx, y1, x1, y1);
          }
          ctx.strokeStyle = w < 0 ? neg : pos;
          ctx.lineWidth = width;
          ctx.stroke();
          if (g && gmax > 0) {
            const strength = Math.abs(g[j][i]) / gmax;
            if (strength > 0.02) {
              ctx.save();
              ctx.globalAlpha = 1;
              ctx.strokeStyle = `${glowColor}${(glowAlpha * strength * 0.9).toFixed(3)})`;
              ctx.lineWidth = width + 3 + 4 * strength;
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
  }

  drawImageBundles(ctx, W) {
    if (!this.bundleColor || this.bundleTheme !== this.theme) {
      this.bundleColor = cssVar("--ink-3") || "#888";
      this.bundleTheme = this.theme;
    }
    const neutral = this.bundleColor;
    let maxNorm = 0;
    const norms = W.map((row) => Math.sqrt(row.reduce((a, w) => a + w * w, 0) / Math.max(1, row.length)));
    for (const v of norms) if (v > maxNorm) maxNorm = v;
    ctx.strokeStyle = neutral;
    W.forEach((_, j) => {
      const [x0, y0, x1, y1] = this.edgeEnds(1, j, 0);
      ctx.beginPath();
      ctx.moveTo(x0, y0);
      const mx = (x0 + x1) / 2;
      ctx.bezierCurveTo(mx, y0, mx, y1, x1, y1);
      ctx.lineWidth = edgeWidth(norms[j], maxNorm || 1, 4);
      ctx.stroke();
    });
  }

  /** Thumbnails of hidden units: `images[c][j]` canvases (or null), drawn above each neuron. */
  setThumbnails(images) {
    this.thumbnails = images;
    this.drawThumbnails();
  }

  thumbSize(c) {
    const col = this.geom.columns[c];
    return Math.floor(Math.min(26, col.spacing - 2 * col.r - 6));
  }

  drawThumbnails() {
    if (!this.geom) return;
    if (this.thumbnails && this.thumbnails.length !== this.geom.columns.length) return;
    const ctx = this.thumbCanvas.getContext("2d");
    ctx.clearRect(0, 0, this.geom.width, this.geom.height);
    if (!this.thumbnails) return;
    ctx.imageSmoothingEnabled = true;
    const border = cssVar("--line-2") || "#ccc";
    this.thumbnails.forEach((col, c) => {
      if (!col) return;
      const size = this.thumbSize(c);
      if (size < 12) return;
      const g = this.geom.columns[c];
      col.forEach((img, j) => {
        if (!img) return;
        const x = g.x - size / 2;
        const y = g.ys[j] - g.r - 3 - size;
        ctx.drawImage(img, x, y, size, size);
        ctx.strokeStyle = border;
        ctx.lineWidth = 1;
        ctx.strokeRect(x - 0.5, y - 0.5, size + 1, size + 1);
      });
    });
  }

  /** The hidden unit whose thumbnail or body is under (x, y), for the hover preview. */
  thumbAt(x, y) {
    if (!this.thumbnails) return null;
    for (let c = 1; c < this.geom.columns.length - 1; c++) {
      const size = this.thumbSize(c);
      if (size < 12 || !this.thumbnails[c]) continue;
      const g = this.geom.columns[c];
      for (let j = 0; j < g.ys.length; j++) {
        const tx = g.x - size / 2;
        const ty = g.ys[j] - g.r - 3 - size;
        if (x >= tx && x <= tx + size && y >= ty && y <= ty + size) return { type: "neuron", layer: c, unit: j };
      }
    }
    return null;
  }

  /** Extent (half-range) used to colour a layer's values. */
  extentFor(c, kind, values) {
    const L = this.net.sizes.length - 1;
    if (kind === "a" && c === L && this.net.task === "classification") return 1;
    if (kind === "a" && c > 0 && c < L && BOUNDED[this.net.activation]) return 1;
    if (kind === "a" && c === 0 && this.inputExtent) return this.inputExtent;
    let m = 0;
    for (const v of values ?? []) if (Number.isFinite(v) && Math.abs(v) > m) m = Math.abs(v);
    return niceExtent(m, kind === "dz" ? 1e-12 : 1e-3);
  }

  /** The sample's input image (image tasks). */
  drawDigit(values) {
    if (!this.net?.image) return;
    const [rows, cols] = this.net.image;
    const ctx = this.digit.getContext("2d");
    const img = ctx.createImageData(cols, rows);
    const lo = this.pixelRange?.[0] ?? 0;
    const hi = this.pixelRange?.[1] ?? 1;
    const dark = this.theme === "dark";
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
   * Show a display (display.js): neuron colours and values, biases, the target marker.
   * `pending` (a Set of column indices) dims columns whose values are still arriving (animations).
   */
  update(display, force = false, pending = null) {
    this.lastDisplay = display;
    if (!this.geom || !this.net || (display.weights && !this.fits(display.weights))) return;
    const L = this.net.sizes.length - 1;
    // During the update phase the changed weights keep a soft glow (their Δ stays visible).
    const glow = display.mode === "update" ? display.delta : null;
    if (display.weights && !this.morphing && (force || display.weights !== this.weights || glow !== this.glow)) {
      this.glow = glow;
      this.glowAlpha = glow ? 0.45 : 0;
      this.drawEdges(display.weights, glow, this.glowAlpha);
    }
    const classification = this.net.task === "classification";
    this.showLoss(display);
    for (let c = 0; c <= L; c++) {
      const shown = display.values[c] ?? { kind: null, values: null };
      const kind = shown.values ? shown.kind : null;
      const ext = kind ? this.extentFor(c, kind, shown.values) : 1;
      if (c === 0 && this.net.image) {
        this.drawDigit(shown.values);
        continue;
      }
      const col = this.neurons[c];
      const isPending = pending?.has(c);
      for (let j = 0; j < col.length; j++) {
        const n = col[j];
        const v = kind ? shown.values[j] : undefined;
        const has = typeof v === "number" && Number.isFinite(v);
        attr(n.body, "fill", has ? diverging(normalize(v, ext), this.theme) : this.theme === "dark" ? "#262a33" : "#ffffff");
        text(n.val, has ? formatShort(v) : "");
        attr(n.g, "data-value", has ? exact(v) : null);
        attr(n.g, "data-kind", has ? kind : null);
        attr(n.g, "aria-label", this.neuronLabel(c, j, kind, has ? v : null));
        cls(n.g, "pending", isPending);
        cls(n.g, "selected", this.isSelected("neuron", c, j));
        const target = c === L && classification && display.label === j && (display.mode === "loss" || display.mode === "backward" || display.mode === "update" || display.mode === "done" || display.source === "sample" || display.source === "page");
        cls(n.g, "target", target);
        attr(n.ring, "r", target ? (this.geom.columns[c].r + 4).toFixed(1) : "0");
        if (c === L) attr(n.lab, "fill", classification ? (display.label === j ? "var(--ok)" : "var(--ink-2)") : null);
      }
      if (c > 0 && display.weights) {
        const b = display.weights[c - 1]?.b;
        let bmax = 0;
        for (const v of b ?? []) if (Math.abs(v) > bmax) bmax = Math.abs(v);
        const ext2 = Math.max(this.edgeMax, bmax, 1e-6);
        this.biases[c].forEach((rect, j) => {
          const bv = b?.[j];
          attr(rect, "fill", diverging(normalize(bv ?? 0, ext2), this.theme));
          attr(rect, "aria-label", `Bias b${superscript(c)} of unit ${j + 1}: ${formatNumber(bv)}`);
          attr(rect, "data-value", exact(bv));
          cls(rect, "selected", this.isSelected("bias", c, j));
        });
      }
    }
  }

  /** The loss next to the outputs from the loss phase on (the output compared with the label). */
  showLoss(display) {
    const on = ["loss", "backward", "update", "done", "sample"].includes(display.mode) && Number.isFinite(display.loss);
    const label = display.source === "sample" ? "sample loss" : "batch loss";
    text(this.lossText, on ? `${label} L = ${formatNumber(display.loss, 4)}` : "");
  }

  neuronLabel(c, j, kind, v) {
    const L = this.net.sizes.length - 1;
    const where = c === 0 ? `Input ${featureLabel(this.net.features?.[j] ?? `x${j + 1}`)}` : c === L ? `Output ${this.net.classNames?.[j] ?? j + 1}` : `Layer ${c} unit ${j + 1}`;
    if (v === null) return where;
    const sym = kind === "dz" ? `dZ${superscript(c)}` : c === 0 ? "x" : c === L && this.net.task === "classification" ? "ŷ" : `a${superscript(c)}`;
    return `${where}: ${sym} = ${formatNumber(v, 4)}`;
  }

  isSelected(type, c, j) {
    const sel = this.selection;
    return Boolean(sel && sel.type === type && sel.layer === c && sel.unit === j);
  }

  setSelection(sel) {
    this.selection = sel;
    if (this.lastDisplay) this.update(this.lastDisplay);
    this.drawSelectedEdge();
  }

  drawSelectedEdge() {
    // The selected edge is outlined on the fx canvas when no animation runs (see Animator.idle).
    this.hooks.onSelectionDrawn?.();
  }

  /** Position of neuron j of column c (for the animator). */
  nodePos(c, j) {
    const col = this.geom.columns[c];
    return [col.xs ? col.xs[j] : col.x, col.ys[j], col.r];
  }

  edgeAt(x, y) {
    if (!this.weights || !this.geom) return null;
    let best = null;
    let bestD = 6;
    this.weights.forEach((layer, k) => {
      const l = k + 1;
      if (l === 1 && this.geom.image) return;
      const a = this.geom.columns[l - 1];
      const b = this.geom.columns[l];
      if (x < a.x - 2 || x > b.x + 2) return;
      for (let j = 0; j < layer.W.length; j++) {
        for (let i = 0; i < layer.W[j].length; i++) {
          const [x0, y0, x1, y1] = this.edgeEnds(l, j, i);
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

  localPoint(e) {
    const r = this.root.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  }

  fromElement(el) {
    const layer = Number(el.getAttribute("data-layer"));
    const unit = Number(el.getAttribute("data-unit"));
    return { type: el.classList.contains("bias") ? "bias" : "neuron", layer, unit };
  }

  selectFromElement(el) {
    this.hooks.onSelect(this.fromElement(el));
  }

  onMove(e) {
    const el = e.target.closest?.(".neuron, .bias");
    let sel = el ? this.fromElement(el) : null;
    if (!sel && !e.target.closest?.("button")) {
      const [x, y] = this.localPoint(e);
      sel = this.thumbAt(x, y) ?? this.edgeAt(x, y);
    }
    this.hover(sel, e);
  }

  hover(sel, e) {
    const key = sel ? JSON.stringify(sel) : null;
    this.root.style.cursor = sel ? "pointer" : "";
    this.hooks.onHover?.(sel, e);
    this.hoverKey = key;
  }

  onClick(e) {
    if (e.target.closest?.("button")) return;
    const el = e.target.closest?.(".neuron, .bias");
    if (el) {
      this.selectFromElement(el);
      return;
    }
    const [x, y] = this.localPoint(e);
    const sel = this.thumbAt(x, y) ?? this.edgeAt(x, y);
    this.hooks.onSelect(sel);
  }

  /** Map a value of W to a pixel width (for legends). */
  widthScale() {
    return scaleLinear().domain([0, this.edgeMax]).range([0.4, 7]);
  }

  edgePoint(l, j, i, t) {
    const [x0, y0, x1, y1] = this.edgeEnds(l, j, i);
    return edgePoint(x0, y0, x1, y1, t);
  }
}
