// The compared runs as the page keeps them (docs/protocol.md, "Compared runs"): each run's label,
// settings, step, weights and chart rows, from `runs` messages and the `runs` of each `frame`.
// Pure functions, no DOM: tested under node.

/** Each run's colour, by run id (A is the session's own run). */
export const RUN_COLORS = { A: "#2f6fd0", B: "#e07b00", C: "#1a9850", D: "#8e44ad" };

/** Chart rows kept per run; past this every other older row is dropped. */
export const MAX_ROWS = 4000;

const METRIC_KEYS = ["train_loss", "test_loss", "train_accuracy", "test_accuracy"];

export function createRuns() {
  return { shown: null, runs: [] };
}

/** True when there is a comparison (two runs or more). */
export function comparing(state) {
  return state.runs.length > 1;
}

function rowsFromSeries(series) {
  const rows = new Map();
  (series?.steps ?? []).forEach((step, i) => {
    const row = { loss: series.loss?.[i] ?? null };
    for (const k of METRIC_KEYS) row[k] = series[k]?.[i] ?? null;
    rows.set(step, row);
  });
  return rows;
}

function thin(rows) {
  if (rows.size <= MAX_ROWS) return;
  const keys = [...rows.keys()].sort((a, b) => a - b);
  keys.slice(0, -MAX_ROWS / 2).forEach((k, i) => {
    if (i % 2) rows.delete(k);
  });
}

function merge(rows, step, values) {
  const row = rows.get(step) ?? { loss: null, train_loss: null, test_loss: null, train_accuracy: null, test_accuracy: null };
  for (const [k, v] of Object.entries(values)) if (v !== null && v !== undefined) row[k] = v;
  rows.set(step, row);
}

/**
 * A `runs` message replaces everything (it carries each run's whole series); with `append`
 * (after a `step`) its series are the new rows only, merged into the runs kept.
 */
export function applyRunsMessage(state, msg) {
  const kept = new Map(state.runs.map((r) => [r.id, r.rows]));
  if (msg.append && (msg.runs ?? []).every((r) => kept.has(r.run))) {
    state.shown = msg.shown ?? null;
    state.runs = msg.runs.map((r) => {
      const rows = kept.get(r.run);
      for (const [step, row] of rowsFromSeries(r.series)) merge(rows, step, row);
      thin(rows);
      return { id: r.run, label: r.label, config: r.config, seed: r.seed, step: r.step, diverged: r.diverged ?? null, layers: r.layers, rows };
    });
    return state;
  }
  state.shown = msg.shown ?? null;
  state.runs = (msg.runs ?? []).map((r) => ({ id: r.run, label: r.label, config: r.config, seed: r.seed, step: r.step, diverged: r.diverged ?? null, layers: r.layers, rows: rowsFromSeries(r.series) }));
  return state;
}

/** A `frame` while comparing: the shown run's losses and metrics, and each other run's. */
export function applyFrame(state, frame) {
  if (!comparing(state)) return state;
  const byId = new Map(state.runs.map((r) => [r.id, r]));
  const parts = [{ run: state.shown, step: frame.step, losses: frame.losses, metrics: frame.metrics, layers: frame.layers }, ...(frame.runs ?? [])];
  for (const p of parts) {
    const run = byId.get(p.run);
    if (!run) continue;
    run.step = p.step;
    if (p.layers) run.layers = p.layers;
    if ("diverged" in p) run.diverged = p.diverged ?? null;
    for (const [s, loss] of p.losses ?? []) merge(run.rows, s, { loss });
    if (p.metrics) merge(run.rows, p.metrics.step, Object.fromEntries(METRIC_KEYS.map((k) => [k, p.metrics[k]])));
    thin(run.rows);
  }
  return state;
}

/**
 * uPlot columns overlaying the runs: [steps, run A's values, run B's, …] for `key`
 * ("train_loss", "train_accuracy", …), null where a run has no value at a step; at most
 * `maxPoints` steps (evenly thinned, the last one kept).
 */
export function overlayColumns(state, key, maxPoints = 1000) {
  const all = new Set();
  for (const r of state.runs) for (const [s, row] of r.rows) if (row[key] !== null && row[key] !== undefined) all.add(s);
  let steps = [...all].sort((a, b) => a - b);
  if (steps.length > maxPoints) {
    const stride = Math.ceil(steps.length / maxPoints);
    steps = steps.filter((_, i) => i % stride === 0 || i === steps.length - 1);
  }
  return [steps, ...state.runs.map((r) => steps.map((s) => r.rows.get(s)?.[key] ?? null))];
}
