// What the charts plot and the warnings they show, from the store's chart rows (pure; unit-tested).

import { formatNumber, superscript } from "./format.js";

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

/** Warnings about gradients and update sizes from one diagnostics object. Pure (unit-tested). */
export function diagnosticWarnings(diagnostics) {
  const out = [];
  const layers = diagnostics?.layers ?? [];
  if (layers.length === 0) return out;
  const norms = layers.map((d) => d.grad_norm).filter((v) => Number.isFinite(v) && v > 0);
  if (norms.length >= 2) {
    const lo = Math.min(...norms);
    const hi = Math.max(...norms);
    if (hi / lo >= 100) {
      const a = layers.find((d) => d.grad_norm === lo).layer;
      const b = layers.find((d) => d.grad_norm === hi).layer;
      const kind = a < b ? "vanishing" : "exploding";
      out.push(`Layer ${a}'s gradient is ${formatNumber(hi / lo, 2)}× smaller than layer ${b}'s: ${kind} gradients${kind === "vanishing" ? " (try ReLU, fewer layers or He init)" : " (lower the learning rate)"}.`);
    }
  }
  for (const l of diagnostics.vanishing ?? []) if (!out.some((s) => s.includes(`Layer ${l}'s`))) out.push(`Layer ${l}: vanishing gradient.`);
  for (const l of diagnostics.exploding ?? []) out.push(`Layer ${l}: exploding gradient — lower the learning rate.`);
  const far = layers.filter((d) => Number.isFinite(d.update_ratio) && d.update_ratio > 0 && (d.update_ratio < 1e-5 || d.update_ratio > 1e-1));
  if (far.length) {
    const d = far[0];
    out.push(`Layer ${d.layer}'s updates are ${formatNumber(d.update_ratio, 2)} of its weights per step (healthy ≈ 1e-3): ${d.update_ratio > 1e-1 ? "the learning rate is too high" : "it is barely learning"}.`);
  }
  const dead = layers.filter((d) => Number.isFinite(d.dead_fraction) && d.dead_fraction >= 0.5);
  if (dead.length) out.push(`Layer ${dead[0].layer}: ${Math.round(dead[0].dead_fraction * 100)}% of its units have stopped learning (dead or saturated).`);
  return out;
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
