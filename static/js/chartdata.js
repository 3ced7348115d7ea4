// What the charts plot and the warnings they show, from the store's chart rows (pure; unit-tested).

import { superscript } from "./format.js";

export const LOG_DEFAULT = { loss: false, accuracy: false, grad: true, ratio: true };

/** The columns uPlot plots for one chart kind, from the store's chart rows. Pure (unit-tested). */
export function chartColumns(kind, chart, L, log = false) {
  const pos = (v) => (v === null || v === undefined || !Number.isFinite(v) ? null : log && v <= 0 ? null : v);
  const x = chart.steps.slice();
  if (kind === "loss") return { x, series: [["Batch loss", chart.loss.map(pos)], ["Train loss", chart.train_loss.map(pos)], ["Test loss", chart.test_loss.map(pos)]] };
  if (kind === "accuracy") return { x, series: [["Train accuracy", chart.train_accuracy.map(pos)], ["Test accuracy", chart.test_accuracy.map(pos)]] };
  const key = kind === "grad" ? "grad_norms" : "update_ratios";
  const series = [];
  for (let l = 0; l < L; l++) {
    const k = superscript(l + 1);
    series.push([kind === "grad" ? `‖dW${k}‖` : `‖ΔW${k}‖/‖W${k}‖`, chart[key].map((r) => pos(r?.[l] ?? null))]);
  }
  if (kind === "ratio") series.push(["1e-3", x.map(() => 1e-3)]);
  return { x, series };
}

/**
 * What the page tells the learner about gradient health: the server's `diagnostics.advice`
 * texts, in the server's order (docs/protocol.md, "Gradient health: the rules"). The page adds
 * no rule of its own. Pure (unit-tested).
 */
export function diagnosticWarnings(diagnostics) {
  return (diagnostics?.advice ?? []).map((a) => a.text).filter((t) => typeof t === "string" && t.length > 0);
}


/**
 * Tick labels with as many significant digits as it takes for neighbours to differ (from
 * `digits` up to 6): 1.05, 1.1, 1.15 rather than "1.1 / 1.1".
 * @param {(number|null)[]} ticks
 * @param {function} format (value, digits) → string
 */
export function distinctTickLabels(ticks, format, digits = 2) {
  let labels = [];
  for (let d = digits; d <= 6; d++) {
    labels = ticks.map((t) => (t === null ? "" : format(t, d)));
    const shown = labels.filter(Boolean);
    if (new Set(shown).size === shown.length) break;
  }
  return labels;
}
