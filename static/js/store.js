// The page's model of the session, updated by the server's messages (docs/protocol.md) through one
// pure function, `applyMessage`, which returns the names of what changed so views redraw only what
// they must. No DOM here: this module is unit-tested under node.

const MAX_RECORDS = 256;
const MAX_CHART_ROWS = 4000;

/** A fresh, empty model. */
export function createModel() {
  return {
    role: null,
    session: null,
    token: null,
    watchKey: null,
    limits: null,
    config: null,
    data: null,
    step: 0,
    epoch: 0,
    layers: null,
    history: { oldest: 0, newest: 0 },
    playing: false,
    speed: null,
    statusReason: null,
    nextPhase: null,
    revealed: 0,
    walk: null,
    shown: null,
    records: new Map(),
    metrics: null,
    diagnostics: null,
    chart: emptyChart(),
    diverged: null,
    sample: null,
    follow: null,
    gradcheck: null,
    lastError: null,
    frame: null,
    stepsPerSecond: null,
    takenOver: false,
  };
}

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

const CHART_SCALARS = ["loss", "train_loss", "test_loss", "train_accuracy", "test_accuracy"];

/** Number of weight layers L in the model (0 before the first state). */
export function layerCount(model) {
  return model.layers ? model.layers.length : model.config ? (model.config.hidden?.length ?? 0) + 1 : 0;
}

