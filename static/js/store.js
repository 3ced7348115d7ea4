// The page's model of the session, updated by the server's messages (docs/protocol.md). Each
// message type has one handler in HANDLERS; `applyMessage` runs it and returns the names of what
// changed, so views redraw only what they must. The page's own changes to the model (following a
// sample, the connection's state) are functions here too. No DOM: this module is unit-tested
// under node.

import { applyFrame, applyRunsMessage, createRuns } from "./compare/runs.js";
import { appendChartRow, chartFromSeries, diagnosticsRow, emptyChart, mergeChartRow, metricsRow } from "./series.js";

const MAX_RECORDS = 256;

/** A fresh, empty model. */
export function createModel() {
  return {
    role: null,
    session: null,
    token: null,
    watchKey: null,
    resumed: false,
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
    lastPhase: null,
    lastIteration: null,
    metrics: null,
    metricsByStep: new Map(),
    diagnostics: null,
    chart: emptyChart(),
    diverged: null,
    divergedHeld: false,
    sample: null,
    follow: null,
    followSplit: "train",
    gradcheck: null,
    lastError: null,
    lostConfig: null,
    replacedConfig: null,
    frame: null,
    stepsPerSecond: null,
    takenOver: false,
    compare: createRuns(),
    helloExperiment: null,
    experiment: null,
  };
}

/** Number of weight layers L in the model (0 before the first state). */
export function layerCount(model) {
  return model.layers ? model.layers.length : model.config ? (model.config.hidden?.length ?? 0) + 1 : 0;
}

/** True when the page watches another learner's session (read-only). */
export function isWatching(model) {
  return model.role === "watch";
}

function rememberRecord(model, record) {
  model.records.set(record.step, record);
  if (model.records.size > MAX_RECORDS) model.records.delete(model.records.keys().next().value);
}

/** Forget records of steps after `step` (back, seek, a new branch). */
function forgetAfter(model, step) {
  for (const key of [...model.records.keys()]) if (key > step) model.records.delete(key);
  for (const key of [...model.metricsByStep.keys()]) if (key > step) model.metricsByStep.delete(key);
}

/** Keep a `metrics` object: the newest, and by its step (what the timeline shows later). */
function keepMetrics(model, metrics) {
  if (!metrics) return;
  model.metrics = metrics;
  if (typeof metrics.step === "number") model.metricsByStep.set(metrics.step, metrics);
}

/** Forget the moment of the network that was replaced (a new session or a rebuild). */
function forgetMoment(model) {
  model.records.clear();
  model.metricsByStep.clear();
  model.walk = null;
  model.shown = null;
  model.sample = null;
  model.diverged = null;
}

function layerShape(layers) {
  return layers ? layers.map((l) => `${l.W.length}x${l.W[0]?.length ?? 0}`).join(",") : "";
}

/** Set the weights drawn now; "network" joins the changes when the layer sizes changed. */
function setLayers(model, layers, changes) {
  const before = layerShape(model.layers);
  model.layers = layers;
  changes.push("weights");
  if (layerShape(layers) !== before) changes.push("network");
}

/** Append a time-advancing message's losses, metrics and diagnostics to the chart. */
function chartLosses(model, losses, metrics, diagnostics, step) {
  for (const [s, loss] of losses) appendChartRow(model.chart, { step: s, loss });
  if (metrics) mergeChartRow(model.chart, metricsRow(metrics));
  if (diagnostics) mergeChartRow(model.chart, { ...diagnosticsRow(diagnostics), step });
}

function onHello(model, msg) {
  model.role = msg.role;
  model.session = msg.session;
  model.token = msg.token ?? model.token;
  model.watchKey = msg.watch_key ?? model.watchKey;
  model.limits = msg.limits ?? model.limits;
  model.optimizerConstants = msg.optimizer_constants ?? model.optimizerConstants ?? null;
  model.config = msg.config;
  model.step = msg.step ?? 0;
  model.resumed = Boolean(msg.resumed);
  model.takenOver = false;
  model.replacedConfig = null;
  model.helloExperiment = msg.experiment ?? null; // the guided experiment the session follows
  if (!msg.resumed) {
    forgetMoment(model);
    // The server did not know the previous session: the page carries its settings over.
    model.replacedConfig = model.lostConfig;
    model.lostConfig = null;
  }
  return ["session", "config"];
}

