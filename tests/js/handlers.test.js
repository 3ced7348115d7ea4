// The store's message handlers, one test per server message type: each handler changes the model
// as docs/protocol.md says and returns the names of what changed. Real messages come from the
// recorded session (fixtures/session.json); the others are written as the protocol gives them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { HANDLERS, applyMessage, connectionChanged, createModel, followSample } from "../../static/js/store.js";

const session = JSON.parse(readFileSync(new URL("./fixtures/session.json", import.meta.url)));
const messages = session.flatMap((exchange) => exchange.server);
const first = (type) => messages.find((m) => m.type === type);

/** A model after connecting (hello, data, state, series of the recording). */
function connected() {
  const model = createModel();
  for (const msg of session[0].server) applyMessage(model, msg);
  return model;
}

const SERVER_MESSAGES = ["hello", "data", "state", "phase", "iteration", "frame", "series", "config", "status", "diverged", "sample", "gradcheck", "taken_over", "pong", "error", "loss_slice", "runs", "experiment"];

test("every server message of the protocol has exactly one handler, and nothing else has one", () => {
  assert.deepEqual(Object.keys(HANDLERS).sort(), [...SERVER_MESSAGES].sort());
  const model = createModel();
  assert.deepEqual(applyMessage(model, { type: "unknown" }), [], "an unknown type changes nothing");
  assert.deepEqual(applyMessage(model, { type: "toString" }), [], "nor does an inherited property's name");
});

test("hello: identity, limits and config; a fresh session forgets the old moment", () => {
  const model = createModel();
  model.records.set(3, {});
  model.diverged = { step: 3 };
  const changes = applyMessage(model, first("hello"));
  assert.deepEqual(changes, ["session", "config"]);
  assert.equal(model.role, "control");
  assert.ok(model.session && model.token && model.watchKey && model.limits && model.config);
  assert.equal(model.records.size, 0);
  assert.equal(model.diverged, null);
  assert.equal(model.replacedConfig, null, "no lost session to carry over");
});

test("hello after invalid_session: the lost session's config is handed on once; a watcher's never", () => {
  const model = connected();
  const before = model.config;
  assert.deepEqual(applyMessage(model, { type: "error", code: "invalid_session", message: "gone", id: null }), ["error"]);
  assert.equal(model.token, null);
  applyMessage(model, { ...first("hello"), resumed: false });
  assert.equal(model.replacedConfig, before);
  assert.equal(model.lostConfig, null);
  const watcher = createModel();
  applyMessage(watcher, { ...first("hello"), role: "watch", token: undefined, watch_key: undefined });
  applyMessage(watcher, { type: "error", code: "invalid_session", message: "gone", id: null });
  assert.equal(watcher.lostConfig, null);
});

test("data: kept; a rebuild's data ends following, a resumed session's data keeps it", () => {
  const model = connected();
  followSample(model, 4, "test");
  assert.deepEqual(applyMessage(model, first("data")), ["data", "sample"]);
  assert.equal(model.follow, null, "new data ends following");
  followSample(model, 4, "test");
  applyMessage(model, { ...first("hello"), resumed: true });
  applyMessage(model, first("data"));
  assert.equal(model.follow, 4);
  assert.equal(model.followSplit, "test");
});

test("config: a live change keeps the moment, a reset forgets it", () => {
  const model = connected();
  model.records.set(1, {});
  assert.deepEqual(applyMessage(model, { type: "config", config: { ...model.config, learning_rate: 0.1 }, reset: false }), ["config"]);
  assert.equal(model.config.learning_rate, 0.1);
  assert.equal(model.records.size, 1);
  assert.deepEqual(applyMessage(model, { type: "config", config: model.config, reset: true }), ["config", "moment"]);
  assert.equal(model.records.size, 0);
});

test("state: step, phase, history and weights; 'state' is among the changes", () => {
  const model = createModel();
  applyMessage(model, first("hello"));
  const changes = applyMessage(model, first("state"));
  for (const name of ["weights", "network", "state", "moment", "status", "config"]) assert.ok(changes.includes(name), name);
  assert.equal(model.step, first("state").step);
  assert.equal(model.layers, first("state").layers);
});

test("phase: joins the walk and is kept, with the weights drawn before it, for its animation", () => {
  const model = connected();
  const phase = first("phase");
  const weights = model.layers;
  assert.deepEqual(applyMessage(model, phase), ["phase", "moment"]);
  assert.equal(model.walk.phases[phase.index], phase);
  assert.equal(model.revealed, phase.index + 1);
  assert.deepEqual(model.lastPhase, { msg: phase, weightsBefore: weights });
});

test("iteration: the record, the next weights, the chart; kept for its animation", () => {
  const model = connected();
  const it = first("iteration");
  const changes = applyMessage(model, it);
  for (const name of ["weights", "iteration", "moment", "chart", "status"]) assert.ok(changes.includes(name), name);
  assert.equal(model.lastIteration, it);
  assert.equal(model.records.get(it.step), it);
  assert.deepEqual(model.layers[0].W, it.layers[0].W_next);
  assert.ok(model.chart.steps.includes(it.step));
});

