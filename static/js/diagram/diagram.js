// The layer diagram: build → layout → update (Netron's shape). Edges live on a canvas (edges.js),
// neurons and biases are SVG elements whose attributes are written only when they change
// (nodes.js). Hidden units carry a small thumbnail (thumbnails.js), the input of an image task is
// drawn as the picture itself, and +/− buttons add or remove layers and neurons (buttons.js).
// Other modules change it only through its methods.

import { attr, cls, cssVar, fitCanvas, h, s, text } from "../dom.js";
import { diverging, niceExtent, normalize } from "../colors.js";
import { edgePoint, layoutColumns } from "../layout.js";
import { exact, formatNumber, formatShort, superscript } from "../format.js";
import { isBounded } from "../nn.js";
import { isClassification } from "../protocol.js";
import { paintGray } from "../paint.js";
import { edgeEnds, edgeNear, paintEdges } from "./edges.js";
import { buildNodes, fitBackings, inputName, placeNodes } from "./nodes.js";
import { buildButtons, placeButtons } from "./buttons.js";
import { Thumbnails } from "./thumbnails.js";

/** Glow of the changed weights that stays on screen through the update phase. */
const UPDATE_GLOW = 0.45;

/** Display modes in which the output's label is marked (the loss has compared output and label). */
const TARGET_MODES = new Set(["loss", "backward", "update", "done"]);

export class Diagram {
  /**
   * @param {HTMLElement} root the element named "Network diagram"
   * @param {object} hooks onSelect(sel), onHover(sel|null, event), onHidden(newHidden),
   *   onSelectionDrawn(), netControls (the element for the layer buttons)
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
    this.morphing = false;
    this.lastDisplay = null;
    this.edgeCanvas = h("canvas", { class: "edges", "aria-hidden": "true" });
    const thumbCanvas = h("canvas", { class: "thumbs", "aria-hidden": "true" });
    this.thumbnails = new Thumbnails(thumbCanvas);
    this.fxCanvas = h("canvas", { class: "fx", "aria-hidden": "true" });
    this.svg = s("svg", { class: "nodes", "aria-hidden": "false" });
    this.svg.style.pointerEvents = "none";
    this.digit = h("canvas", { class: "digit", width: 8, height: 8, "aria-label": "Input image", role: "img" });
    this.digit.hidden = true;
    this.controls = h("div", { class: "controls-layer" });
    root.append(this.edgeCanvas, thumbCanvas, this.fxCanvas, this.digit, this.svg, this.controls);
    this.nodes = { neurons: [], biases: [], titles: [], lossText: null };
    this.layerButtons = [];
    root.addEventListener("mousemove", (e) => this.onMove(e));
    root.addEventListener("mouseleave", () => this.hover(null));
    root.addEventListener("click", (e) => this.onClick(e));
    root.addEventListener("keydown", (e) => {
      const g = e.target.closest?.(".neuron, .bias");
      if (g && (e.key === "Enter" || e.key === " ")) {
        e.preventDefault();
        e.stopPropagation();
        this.hooks.onSelect(this.fromElement(g));
      }
    });
    new ResizeObserver(() => this.resize()).observe(root);
  }

  /** The SVG groups of the neurons, per column (null for an image input's pixels). */
  get neurons() {
    return this.nodes.neurons;
  }

  /**
   * Build for a network shape.
   * @param {{sizes: number[], features: string[]|null, image: number[]|null, task: string,
   *          activation: string, classNames: string[], editable: boolean, maxLayers: number,
   *          maxWidth: number, inputExtent: number, pixelRange: number[]|null}} net
   */
  setNetwork(net) {
    const key = JSON.stringify([net.sizes, net.features, net.image, net.task, net.editable, net.classNames]);
    const activationChanged = this.net && this.net.activation !== net.activation;
    this.net = net;
    if (key === this.netKey) {
      // The same shape with another activation: only the column subtitles change.
      if (activationChanged && this.geom) placeNodes(this.nodes, this.geom, net);
      return;
    }
    this.netKey = key;
    this.selection = null;
    this.weights = null;
    this.glow = null;
    this.lastDisplay = null;
    this.thumbnails.clear();
    this.build();
    this.resize();
  }

  build() {
    this.controls.replaceChildren();
    const bar = this.hooks.netControls ?? this.controls;
    bar.replaceChildren();
    this.nodes = buildNodes(this.svg, this.net);
    this.digit.hidden = !this.net.image;
    if (this.net.image) {
      this.digit.width = this.net.image[1];
      this.digit.height = this.net.image[0];
    }
    this.layerButtons = buildButtons(this.net, bar, this.controls, (hidden) => this.hooks.onHidden(hidden));
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
    fitCanvas(this.thumbnails.canvas, width, height);
    fitCanvas(this.fxCanvas, width, height);
    placeNodes(this.nodes, this.geom, this.net);
    const image = this.geom.image;
    if (image) Object.assign(this.digit.style, { left: `${image.x}px`, top: `${image.y}px`, width: `${image.size}px`, height: `${image.size}px` });
    placeButtons(this.layerButtons, this.geom);
    this.drawEdges();
    this.thumbnails.draw(this.geom, this.theme);
    if (this.lastDisplay) this.update(this.lastDisplay, true);
  }