function onConfig(model, msg) {
  model.config = msg.config;
  if (!msg.reset) return ["config"];
  forgetMoment(model);
  return ["config", "moment"];
}

function onData(model, msg) {
  model.data = msg;
  model.sample = null;
  // New data (a rebuild) ends following; the same session's data after a resume keeps it.
  if (!model.resumed) model.follow = null;
  model.resumed = false;
  return ["data", "sample"];
}

function onState(model, msg) {
  model.lastState = msg; // its optimizer state (`opt`) is the one before the next step
  const changes = [];
  const stepChanged = msg.step !== model.step;
  model.step = msg.step;
  model.epoch = msg.epoch;
  model.nextPhase = msg.phase ?? null;
  model.revealed = msg.revealed ?? 0;
  model.history = msg.history ?? model.history;
  model.playing = Boolean(msg.playing);
  if (msg.config) model.config = msg.config;
  keepMetrics(model, msg.metrics);
  setLayers(model, msg.layers, changes);
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
    // `state.phases`: every revealed phase of the iteration under way (after back, seek, a
    // reload, a resume or a sync), so the layers left of the current phase are drawn.
    model.walk = { step: msg.step + 1, phases: given };
    const last = given[given.length - 1];
    model.shown = { phase: last.phase, layer: last.layer ?? null, index: last.index };
    const loss = given.find((p) => p.phase === "loss");
    if (loss && typeof loss.loss === "number") model.lastLoss = loss.loss;
  } else {
    model.walk = { step: msg.step + 1, phases: [] };
    model.shown = null;
  }
  // Play that diverged sends `diverged`, `status`, then the `state` of the last finite step:
  // that state keeps the divergence on screen; any later move forgets it.
  const held = model.divergedHeld && model.diverged && msg.step === model.diverged.step - 1;
  model.divergedHeld = false;
  if (!held && model.diverged && (stepChanged || model.diverged.step > msg.step + 1)) model.diverged = null;
  changes.push("state", "moment", "status", "config");
  return changes;
}

function onPhase(model, msg) {
  if (!model.walk || model.walk.step !== msg.step) model.walk = { step: msg.step, phases: [] };
  model.walk.phases[msg.index] = msg;
  model.walk.phases.length = msg.index + 1;
  model.shown = { phase: msg.phase, layer: msg.layer ?? null, index: msg.index };
  model.revealed = msg.index + 1;
  // The phase to animate, with the weights drawn before it (an update morphs from them).
  model.lastPhase = { msg, weightsBefore: model.layers };
  if (msg.phase === "loss" && typeof msg.loss === "number") model.lastLoss = msg.loss;
  return ["phase", "moment"];
}

function onIteration(model, msg) {
  const changes = [];
  rememberRecord(model, msg);
  model.lastIteration = msg;
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
  setLayers(model, msg.layers.map((l) => ({ W: l.W_next, b: l.b_next })), changes);
  keepMetrics(model, msg.metrics);
  if (msg.diagnostics) model.diagnostics = msg.diagnostics;
  model.lastLoss = msg.loss;
  chartLosses(model, msg.losses ?? [[msg.step, msg.loss]], msg.metrics, msg.diagnostics ?? {}, msg.step);
  changes.push("iteration", "moment", "chart", "status");
  return changes;
}

function onFrame(model, msg) {
  const changes = [];
  model.frame = msg.frame;
  model.step = msg.step;
  model.epoch = msg.epoch;
  model.revealed = 0;
  model.walk = null;
  model.shown = null;
  model.stepsPerSecond = msg.steps_per_second ?? null;
  // The kept history (its oldest step moves on as a long play trims it).
  model.history = msg.history ?? { oldest: model.history.oldest, newest: Math.max(model.history.newest, msg.step) };
  setLayers(model, msg.layers, changes);
  keepMetrics(model, msg.metrics);
  if (msg.diagnostics) model.diagnostics = msg.diagnostics;
  const losses = msg.losses ?? [];
  if (losses.length) model.lastLoss = losses[losses.length - 1][1];
  chartLosses(model, losses, msg.metrics, msg.diagnostics, msg.step);
  if (msg.runs) applyFrame(model.compare, msg);
  changes.push("frame", "moment", "chart", "status", ...(msg.runs ? ["runs"] : []));
  return changes;
}

