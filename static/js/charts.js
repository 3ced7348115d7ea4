// Charts with uPlot: loss (batch, train, test), accuracy, per-layer gradient norm and
// update/weight ratio (the vanishing / exploding picture), each with axes, hover values in the
// legend and a log-scale toggle; plus plain-language warnings from the latest diagnostics.

import uPlot from "../vendor/uplot/uPlot.esm.js";
import { cssVar, h } from "./dom.js";
import { classColor, depthColor } from "./colors.js";
import { formatNumber } from "./format.js";
import { LOG_DEFAULT, chartColumns, diagnosticWarnings, distinctTickLabels, logTicks } from "./chartdata.js";
import { isClassification } from "./protocol.js";

function hasValues(data) {
  for (let k = 1; k < data.length; k++) if (data[k].some((v) => v !== null && v !== undefined)) return true;
  return false;
}

export class Charts {
  constructor(root, tabs, logBox, warnings) {
    this.root = root;
    this.tabs = tabs;
    this.logBox = logBox;
    this.warningsEl = warnings;
    this.kind = "loss";
    this.log = { ...LOG_DEFAULT };
    this.plot = null;
    this.chart = null;
    this.L = 1;
    this.pending = false;
    tabs.addEventListener("click", (e) => {
      const b = e.target.closest("[data-chart]");
      if (b) this.show(b.dataset.chart);
    });
    tabs.addEventListener("keydown", (e) => {
      if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
      const all = [...tabs.querySelectorAll("[data-chart]")];
      const i = all.findIndex((b) => b.dataset.chart === this.kind);
      const next = all[(i + (e.key === "ArrowRight" ? 1 : all.length - 1)) % all.length];
      this.show(next.dataset.chart);
      next.focus();
    });
    logBox.addEventListener("change", () => {
      this.log[this.kind] = logBox.checked;
      this.rebuild();
    });
    new ResizeObserver(() => this.resize()).observe(root);
  }

  setLogLoss(on) {
    this.log.loss = on;
    if (this.kind === "loss") {
      this.logBox.checked = on;
      this.rebuild();
    }
  }

  show(kind) {
    this.kind = kind;
    for (const b of this.tabs.querySelectorAll("[data-chart]")) {
      b.setAttribute("aria-selected", String(b.dataset.chart === kind));
      b.tabIndex = b.dataset.chart === kind ? 0 : -1;
    }
    this.root.setAttribute("aria-labelledby", `tab-${kind}`);
    this.logBox.checked = this.log[kind];
    this.rebuild();
  }

  setTask(task) {
    this.task = task;
  }

  /** New chart rows (the store's chart) and the number of layers. Redraws at most once per frame. */
  update(chart, L) {
    this.chart = chart;
    if (L !== this.L) {
      this.L = L;
      if (this.kind === "grad" || this.kind === "ratio") {
        this.rebuild();
        return;
      }
    }
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.setData();
    });
  }

  setWarnings(diagnostics) {
    const list = diagnosticWarnings(diagnostics);
    const textValue = list.join(" ");
    if (this.warningsEl.textContent !== textValue) this.warningsEl.textContent = textValue;
  }

  data() {
    if (!this.chart) return null;
    const cols = chartColumns(this.kind, this.chart, this.L, this.log[this.kind]);
    return { labels: cols.series.map((s) => s[0]), data: [cols.x, ...cols.series.map((s) => s[1])] };
  }

  setData() {
    const d = this.data();
    if (!d) return;
    this.root.classList.toggle("empty", !hasValues(d.data));
    if (!this.plot || this.plot.series.length !== d.data.length) {
      this.rebuild();
      return;
    }
    this.plot.setData(d.data);
  }

  rebuild() {
    this.plot?.destroy();
    this.plot = null;
    this.root.replaceChildren();
    const d = this.data();
    if (!d) return;
    if (this.kind === "accuracy" && this.task && !isClassification(this.task)) {
      this.root.append(h("p", { class: "hint", text: "Accuracy applies to classification; this dataset is a regression." }));
      return;
    }
    const ink2 = cssVar("--ink-2") || "#555";
    const grid = cssVar("--line") || "#ddd";
    const colors = this.kind === "loss" ? [cssVar("--ink-3") || "#999", classColor(1), classColor(0)] : this.kind === "accuracy" ? [classColor(1), classColor(0)] : d.labels.map((_, i) => depthColor(i, d.labels.filter((l) => l !== "1e-3").length, document.documentElement.dataset.theme));
    const log = this.log[this.kind];
    const series = [
      { label: "step" },
      ...d.labels.map((label, i) => ({
        label,
        stroke: label === "1e-3" ? ink2 : colors[i],
        width: this.kind === "loss" && i === 0 ? 1 : 1.75,
        dash: label === "1e-3" ? [4, 4] : undefined,
        spanGaps: true,
        points: { show: (u) => u.data[0].length <= 40, size: 5 },
        value: (_u, v) => (v === null || v === undefined ? "—" : formatNumber(v, 3)),
      })),
    ];
    const width = Math.max(200, this.root.clientWidth);
    const axis = { stroke: ink2, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, font: "10px system-ui, sans-serif" };
    const opts = {
      width,
      height: 150,
      series,
      scales: { x: { time: false }, y: log ? { distr: 3 } : this.kind === "accuracy" ? { range: [0, 1] } : {} },
      // The tick labels are drawn on the canvas: each axis also writes them to the chart's
      // root (data-x-ticks, data-y-ticks) so that what was drawn can be read back. A log y axis
      // gets its ticks from logTicks, all labelled (uPlot's own log filter keeps only 1 × 10ᵏ
      // where it is crowded, which over a narrow range left a single label).
      axes: [
        { ...axis, label: undefined, values: (u, ticks) => shownTicks(u, "xTicks", ticks.map((t) => (Number.isInteger(t) ? formatNumber(t, 6) : ""))) },
        { ...axis, size: 46, ...(log ? { splits: (_u, _i, min, max) => logTicks(min, max), filter: (_u, splits) => splits } : {}), values: (u, ticks) => shownTicks(u, "yTicks", distinctTickLabels(ticks, formatNumber)) },
      ],
      legend: { live: true },
      cursor: { drag: { x: false, y: false }, points: { size: 6 } },
    };
    this.plot = new uPlot(opts, d.data, this.root);
    this.root.classList.toggle("empty", !hasValues(d.data));
  }

  resize() {
    if (!this.plot) return;
    const width = Math.max(200, this.root.clientWidth);
    if (width !== this.plot.width) this.plot.setSize({ width, height: 150 });
  }

  setTheme() {
    this.rebuild();
  }
}

/** Record an axis's tick labels on the plot's root (see the axes above); returns them. */
function shownTicks(u, key, labels) {
  u.root.dataset[key] = labels.join("|");
  return labels;
}