test("frame: step, weights, losses; the frame number to acknowledge", () => {
  const model = connected();
  const frame = first("frame");
  const changes = applyMessage(model, frame);
  for (const name of ["weights", "frame", "moment", "chart", "status"]) assert.ok(changes.includes(name), name);
  assert.equal(model.frame, frame.frame);
  assert.equal(model.step, frame.step);
  assert.equal(model.walk, null);
});

test("series: replaces the chart", () => {
  const model = connected();
  const series = first("series");
  assert.deepEqual(applyMessage(model, series), ["chart"]);
  assert.deepEqual(model.chart.steps.slice(0, series.steps.length), series.steps);
});

test("status, diverged, taken_over: whether it plays", () => {
  const model = connected();
  assert.deepEqual(applyMessage(model, { type: "status", playing: true, speed: 100, reason: null }), ["status"]);
  assert.equal(model.playing, true);
  assert.equal(model.speed, 100);
  const diverged = { type: "diverged", step: 9, layer: 2, quantity: "dW", message: "m" };
  assert.deepEqual(applyMessage(model, diverged), ["diverged", "status"]);
  assert.equal(model.diverged, diverged);
  assert.equal(model.playing, false);
  model.playing = true;
  assert.deepEqual(applyMessage(model, { type: "taken_over" }), ["taken_over", "status"]);
  assert.equal(model.takenOver, true);
  assert.equal(model.playing, false);
});

test("sample, gradcheck, pong, error: kept for the views", () => {
  const model = connected();
  assert.deepEqual(applyMessage(model, first("sample")), ["sample", "moment"]);
  assert.equal(model.sample, first("sample"));
  const g = { type: "gradcheck", step: 0, layers: [], ok: true };
  assert.deepEqual(applyMessage(model, g), ["gradcheck"]);
  assert.equal(model.gradcheck, g);
  assert.deepEqual(applyMessage(model, { type: "pong", id: 1 }), ["pong"]);
  const err = { type: "error", code: "invalid_message", message: "learning_rate", id: null };
  assert.deepEqual(applyMessage(model, err), ["error"]);
  assert.equal(model.lastError, err);
  assert.ok(model.token, "an ordinary error keeps the session");
});

test("the page's own changes: following a sample, the connection closing", () => {
  const model = connected();
  model.sample = {};
  assert.deepEqual(followSample(model, null), ["moment", "sample"]);
  assert.equal(model.sample, null);
  model.playing = true;
  assert.deepEqual(connectionChanged(model, "reconnecting"), ["status"]);
  assert.equal(model.playing, false);
});

test("loss_slice: kept for the chart that asked for it", () => {
  const model = connected();
  const msg = { type: "loss_slice", step: 3, alphas: [0, 1], batch_loss: [0.7, 0.6], train_loss: [0.7, 0.65], slope: -0.1 };
  assert.deepEqual(applyMessage(model, msg), ["loss_slice"]);
  assert.equal(model.lossSlice, msg);
});

test("runs: the compared runs replace the previous ones; a frame's runs extend them", () => {
  const model = connected();
  const series = { steps: [0], loss: [null], train_loss: [0.7], test_loss: [null], train_accuracy: [0.5], test_accuracy: [null] };
  const run = (id) => ({ run: id, label: `${id}: …`, config: {}, seed: 1, step: 0, diverged: null, layers: [], series });
  assert.deepEqual(applyMessage(model, { type: "runs", shown: "A", runs: [run("A"), run("B")] }), ["runs"]);
  assert.deepEqual(model.compare.runs.map((r) => r.id), ["A", "B"]);
  const frame = { type: "frame", frame: 1, step: 2, epoch: 0, layers: model.layers, losses: [[1, 0.6], [2, 0.5]], metrics: null, diagnostics: null, runs: [{ run: "B", step: 2, losses: [[2, 0.4]], metrics: null, layers: [], diverged: null }] };
  assert.ok(applyMessage(model, frame).includes("runs"));
  assert.equal(model.compare.runs[1].rows.get(2).loss, 0.4);
  assert.equal(model.compare.runs[0].rows.get(2).loss, 0.5);
});

test("runs: showing another run forgets the iterations kept of the one shown before", () => {
  const model = connected();
  const series = { steps: [], loss: [], train_loss: [], test_loss: [], train_accuracy: [], test_accuracy: [] };
  const run = (id) => ({ run: id, label: id, config: {}, seed: 1, step: 0, diverged: null, layers: [], series });
  applyMessage(model, { type: "runs", shown: "A", runs: [run("A"), run("B")] });
  model.records.set(1, { step: 1 });
  applyMessage(model, { type: "runs", shown: "A", runs: [run("A"), run("B")], append: true });
  assert.equal(model.records.size, 1, "the same run shown: kept");
  applyMessage(model, { type: "runs", shown: "B", runs: [run("A"), run("B")] });
  assert.equal(model.records.size, 0);
});

test("experiment: the session's guided experiment and its check; hello names the one followed", () => {
  const model = createModel();
  applyMessage(model, { ...first("hello"), experiment: "vanishing" });
  assert.equal(model.helloExperiment, "vanishing");
  const msg = { type: "experiment", experiment: "vanishing", step: 200, seen: true, detail: "ratio 0.0003", values: {}, answer: null };
  assert.deepEqual(applyMessage(model, msg), ["experiment"]);
  assert.equal(model.experiment, msg);
  applyMessage(model, first("hello"));
  assert.equal(model.helloExperiment, null, "a hello without one: none");
});