function finiteOrNull(v) {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
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
    for (const key of CHART_SCALARS) if (row[key] !== undefined && row[key] !== null) chart[key][n - 1] = finiteOrNull(row[key]);
    if (row.grad_norms) chart.grad_norms[n - 1] = row.grad_norms.map(finiteOrNull);
    if (row.update_ratios) chart.update_ratios[n - 1] = row.update_ratios.map(finiteOrNull);
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
  for (const key of CHART_SCALARS) if (row[key] !== undefined && row[key] !== null) chart[key][lo] = finiteOrNull(row[key]);
  if (row.grad_norms) chart.grad_norms[lo] = row.grad_norms.map(finiteOrNull);
  if (row.update_ratios) chart.update_ratios[lo] = row.update_ratios.map(finiteOrNull);
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

function diagnosticsRow(diagnostics) {
  if (!diagnostics?.layers) return {};
  return {
    grad_norms: diagnostics.layers.map((d) => d.grad_norm),
    update_ratios: diagnostics.layers.map((d) => d.update_ratio),
  };
}

function metricsRow(metrics) {
  if (!metrics) return null;
  return {
    step: metrics.step,
    train_loss: metrics.train_loss,
    test_loss: metrics.test_loss,
    train_accuracy: metrics.train_accuracy,
    test_accuracy: metrics.test_accuracy,
  };
}

function chartFromSeries(msg) {
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

function rememberRecord(model, record) {
  model.records.set(record.step, record);
  if (model.records.size > MAX_RECORDS) model.records.delete(model.records.keys().next().value);
}

/** Forget records and walks of steps after `step` (back, seek, a new branch). */
function forgetAfter(model, step) {
  for (const key of [...model.records.keys()]) if (key > step) model.records.delete(key);
}

/**
 * Apply one server message to the model (mutating it). Returns the list of changed aspects:
 * "session", "config", "data", "network" (layer sizes changed), "weights", "moment" (step,
 * phase or shown values), "phase", "iteration", "frame", "chart", "status", "diverged", "sample",
 * "gradcheck", "error", "taken_over", "pong".
 */
export function applyMessage(model, msg) {
  const changes = [];
  const shape = (layers) => (layers ? layers.map((l) => `${l.W.length}x${l.W[0]?.length ?? 0}`).join(",") : "");
  const setLayers = (layers) => {
    const before = shape(model.layers);
    model.layers = layers;
    changes.push("weights");
    if (shape(layers) !== before) changes.push("network");
  };
  switch (msg.type) {
    case "hello":
      model.role = msg.role;
      model.session = msg.session;
      model.token = msg.token ?? model.token;
      model.watchKey = msg.watch_key ?? model.watchKey;
      model.limits = msg.limits ?? model.limits;
      model.config = msg.config;
      model.step = msg.step ?? 0;
      model.takenOver = false;
      if (!msg.resumed) {
        model.records.clear();
        model.walk = null;
        model.shown = null;
        model.sample = null;
        model.diverged = null;
      }
      changes.push("session", "config");
      break;
    case "config":
      model.config = msg.config;
      changes.push("config");
      if (msg.reset) {
        model.records.clear();
        model.walk = null;
        model.shown = null;
        model.sample = null;
        model.diverged = null;
        changes.push("moment");
      }
      break;
    case "data":
      model.data = msg;
      model.sample = null;
      changes.push("data", "sample");
      break;
    case "state": {
      const stepChanged = msg.step !== model.step;
      model.step = msg.step;
      model.epoch = msg.epoch;
      model.nextPhase = msg.phase ?? null;
      model.revealed = msg.revealed ?? 0;
      model.history = msg.history ?? model.history;
      model.playing = Boolean(msg.playing);
      if (msg.config) model.config = msg.config;
      if (msg.metrics) model.metrics = msg.metrics;
      setLayers(msg.layers);
      forgetAfter(model, msg.step);
      if (msg.metrics) {
        mergeChartRow(model.chart, metricsRow(msg.metrics));
        changes.push("chart");
      }
      const given = Array.isArray(msg.phases) ? msg.phases.slice(0, model.revealed) : null;
      if (model.revealed === 0) {
        model.walk = null;
        model.shown = null;
      } else if (given && given.length === model.revealed && given.every((p, i) => p && p.index === i && p.step === msg.step + 1)) {
        // `state.phases`: every revealed phase of the iteration under way (after back, seek,
        // a reload, a resume or a sync), so the layers left of the current phase are drawn. The
        // page no longer keeps its own copy of the walk for this.
        model.walk = { step: msg.step + 1, phases: given };
        const last = given[given.length - 1];
        model.shown = { phase: last.phase, layer: last.layer ?? null, index: last.index };
        const loss = given.find((p) => p.phase === "loss");
        if (loss && typeof loss.loss === "number") model.lastLoss = loss.loss;
      } else {
        model.walk = { step: msg.step + 1, phases: [] };
        model.shown = null;
      }
      if (model.diverged && (stepChanged || model.diverged.step > msg.step + 1)) model.diverged = null;
      changes.push("moment", "status", "config");
      break;
    }
    case "phase": {
      if (!model.walk || model.walk.step !== msg.step) model.walk = { step: msg.step, phases: [] };
      model.walk.phases[msg.index] = msg;
      model.walk.phases.length = msg.index + 1;
      model.shown = { phase: msg.phase, layer: msg.layer ?? null, index: msg.index };
      model.revealed = msg.index + 1;
      if (msg.phase === "loss" && typeof msg.loss === "number") model.lastLoss = msg.loss;
      changes.push("phase", "moment");
      break;
    }
    case "iteration": {
      rememberRecord(model, msg);
      model.step = msg.step;
      model.epoch = msg.epoch;
      model.revealed = 0;
      model.nextPhase = { phase: "forward", layer: 1 };
      // After a phase walk's update the record follows: keep the update on screen.
      const walked = model.walk && model.walk.step === msg.step && model.shown?.phase === "update";
      if (!walked) {
        model.walk = null;
        model.shown = null;
      }
      model.history = { oldest: model.history.oldest, newest: Math.max(model.history.newest, msg.step) };
      if (msg.history) model.history = msg.history;
      setLayers(msg.layers.map((l) => ({ W: l.W_next, b: l.b_next })));
      if (msg.metrics) model.metrics = msg.metrics;
      if (msg.diagnostics) model.diagnostics = msg.diagnostics;
      model.lastLoss = msg.loss;
      for (const [step, loss] of msg.losses ?? [[msg.step, msg.loss]]) appendChartRow(model.chart, { step, loss });
      if (msg.metrics) mergeChartRow(model.chart, metricsRow(msg.metrics));
      mergeChartRow(model.chart, { ...diagnosticsRow(msg.diagnostics), step: msg.step });
      changes.push("iteration", "moment", "chart", "status");
      break;
    }
    case "frame": {
      model.frame = msg.frame;
      model.step = msg.step;
      model.epoch = msg.epoch;
      model.revealed = 0;
      model.walk = null;
      model.shown = null;
      model.stepsPerSecond = msg.steps_per_second ?? null;
      // The kept history (its oldest step moves on as a long play trims it).
      model.history = msg.history ?? { oldest: model.history.oldest, newest: Math.max(model.history.newest, msg.step) };
      setLayers(msg.layers);
      if (msg.metrics) model.metrics = msg.metrics;
      if (msg.diagnostics) model.diagnostics = msg.diagnostics;
      const losses = msg.losses ?? [];
      if (losses.length) model.lastLoss = losses[losses.length - 1][1];
      for (const [step, loss] of losses) appendChartRow(model.chart, { step, loss });
      if (msg.metrics) mergeChartRow(model.chart, metricsRow(msg.metrics));
      if (msg.diagnostics) mergeChartRow(model.chart, { ...diagnosticsRow(msg.diagnostics), step: msg.step });
      changes.push("frame", "moment", "chart", "status");
      break;
    }
    case "series":
      model.chart = chartFromSeries(msg);
      // The metrics of the current state may not be in the recorded series yet (step 0).
      if (model.metrics && !model.chart.steps.includes(model.metrics.step)) mergeChartRow(model.chart, metricsRow(model.metrics));
      changes.push("chart");
      break;
    case "status":
      model.playing = Boolean(msg.playing);
      model.speed = msg.speed ?? null;
      model.statusReason = msg.reason ?? null;
      changes.push("status");
      break;
    case "diverged":
      model.diverged = msg;
      model.playing = false;
      changes.push("diverged", "status");
      break;
    case "sample":
      model.sample = msg;
      changes.push("sample", "moment");
      break;
    case "gradcheck":
      model.gradcheck = msg;
      changes.push("gradcheck");
      break;
    case "taken_over":
      model.takenOver = true;
      model.playing = false;
      changes.push("taken_over", "status");
      break;
    case "error":
      model.lastError = msg;
      if (msg.code === "invalid_session") {
        model.session = null;
        model.token = null;
      }
      changes.push("error");
      break;
    case "pong":
      changes.push("pong");
      break;
    default:
      break;
  }
  return changes;
}

/** The index of the phase {phase, layer} among the 2L + 2 phases of one iteration. */
export function phaseIndex(phase, layer, L) {
  if (phase === "forward") return layer - 1;
  if (phase === "loss") return L;
  if (phase === "backward") return L + 1 + (L - layer);
  if (phase === "update") return 2 * L + 1;
  return -1;
}

/** The phase {phase, layer} at a 0-based index of one iteration of L layers. */
export function phaseAt(index, L) {
  if (index < L) return { phase: "forward", layer: index + 1 };
  if (index === L) return { phase: "loss", layer: null };
  if (index <= 2 * L) return { phase: "backward", layer: L - (index - L - 1) };
  return { phase: "update", layer: null };
}