function onSeries(model, msg) {
  model.chart = chartFromSeries(msg);
  // The metrics of the current state may not be in the recorded series yet (step 0).
  if (model.metrics && model.metrics.step <= model.step && !model.chart.steps.includes(model.metrics.step)) mergeChartRow(model.chart, metricsRow(model.metrics));
  return ["chart"];
}

function onStatus(model, msg) {
  model.playing = Boolean(msg.playing);
  model.speed = msg.speed ?? null;
  model.statusReason = msg.reason ?? null;
  return ["status"];
}

function onDiverged(model, msg) {
  model.diverged = msg;
  model.divergedHeld = true;
  model.playing = false;
  return ["diverged", "status"];
}

function onSample(model, msg) {
  model.sample = msg;
  if (!isWatching(model)) return ["sample", "moment"];
  // A spectator shows the sample its owner follows (it cannot choose one: `follow` is not a
  // spectator's message).
  model.follow = msg.index;
  model.followSplit = msg.split ?? "train";
  return ["sample", "moment", "follow"];
}

function onGradcheck(model, msg) {
  model.gradcheck = msg;
  return ["gradcheck"];
}

function onTakenOver(model) {
  model.takenOver = true;
  model.playing = false;
  return ["taken_over", "status"];
}

function onRuns(model, msg) {
  const before = model.compare.shown;
  applyRunsMessage(model.compare, msg);
  // Another run shown: the iterations kept (the inspector's update and history) were the other's.
  if (before && msg.shown && msg.shown !== before) model.records.clear();
  return ["runs"];
}

function onLossSlice(model, msg) {
  model.lossSlice = msg;
  return ["loss_slice"];
}

function onError(model, msg) {
  model.lastError = msg;
  if (msg.code === "invalid_session") {
    // A fresh hello follows: the new session gets this one's settings (not its weights).
    if (model.config && !isWatching(model)) model.lostConfig = model.config;
    model.session = null;
    model.token = null;
  }
  return ["error"];
}

function onExperiment(model, msg) {
  model.experiment = msg;
  return ["experiment"];
}

/** One handler per server message type: (model, msg) → names of what changed. */
export const HANDLERS = {
  hello: onHello,
  config: onConfig,
  data: onData,
  state: onState,
  phase: onPhase,
  iteration: onIteration,
  frame: onFrame,
  series: onSeries,
  status: onStatus,
  diverged: onDiverged,
  sample: onSample,
  gradcheck: onGradcheck,
  taken_over: onTakenOver,
  error: onError,
  pong: () => ["pong"],
  loss_slice: onLossSlice,
  runs: onRuns,
  experiment: onExperiment,
};

/**
 * Apply one server message to the model (mutating it). Returns the list of changed aspects:
 * "session", "config", "data", "network" (layer sizes changed), "weights", "state", "moment"
 * (step, phase or shown values), "phase", "iteration", "frame", "chart", "status", "diverged",
 * "sample", "gradcheck", "error", "taken_over", "pong", "experiment". Unknown types change nothing.
 */
export function applyMessage(model, msg) {
  const handler = Object.hasOwn(HANDLERS, msg.type) ? HANDLERS[msg.type] : null;
  return handler ? handler(model, msg) : [];
}

/** Follow sample `index` of `split` (null stops following). */
export function followSample(model, index, split = "train") {
  model.follow = index;
  model.followSplit = split;
  if (index === null) model.sample = null;
  return ["moment", "sample"];
}

/** The connection's state changed: nothing plays while the socket is not open. */
export function connectionChanged(model, state) {
  if (state !== "open") model.playing = false;
  return ["status"];
}
