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

/** The smallest of 1, 2, 2.5, 5 × 10ᵏ that is at least `x` (> 0). */
function niceStep(x) {
  const magnitude = 10 ** Math.floor(Math.log10(x));
  return [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= x * (1 - 1e-9));
}

/**
 * Tick values for a log-scale axis from `min` to `max` (both > 0). Over a decade or more:
 * 1, 2 and 5 × 10ᵏ (only the powers of ten when that makes more than 6). Over less, where a
 * log axis's own ticks (powers of ten and their multiples) can leave a single label, e.g. only
 * "0.7" for a loss between 0.66 and 0.73: 3 to 5 round values spaced evenly.
 * @returns {number[]}
 */
export function logTicks(min, max) {
  if (!(min > 0) || !(max > min) || !Number.isFinite(max)) return [];
  const round = (v) => Number(v.toPrecision(12));
  if (max / min >= 10) {
    const ticks = [];
    for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
      for (const m of [1, 2, 5]) {
        const v = round(m * 10 ** e);
        if (v >= min && v <= max) ticks.push({ v, power: m === 1 });
      }
    }
    const kept = ticks.length > 6 ? ticks.filter((t) => t.power) : ticks;
    return kept.map((t) => t.v);
  }
  let step = niceStep((max - min) / 4);
  for (;;) {
    const ticks = [];
    for (let v = Math.ceil(min / step) * step; v <= max * (1 + 1e-12); v += step) ticks.push(round(v));
    if (ticks.length >= 3 || step < (max - min) / 100) return ticks;
    step = niceStep(step / 2.5);
  }
}
