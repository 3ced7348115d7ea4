// The "Compare runs" card: a form that makes a run from the moment shown with some live settings
// changed (or other initial weights), the runs' legend (colour, what differs, step, a small
// decision boundary, Show and Remove), and their loss or accuracy curves overlaid (uPlot).

import uPlot from "../../vendor/uplot/uPlot.esm.js";
import { cssVar, h } from "../dom.js";
import { divergingLut } from "../colors.js";
import { formatNumber } from "../format.js";
import { forwardGrid, gridInputs } from "../nn.js";
import { paintOutput } from "../output/surface.js";
import { choices } from "../options.js";
import { RUN_COLORS, comparing, overlayColumns } from "./runs.js";

const THUMB = 36; // grid points per side of a run's small decision boundary
const DOMAIN = [-6, 6]; // the output view's input square
const FIELDS = [
  { key: "learning_rate", label: "Learning rate", step: "any", min: 0 },
  { key: "momentum", label: "Momentum", step: "any", min: 0, max: 0.999 },
  { key: "batch_size", label: "Batch size", step: 1, min: 1 },
  { key: "l1", label: "L1", step: "any", min: 0, max: 1 },
  { key: "l2", label: "L2", step: "any", min: 0, max: 1 },
  { key: "dropout", label: "Dropout", step: "any", min: 0, max: 0.9 },
];
const KINDS = { train_loss: "Training loss", train_accuracy: "Training accuracy" };

export class CompareCard {
  /**
   * @param {HTMLElement} root
   * @param {{send: (msg: object) => void, options: object}} p
   */
  constructor(root, { send, options }) {
    Object.assign(this, { root, send, options });
    this.kind = "train_loss";
    this.plot = null;
    this.theme = "light";
    this.thumbs = new Map();
    this.openButton = h("button", { type: "button", class: "small", "aria-expanded": "false" }, "Compare…");
    this.openButton.addEventListener("click", () => this.toggleForm(!this.form.isConnected));
    // Built when opened and removed when closed: its labels never shadow the main controls'.
    this.form = this.buildForm();
    this.legend = h("ul", { class: "run-legend", "aria-label": "Runs" });
    this.tabs = h("div", { class: "chart-tabs", role: "tablist", "aria-label": "Compared curve" }, ...Object.entries(KINDS).map(([k, label]) => {
      const b = h("button", { type: "button", role: "tab", "aria-selected": String(k === this.kind), "data-kind": k }, label);
      b.addEventListener("click", () => this.showKind(k));
      return b;
    }));
    this.plotEl = h("div", { class: "compare-plot" });
    this.body = h("div", { class: "compare-body", hidden: true }, this.legend, this.tabs, this.plotEl);
    this.hint = h("p", { class: "hint" }, "Make a second run from this moment with other settings; both then train on the same batches.");
    this.head = h("div", { class: "chart-head" }, h("h2", {}, "Compare runs"), this.openButton);
    root.replaceChildren(this.head, this.hint, this.body);
    new ResizeObserver(() => this.resize()).observe(root);
  }

