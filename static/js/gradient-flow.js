// The gradient-flow view (element id `gradient-flow`): one bar per layer, input on the left, its
// height the RMS of dZ of that layer on a log scale (the back-propagated signal, the server's
// `diagnostics.layers[].dz_rms`), with the mean |f′(Z)| of each hidden layer under it and the
// server's flags (vanishing, exploding, dead, saturated) marked on the bars. The advice texts are
// the server's (chartdata.diagnosticWarnings); nothing here judges the gradient.

import { h } from "./dom.js";
import { formatNumber, superscript as sup } from "./format.js";

export const GRADIENT_FLOW_ID = "gradient-flow";

/** The view's element, for other views that point at it (e.g. an experiment's highlight). */
export function gradientFlowElement(doc = globalThis.document) {
  return doc?.getElementById(GRADIENT_FLOW_ID) ?? null;
}

const FLAG_NAMES = ["vanishing", "exploding", "dead", "saturated"];

/**
 * The bars of one `diagnostics` object. Pure (unit-tested).
 * @returns {{bars: {layer: number, rms: number|null, fprime: number|null, frac: number, flags: string[]}[], lo: number, hi: number, ratio: number|null}|null}
 *   `frac` ∈ [0, 1] the bar's height on the log scale from 10^lo to 10^hi; null without layers.
 */
export function flowBars(diagnostics) {
  const layers = diagnostics?.layers ?? [];
  if (layers.length === 0) return null;
  const valid = (v) => typeof v === "number" && Number.isFinite(v) && v > 0;
  const logs = layers.map((d) => d.dz_rms).filter(valid).map(Math.log10);
  let lo = logs.length ? Math.floor(Math.min(...logs)) : -1;
  let hi = logs.length ? Math.ceil(Math.max(...logs)) : 0;
  if (hi <= lo) hi = lo + 1;
  const bars = layers.map((d) => {
    const rms = valid(d.dz_rms) ? d.dz_rms : null;
    const flags = FLAG_NAMES.filter((f) => (diagnostics[f] ?? []).includes(d.layer));
    const fprime = typeof d.fprime_mean === "number" && Number.isFinite(d.fprime_mean) ? Math.abs(d.fprime_mean) : null;
    return { layer: d.layer, rms, fprime, frac: rms === null ? 0 : (Math.log10(rms) - lo) / (hi - lo), flags };
  });
  return { bars, lo, hi, ratio: diagnostics.signal_ratio ?? null };
}

/** Render `diagnostics` into the view's element `root` (writes the DOM only when it changed). */
export function renderGradientFlow(root, diagnostics, L) {
  if (!root) return;
  const flow = flowBars(diagnostics);
  const key = flow ? JSON.stringify(flow) : `empty${L}`;
  if (root.dataset.key === key) return;
  root.dataset.key = key;
  const head = h(
    "div",
    { class: "gflow-head" },
    h("h3", { id: "gradient-flow-h" }, "Gradient flow"),
    h("span", { class: "sub" }, "RMS of dZ per layer, log scale; input on the left, output on the right"),
  );
  if (!flow) {
    root.replaceChildren(head, h("p", { class: "hint" }, "Appears after the first training step: how much gradient reaches each layer."));
    return;
  }
  const last = flow.bars.length;
  const cols = flow.bars.map((b) => {
    const flagged = b.flags.length > 0;
    const title = `Layer ${b.layer}${b.layer === last ? " (output)" : ""}: RMS(dZ${sup(b.layer)}) = ${b.rms === null ? "—" : formatNumber(b.rms, 2)}${b.fprime === null ? "" : `, mean |f′(Z${sup(b.layer)})| = ${formatNumber(b.fprime, 2)}`}${flagged ? `; flagged ${b.flags.join(", ")}` : ""}`;
    return h(
      "div",
      { class: `gflow-col${flagged ? " flagged" : ""}`, "data-layer": String(b.layer), "data-rms": b.rms === null ? "" : String(b.rms), "data-flags": b.flags.join(" "), title },
      h("span", { class: "gflow-val" }, b.rms === null ? "—" : formatNumber(b.rms, 1)),
      h("span", { class: "gflow-track" }, h("span", { class: "gflow-bar", style: `height:${Math.max(2, Math.round(b.frac * 100))}%` })),
      h("span", { class: "gflow-layer" }, b.layer === last ? `${b.layer} out` : String(b.layer)),
      h("span", { class: "gflow-fp" }, b.fprime === null ? "" : formatNumber(b.fprime, 2)),
      h("span", { class: "gflow-flag", "aria-hidden": "true" }, flagged ? "⚠" : ""),
    );
  });
  const flagged = FLAG_NAMES.map((f) => [f, flow.bars.filter((b) => b.flags.includes(f)).map((b) => b.layer)]).filter(([, ls]) => ls.length);
  const flags = flagged.length ? h("p", { class: "gflow-flags" }, `⚠ Flagged by the server: ${flagged.map(([f, ls]) => `${f} at layer${ls.length > 1 ? "s" : ""} ${ls.join(", ")}`).join("; ")}.`) : "";
  const scale = h(
    "div",
    { class: "gflow-col gflow-scale", "aria-hidden": "true" },
    h("span", { class: "gflow-val" }, "ρ"),
    h("span", { class: "gflow-ticks" }, h("span", {}, `1e${flow.hi}`), h("span", {}, `1e${flow.lo}`)),
    h("span", { class: "gflow-layer" }, "layer"),
    h("span", { class: "gflow-fp" }, "|f′|"),
    h("span", { class: "gflow-flag" }, ""),
  );
  const ratio = typeof flow.ratio === "number" ? ` ρ¹/ρ${sup(Math.max(1, last - 1))} = ${formatNumber(flow.ratio, 2)}.` : "";
  const summary = h("p", { class: "gflow-note" }, `Each bar is ρ = RMS(dZ) of a layer, the gradient signal it receives; under it the mean |f′(Z)| of the layer, the factor a hidden layer multiplies that signal by on its way back.${ratio}`);
  const plot = h("div", { class: "gflow-plot", role: "img", "aria-label": flow.bars.map((b) => `layer ${b.layer} ${b.rms === null ? "no value" : formatNumber(b.rms, 2)}`).join(", ") }, scale, ...cols);
  root.replaceChildren(head, plot, flags, summary);
  markCrowded(plot);
  if (!root.gflowResize) {
    root.gflowResize = new ResizeObserver(() => markCrowded(root.querySelector(".gflow-plot")));
    root.gflowResize.observe(root);
  }
}

/**
 * Class `dense` on a plot whose columns are narrower than a number or a label in them (e.g. 9
 * bars in the 1024-wide layout): its numbers then alternate between two lines (app.css).
 */
function markCrowded(plot) {
  if (!plot) return;
  plot.classList.remove("dense");
  const crowded = [...plot.querySelectorAll(".gflow-col[data-layer]")].some((col) => {
    const room = col.getBoundingClientRect().width;
    return room > 0 && [...col.children].some((e) => e.getBoundingClientRect().width > room + 0.5);
  });
  plot.classList.toggle("dense", crowded);
}