  setTheme(theme) {
    this.theme = theme;
    this.drawEdges();
    this.thumbnails.draw(this.geom, this.theme);
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
    return edgeEnds(this.geom, l, j, i);
  }

  /** The point at fraction t along that edge (for the animator's pulses). */
  edgePoint(l, j, i, t) {
    const [x0, y0, x1, y1] = this.edgeEnds(l, j, i);
    return edgePoint(x0, y0, x1, y1, t);
  }

  /**
   * Draw every edge for `weights` (defaults to the last drawn). `glow` (per layer {W: dW}) lights
   * each edge by its |dW|, with strength `glowAlpha`.
   */
  drawEdges(weights = this.weights, glow = this.glow, glowAlpha = this.glowAlpha ?? 0) {
    if (weights) this.weights = weights;
    if (!this.geom || !this.weights || !this.fits(this.weights)) return;
    if (!this.bundleColor || this.bundleTheme !== this.theme) {
      this.bundleColor = cssVar("--ink-3") || "#888";
      this.bundleTheme = this.theme;
    }
    const ctx = this.edgeCanvas.getContext("2d");
    this.edgeMax = paintEdges(ctx, this.geom, this.weights, { theme: this.theme, glow, glowAlpha, bundleColor: this.bundleColor });
  }

  /** An update morph starts: `update` leaves the edges to the animator until `endMorph`. */
  beginMorph() {
    this.morphing = true;
  }

  /** The morph ended at weights `to`; with `keepGlow` the edges keep glowing by |dW| (`glow`). */
  endMorph(to, glow, keepGlow) {
    this.morphing = false;
    this.glow = keepGlow ? glow : null;
    this.glowAlpha = keepGlow ? UPDATE_GLOW : 0;
    this.drawEdges(to, this.glow, this.glowAlpha);
  }

  /**
   * Thumbnails of the hidden units from `source` (the output view's `thumbnailSource()`):
   * recomputed only when its grid or weights changed.
   */
  setThumbnailSource(source) {
    this.thumbnails.setSource(source);
    this.thumbnails.draw(this.geom, this.theme);
  }

  /** Extent (half-range) used to colour a layer's values. */
  extentFor(c, kind, values) {
    const L = this.net.sizes.length - 1;
    if (kind === "a" && c === L && isClassification(this.net.task)) return 1;
    if (kind === "a" && c > 0 && c < L && isBounded(this.net.activation)) return 1;
    if (kind === "a" && c === 0 && this.net.inputExtent) return this.net.inputExtent;
    let m = 0;
    for (const v of values ?? []) if (Number.isFinite(v) && Math.abs(v) > m) m = Math.abs(v);
    return niceExtent(m, kind === "dz" ? 1e-12 : 1e-3);
  }

  /** The sample's input image (image tasks). */
  drawDigit(values) {
    if (!this.net?.image) return;
    const [rows, cols] = this.net.image;
    paintGray(this.digit.getContext("2d"), values, rows, cols, this.net.pixelRange ?? [0, 1], this.theme);
  }

  /** Keep `display` to draw when the running animation ends (see redraw). */
  defer(display) {
    this.lastDisplay = display;
  }