  buildForm() {
    const opt = h("select", { name: "optimizer", "aria-label": "Run optimizer" }, ...choices(this.options, "optimizer").map((c) => h("option", { value: c.value }, c.label)));
    const rows = [h("label", {}, "Optimizer", opt)];
    for (const f of FIELDS) rows.push(h("label", {}, f.label, h("input", { type: "number", name: f.key, step: f.step, min: f.min, max: f.max, "aria-label": `Run ${f.label.toLowerCase()}` })));
    rows.push(h("label", {}, "Weight seed", h("input", { type: "number", name: "seed", step: 1, min: 0, placeholder: "same", "aria-label": "Run weight seed" })));
    const submit = h("button", { type: "submit", class: "primary" }, "Create run");
    const cancel = h("button", { type: "button" }, "Cancel");
    cancel.addEventListener("click", () => this.toggleForm(false));
    const form = h("form", { class: "compare-form", "aria-label": "New run" }, h("div", { class: "compare-fields" }, ...rows), h("div", { class: "compare-actions" }, submit, cancel));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.submit();
    });
    return form;
  }

  toggleForm(open) {
    this.openButton.setAttribute("aria-expanded", String(open));
    if (!open) {
      this.form.remove();
      return;
    }
    this.form = this.buildForm();
    this.head.after(this.form);
    if (this.config) {
      this.form.elements.optimizer.value = this.config.optimizer;
      for (const f of FIELDS) this.form.elements[f.key].value = String(this.config[f.key]);
      this.form.elements.seed.value = "";
    }
  }

  /** Send `compare` with the fields that differ from the shown run's settings. */
  submit() {
    const el = this.form.elements;
    const config = {};
    if (el.optimizer.value !== this.config.optimizer) config.optimizer = el.optimizer.value;
    for (const f of FIELDS) {
      const v = Number(el[f.key].value);
      if (el[f.key].value.trim() !== "" && Number.isFinite(v) && v !== this.config[f.key]) config[f.key] = f.key === "batch_size" ? Math.round(v) : v;
    }
    const msg = { type: "compare", config };
    if (el.seed.value.trim() !== "") msg.seed = Math.round(Number(el.seed.value));
    this.send(msg);
    this.toggleForm(false);
  }

  showKind(kind) {
    this.kind = kind;
    for (const b of this.tabs.children) b.setAttribute("aria-selected", String(b.dataset.kind === kind));
    this.draw(true);
  }

  /** Redraw from the model (after `runs`, a frame, a config change). */
  update(model, readOnly) {
    this.config = model.config;
    this.data = model.data;
    this.runs = model.compare;
    const on = comparing(model.compare);
    this.openButton.disabled = readOnly || (on && model.compare.runs.length >= 4);
    this.body.hidden = !on;
    this.hint.hidden = on;
    if (!on) {
      this.plot?.destroy();
      this.plot = null;
      this.plotEl.replaceChildren();
      this.legend.replaceChildren();
      return;
    }
    this.renderLegend(readOnly);
    this.draw(false);
  }

  renderLegend(readOnly) {
    const st = this.runs;
    const items = st.runs.map((r) => {
      const shown = r.id === st.shown;
      const show = h("button", { type: "button", class: "small", "aria-pressed": String(shown), disabled: shown || readOnly, "aria-label": `Show run ${r.id} in the diagram` }, shown ? "Shown" : "Show");
      show.addEventListener("click", () => this.send({ type: "show_run", run: r.id }));
      const remove = h("button", { type: "button", class: "small", disabled: shown || readOnly, "aria-label": `Remove run ${r.id}` }, "×");
      remove.addEventListener("click", () => this.send({ type: "compare_remove", run: r.id }));
      const status = r.diverged ? `diverged at step ${r.diverged.step}` : `step ${r.step}`;
      return h("li", { class: shown ? "run shown" : "run", "data-run": r.id }, this.thumb(r), h("span", { class: "run-swatch", style: `background:${RUN_COLORS[r.id]}` }), h("span", { class: "run-label" }, r.label, h("span", { class: "sub" }, ` · ${status}`)), show, remove);
    });
    this.legend.replaceChildren(...items);
  }

  /** The run's decision boundary, small (2-D data only). */
  thumb(run) {
    const canvas = h("canvas", { class: "run-thumb", width: THUMB, height: THUMB, role: "img", "aria-label": `Run ${run.id}'s decision boundary` });
    const d = this.data;
    const layers = run.layers;
    if (!d?.train?.points || !layers?.length || layers[0].W[0]?.length !== d.features.length) {
      canvas.hidden = true;
      return canvas;
    }
    const inputs = gridInputs(THUMB, DOMAIN, DOMAIN, d.features);
    const outs = forwardGrid(layers, inputs, THUMB * THUMB, this.config?.activation ?? "tanh", d.task);
    const k = layers[layers.length - 1].W.length;
    paintOutput(canvas.getContext("2d"), { res: THUMB, outs }, { task: d.task, k, discretize: false, yExtent: 1, theme: this.theme, lut: divergingLut(this.theme) });
    return canvas;
  }

  draw(rebuild) {
    const data = overlayColumns(this.runs, this.kind);
    const ids = this.runs.runs.map((r) => r.id).join();
    if (this.plot && !rebuild && this.plotIds === ids) {
      this.plot.setData(data);
      return;
    }
    this.plot?.destroy();
    this.plotIds = ids;
    const ink2 = cssVar("--ink-2") || "#555";
    const grid = cssVar("--line") || "#ddd";
    const axis = { stroke: ink2, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, font: "10px system-ui, sans-serif" };
    const fmt = (_u, v) => (v === null || v === undefined ? "—" : formatNumber(v, 3));
    const opts = {
      width: Math.max(200, this.plotEl.clientWidth || this.root.clientWidth),
      height: 150,
      scales: { x: { time: false }, y: this.kind === "train_accuracy" ? { range: [0, 1] } : {} },
      series: [{ label: "step" }, ...this.runs.runs.map((r) => ({ label: r.label, stroke: RUN_COLORS[r.id], width: r.id === this.runs.shown ? 2 : 1.5, spanGaps: true, value: fmt }))],
      axes: [{ ...axis }, { ...axis, size: 46, values: (_u, ticks) => ticks.map((t) => formatNumber(t, 2)) }],
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
    };
    this.plotEl.replaceChildren();
    this.plot = new uPlot(opts, data, this.plotEl);
  }

  resize() {
    if (!this.plot) return;
    const width = Math.max(200, this.plotEl.clientWidth);
    if (width !== this.plot.width) this.plot.setSize({ width, height: 150 });
  }

  setTheme(theme) {
    this.theme = theme;
    if (this.runs && comparing(this.runs)) this.draw(true);
  }
}
