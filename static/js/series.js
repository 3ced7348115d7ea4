// The chart's rows (steps with their losses, accuracies, gradient norms and update ratios), kept
// in step order as the messages bring them: a `series` replaces them, `iteration` and `frame`
// append, metrics evaluated later merge in at their own step.

const MAX_CHART_ROWS = 4000;
const CHART_SCALARS = ["loss", "train_loss", "test_loss", "train_accuracy", "test_accuracy"];

export function emptyChart() {
  return {
    steps: [],
    loss: [],
    train_loss: [],
    test_loss: [],
    train_accuracy: [],
    test_accuracy: [],
    grad_norms: [],
    update_ratios: [],
  };
}

function finiteOrNull(v) {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** Write the values `row` carries into the chart's row at index i (absent values stay). */
function fillRow(chart, i, row) {
  for (const key of CHART_SCALARS) if (row[key] !== undefined && row[key] !== null) chart[key][i] = finiteOrNull(row[key]);
  if (row.grad_norms) chart.grad_norms[i] = row.grad_norms.map(finiteOrNull);
  if (row.update_ratios) chart.update_ratios[i] = row.update_ratios.map(finiteOrNull);
}

/**
 * Add one row to the chart. Rows are ordered by step: a row at or before the last step first cuts
 * the later rows (a new branch after a live change), and a row at the same step merges into it.
 */
export function appendChartRow(chart, row) {
  const step = row.step;
  if (typeof step !== "number") return;
  const n = chart.steps.length;
  if (n > 0 && step === chart.steps[n - 1]) {
    fillRow(chart, n - 1, row);
    return;
  }
  if (n > 0 && step < chart.steps[n - 1]) {
    let cut = n;
    while (cut > 0 && chart.steps[cut - 1] >= step) cut--;
    for (const key of Object.keys(chart)) chart[key].length = cut;
  }
  chart.steps.push(step);
  for (const key of CHART_SCALARS) chart[key].push(finiteOrNull(row[key]));
  chart.grad_norms.push(row.grad_norms ? row.grad_norms.map(finiteOrNull) : null);
  chart.update_ratios.push(row.update_ratios ? row.update_ratios.map(finiteOrNull) : null);
  if (chart.steps.length > MAX_CHART_ROWS) thinChart(chart);
}

/**
 * Merge a row of metrics into the chart at its step without cutting anything: metrics are
 * evaluated in chunks, so they may describe a step older than the newest loss.
 */
export function mergeChartRow(chart, row) {
  const step = row.step;
  if (typeof step !== "number") return;
  const steps = chart.steps;
  const n = steps.length;
  if (n === 0 || step > steps[n - 1]) {
    appendChartRow(chart, row);
    return;
  }
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (steps[mid] < step) lo = mid + 1;
    else hi = mid;
  }
  if (steps[lo] !== step) {
    steps.splice(lo, 0, step);
    for (const key of CHART_SCALARS) chart[key].splice(lo, 0, null);
    chart.grad_norms.splice(lo, 0, null);
    chart.update_ratios.splice(lo, 0, null);
  }
  fillRow(chart, lo, row);
}

/** Halve the rows (keep every other one and always the last), preserving metric rows where possible. */
export function thinChart(chart) {
  const n = chart.steps.length;
  const keep = [];
  for (let i = 0; i < n; i++) {
    const hasMetric = chart.train_loss[i] !== null || chart.test_loss[i] !== null;
    if (i % 2 === 0 || i === n - 1 || hasMetric) keep.push(i);
  }
  for (const key of Object.keys(chart)) chart[key] = keep.map((i) => chart[key][i]);
}

/** The chart row of a `diagnostics` object: per-layer gradient norms and update ratios. */
export function diagnosticsRow(diagnostics) {
  if (!diagnostics?.layers) return {};
  return {
    grad_norms: diagnostics.layers.map((d) => d.grad_norm),
    update_ratios: diagnostics.layers.map((d) => d.update_ratio),
  };
}

/** The chart row of a `metrics` object, or null. */
export function metricsRow(metrics) {
  if (!metrics) return null;
  return {
    step: metrics.step,
    train_loss: metrics.train_loss,
    test_loss: metrics.test_loss,
    train_accuracy: metrics.train_accuracy,
    test_accuracy: metrics.test_accuracy,
  };
}

/** The whole chart from a `series` message. */
export function chartFromSeries(msg) {
  const chart = emptyChart();
  const n = msg.steps?.length ?? 0;
  for (let i = 0; i < n; i++) {
    chart.steps.push(msg.steps[i]);
    for (const key of CHART_SCALARS) chart[key].push(finiteOrNull(msg[key]?.[i]));
    const g = msg.grad_norms?.[i];
    chart.grad_norms.push(Array.isArray(g) ? g.map(finiteOrNull) : null);
    const u = msg.update_ratios?.[i];
    chart.update_ratios.push(Array.isArray(u) ? u.map(finiteOrNull) : null);
  }
  return chart;
}

/**
 * The metrics to show at `step`: the newest evaluated at or before it, from the chart's rows or
 * the last `metrics` message (after a seek back, the newest metrics describe a later step).
 */
export function metricsAt(chart, metrics, step, byStep = null) {
  let best = metrics && metrics.step <= step ? metrics : null;
  for (const m of byStep?.values() ?? []) if (m.step <= step && (!best || m.step > best.step)) best = m;
  const steps = chart?.steps ?? [];
  for (let i = steps.length - 1; i >= 0; i--) {
    if (steps[i] > step) continue;
    if (best && best.step >= steps[i]) break;
    if (Number.isFinite(chart.train_loss[i])) {
      best = { step: steps[i], train_loss: chart.train_loss[i], test_loss: chart.test_loss[i], train_accuracy: chart.train_accuracy[i], test_accuracy: chart.test_accuracy[i] };
      break;
    }
  }
  return best;
}