  /** Draw the last display kept (or `fallback` when there is none). */
  redraw(fallback) {
    this.update(this.lastDisplay ?? fallback);
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
    const glow = display.mode === "update" ? display.glow : null;
    if (display.weights && !this.morphing && (force || display.weights !== this.weights || glow !== this.glow)) {
      this.glow = glow;
      this.glowAlpha = glow ? UPDATE_GLOW : 0;
      this.drawEdges(display.weights, glow, this.glowAlpha);
    }
    const classification = isClassification(this.net.task);
    this.showLoss(display);
    const labelShown = TARGET_MODES.has(display.mode) || display.source === "sample" || display.source === "page";
    for (let c = 0; c <= L; c++) {
      const shown = display.values[c] ?? { kind: null, values: null };
      const kind = shown.values ? shown.kind : null;
      const ext = kind ? this.extentFor(c, kind, shown.values) : 1;
      if (c === 0 && this.net.image) {
        this.drawDigit(shown.values);
        continue;
      }
      const col = this.nodes.neurons[c];
      const isPending = pending?.has(c);
      for (let j = 0; j < col.length; j++) {
        const n = col[j];
        const v = kind ? shown.values[j] : undefined;
        const has = typeof v === "number" && Number.isFinite(v);
        attr(n.body, "fill", has ? diverging(normalize(v, ext), this.theme) : this.theme === "dark" ? "#262a33" : "#ffffff");
        // (A trailing space, not drawn: the group's text reads "0.64 x₁", as its name begins.)
        text(n.val, has ? `${formatShort(v)} ` : "");
        attr(n.g, "data-value", has ? exact(v) : null);
        attr(n.g, "data-kind", has ? kind : null);
        // The name starts with the text drawn in the group (its value and label, WCAG 2.5.3).
        const seen = [has ? formatShort(v) : "", n.lab.textContent].filter(Boolean).join(" ");
        attr(n.g, "aria-label", `${seen ? `${seen}, ` : ""}${this.neuronLabel(c, j, kind, has ? v : null)}`);
        cls(n.g, "pending", isPending);
        cls(n.g, "selected", this.isSelected("neuron", c, j));
        const target = c === L && classification && display.label === j && labelShown;
        cls(n.g, "target", target);
        attr(n.ring, "r", target ? (this.geom.columns[c].r + 4).toFixed(1) : "0");
        if (c === L) attr(n.lab, "fill", classification ? (display.label === j ? "var(--ok)" : "var(--ink-2)") : null);
      }
      if (c > 0 && display.weights) this.updateBiases(c, display.weights[c - 1]?.b);
    }
    fitBackings(this.nodes);
  }

  updateBiases(c, b) {
    let bmax = 0;
    for (const v of b ?? []) if (Math.abs(v) > bmax) bmax = Math.abs(v);
    const ext = Math.max(this.edgeMax, bmax, 1e-6);
    this.nodes.biases[c].forEach((rect, j) => {
      const bv = b?.[j];
      attr(rect, "fill", diverging(normalize(bv ?? 0, ext), this.theme));
      attr(rect, "aria-label", `Bias b${superscript(c)} of unit ${j + 1}: ${formatNumber(bv)}`);
      attr(rect, "data-value", exact(bv));
      cls(rect, "selected", this.isSelected("bias", c, j));
    });
  }

  /** The loss next to the outputs from the loss phase on (the output compared with the label). */
  showLoss(display) {
    const on = ["loss", "backward", "update", "done", "sample"].includes(display.mode) && Number.isFinite(display.loss);
    const label = display.source === "sample" ? "sample loss" : "batch loss";
    text(this.nodes.lossText, on ? `${label} L = ${formatNumber(display.loss, 4)}` : "");
  }

  neuronLabel(c, j, kind, v) {
    const L = this.net.sizes.length - 1;
    const where = c === 0 ? `Input ${inputName(this.net, j)}` : c === L ? `Output ${this.net.classNames?.[j] ?? j + 1}` : `Layer ${c} unit ${j + 1}`;
    if (v === null) return where;
    const sym = kind === "dz" ? `dZ${superscript(c)}` : c === 0 ? "x" : c === L && isClassification(this.net.task) ? "ŷ" : `a${superscript(c)}`;
    return `${where}: ${sym} = ${formatNumber(v, 4)}`;
  }

  isSelected(type, c, j) {
    const sel = this.selection;
    return Boolean(sel && sel.type === type && sel.layer === c && sel.unit === j);
  }

  setSelection(sel) {
    this.selection = sel;
    if (this.lastDisplay) this.update(this.lastDisplay);
    // The selected edge is outlined on the fx canvas when no animation runs (Animator.drawIdle).
    this.hooks.onSelectionDrawn?.();
  }

  /** Position of neuron j of column c (for the animator). */
  nodePos(c, j) {
    const col = this.geom.columns[c];
    return [col.xs ? col.xs[j] : col.x, col.ys[j], col.r];
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

  /** The thumbnail or edge under the pointer event `e`, or null. */
  pointAt(e) {
    const [x, y] = this.localPoint(e);
    return this.thumbnails.at(this.geom, x, y) ?? (this.weights && this.geom ? edgeNear(this.geom, this.weights, x, y) : null);
  }

  onMove(e) {
    const el = e.target.closest?.(".neuron, .bias");
    let sel = el ? this.fromElement(el) : null;
    if (!sel && !e.target.closest?.("button")) sel = this.pointAt(e);
    this.hover(sel, e);
  }

  hover(sel, e) {
    this.root.style.cursor = sel ? "pointer" : "";
    this.hooks.onHover?.(sel, e);
  }

  onClick(e) {
    if (e.target.closest?.("button")) return;
    const el = e.target.closest?.(".neuron, .bias");
    this.hooks.onSelect(el ? this.fromElement(el) : this.pointAt(e));
  }
}
