// Message handling: the store replays a real recorded session (fixtures/session.json, captured
// from the server) and the display shows, for every phase, the numbers of that phase's message.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { applyMessage, createModel, layerCount } from "../../static/js/store.js";
import { appendChartRow, emptyChart, mergeChartRow, thinChart } from "../../static/js/series.js";
import { phaseAt, phaseIndex } from "../../static/js/protocol.js";
import { computeDisplay, momentRecord } from "../../static/js/display.js";

const session = JSON.parse(readFileSync(new URL("./fixtures/session.json", import.meta.url)));

function replay(upto) {
  const model = createModel();
  const log = [];
  for (const [k, exchange] of session.entries()) {
    if (k > upto) break;
    for (const msg of exchange.server) log.push({ msg, changes: applyMessage(model, msg), display: computeDisplay(model) });
  }
  return { model, log };
}

test("connect: hello, data, state, series give a ready model at step 0", () => {
  const { model, log } = replay(0);
  assert.deepEqual(log.map((e) => e.msg.type), ["hello", "data", "state", "series"]);
  assert.equal(model.step, 0);
  assert.equal(model.role, "control");
  assert.ok(model.token, "the token is kept for resuming");
  assert.equal(layerCount(model), model.config.hidden.length + 1);
  assert.ok(log[2].changes.includes("network"), "the first state builds the network");
  const series = log[3].msg;
  const extra = series.steps.includes(model.metrics.step) ? 0 : 1;
  assert.equal(model.chart.steps.length, series.steps.length + extra, "the series, plus the current metrics");
  assert.equal(model.chart.train_loss[model.chart.steps.indexOf(0)], model.metrics.train_loss);
  const d = computeDisplay(model);
  assert.equal(d.mode, "idle");
  assert.equal(d.source, "page", "at rest the page computes a probe sample's pass itself");
});

test("a phase walk: forward 1..L, loss, backward L..1, update, each showing its message's numbers", () => {
  const model = createModel();
  for (const msg of session[0].server) applyMessage(model, msg);
  const L = layerCount(model);
  const modes = [];
  for (let k = 1; k <= 8; k++) {
    for (const msg of session[k].server) {
      applyMessage(model, msg);
      const d = computeDisplay(model);
      if (msg.type !== "phase") continue;
      modes.push(`${msg.phase}${msg.layer ?? ""}`);
      if (msg.phase === "forward") {
        assert.deepEqual(d.values[msg.layer].values, msg.A[0], `forward ${msg.layer}: layer shows row 0 of A`);
        assert.equal(d.values[msg.layer].kind, "a");
        if (msg.layer < L) assert.equal(d.values[msg.layer + 1].values, null, "later layers are not computed yet");
      }
      if (msg.phase === "loss") assert.equal(d.loss, msg.loss);
      if (msg.phase === "backward") {
        assert.deepEqual(d.values[msg.layer].values, msg.dZ[0], `backward ${msg.layer}: layer shows row 0 of dZ`);
        assert.equal(d.values[msg.layer].kind, "dz");
        assert.deepEqual(d.grads[msg.layer - 1], msg.dW);
      }
      if (msg.phase === "update") {
        assert.deepEqual(d.next[0].W, msg.layers[0].W_next);
        assert.deepEqual(d.glow[0].W, msg.layers[0].dW);
      }
    }
  }
  assert.deepEqual(modes, ["forward1", "forward2", "forward3", "loss", "backward3", "backward2", "backward1", "update"]);
  // The iteration record followed the update: the update stays on screen, the step advanced.
  assert.equal(model.step, 1);
  assert.equal(computeDisplay(model).mode, "update");
  assert.ok(model.records.has(1));
  assert.equal(phaseIndex("backward", 1, L), 6);
  assert.deepEqual(phaseAt(4, L), { phase: "backward", layer: 3 });
});

test("step back by phase restores exactly the values shown before", () => {
  const model = createModel();
  const shown = [];
  for (let k = 0; k <= 10; k++) {
    for (const msg of session[k].server) applyMessage(model, msg);
    shown.push(JSON.stringify(computeDisplay(model).values));
  }
  // Exchange 11 is the back by phase from forward 2 (of step 2) to forward 1.
  for (const msg of session[11].server) applyMessage(model, msg);
  const d = computeDisplay(model);
  assert.equal(d.mode, "forward");
  assert.equal(d.shown.layer, 1);
  assert.equal(JSON.stringify(d.values), shown[9], "the display equals the one after the first forward phase");
});

test("step by iteration, then back by iteration, returns to the same display", () => {
  const model = createModel();
  let before = null;
  for (let k = 0; k <= 13; k++) {
    if (k === 12) before = JSON.stringify(computeDisplay(model).values);
    for (const msg of session[k].server) applyMessage(model, msg);
    if (k === 12) {
      assert.equal(model.step, 2);
      assert.equal(computeDisplay(model).mode, "done");
    }
  }
  assert.equal(model.step, 1);
  const after = computeDisplay(model);
  assert.equal(after.mode, "done", "back at step 1, whose record is kept");
  assert.ok(before !== null);
  assert.ok(!model.records.has(2), "records after the current step are forgotten");
});

test("follow: the sample message drives the display", () => {
  const model = createModel();
  for (let k = 0; k <= 14; k++) for (const msg of session[k].server) applyMessage(model, msg);
  model.follow = 3;
  const d = computeDisplay(model);
  const smp = session[14].server.find((m) => m.type === "sample");
  assert.equal(d.source, "sample");
  assert.equal(d.sampleIndex, 3);
  assert.deepEqual(d.values[1].values, smp.layers[0].A);
  const rec = momentRecord(model);
  assert.deepEqual(rec.layers[0].dZ, smp.layers[0].dZ);
});

test("play: status and frames update step, weights and chart; pause brings state", () => {
  const model = createModel();
  for (let k = 0; k <= 15; k++) for (const msg of session[k].server) applyMessage(model, msg);
  const frame = session[15].server.filter((m) => m.type === "frame").at(-1);
  assert.ok(frame, "the recording has a frame");
  assert.equal(model.frame, frame.frame);
  assert.equal(model.layers, frame.layers);
  for (const msg of session[16].server) applyMessage(model, msg);
  assert.equal(model.playing, false);
});

test("iteration records and the mid-walk boundary", () => {
  const { model } = replay(9);
  assert.equal(model.walk.step, 2);
  assert.equal(model.shown.phase, "forward");
  const rec = momentRecord(model);
  assert.equal(rec.source, "batch");
  assert.equal(rec.layers[1].Z, null, "layer 2 not computed yet");
  assert.ok(Array.isArray(rec.layers[0].Z));
});

test("errors, taken_over and diverged", () => {
  const model = createModel();
  assert.ok(applyMessage(model, { type: "error", code: "invalid_session", message: "x" }).includes("error"));
  assert.equal(model.token, null);
  applyMessage(model, { type: "diverged", step: 88, layer: 2, quantity: "dW", message: "dW² became infinite" });
  assert.equal(model.diverged.step, 88);
  assert.equal(model.playing, false);
  applyMessage(model, { type: "taken_over" });
  assert.equal(model.takenOver, true);
  assert.deepEqual(applyMessage(model, { type: "no_such_type" }), []);
});

test("chart rows: merge at the same step, cut on a new branch, thin when long", () => {
  const chart = emptyChart();
  appendChartRow(chart, { step: 1, loss: 0.5 });
  appendChartRow(chart, { step: 1, train_loss: 0.4 });
  assert.deepEqual(chart.steps, [1]);
  assert.equal(chart.loss[0], 0.5);
  assert.equal(chart.train_loss[0], 0.4);
  appendChartRow(chart, { step: 2, loss: NaN });
  assert.equal(chart.loss[1], null, "non-finite values become gaps, never NaN");
  appendChartRow(chart, { step: 3, loss: 0.3 });
  appendChartRow(chart, { step: 2, loss: 0.9 });
  assert.deepEqual(chart.steps, [1, 2], "a row at an earlier step cuts the later rows");
  assert.equal(chart.loss[1], 0.9);
  for (let s = 3; s < 30; s++) appendChartRow(chart, { step: s, loss: 1 / s });
  const n = chart.steps.length;
  thinChart(chart);
  assert.ok(chart.steps.length < n);
  assert.equal(chart.steps.at(-1), 29, "the last row is kept");
});

test("metrics of an older step merge in place and never cut the newer losses", () => {
  const chart = emptyChart();
  for (let s = 1; s <= 5; s++) appendChartRow(chart, { step: s, loss: s / 10 });
  mergeChartRow(chart, { step: 3, train_loss: 0.7 });
  mergeChartRow(chart, { step: 0, train_loss: 0.9 });
  assert.deepEqual(chart.steps, [0, 1, 2, 3, 4, 5]);
  assert.equal(chart.train_loss[0], 0.9);
  assert.equal(chart.train_loss[3], 0.7);
  assert.equal(chart.loss[5], 0.5);
  mergeChartRow(chart, { step: 9, test_loss: 0.2 });
  assert.equal(chart.steps.at(-1), 9);
});

test("state.phases: a fresh page (reload, resume, sync) draws every layer revealed mid-walk", () => {
  const walked = createModel();
  for (let k = 0; k <= 10; k++) for (const msg of session[k].server) applyMessage(walked, msg);
  const want = computeDisplay(walked);
  assert.equal(want.mode, "forward");
  assert.equal(want.shown.layer, 2);
  // What the server sends after a reload two phases into the iteration of step 2.
  const base = session[11].server.find((m) => m.type === "state");
  const state = { ...base, revealed: 2, phase: { phase: "forward", layer: 3 }, layers: walked.layers, phases: walked.walk.phases.map((p) => ({ ...p })) };
  const fresh = createModel();
  for (const msg of session[0].server) if (msg.type !== "state" && msg.type !== "series") applyMessage(fresh, msg);
  applyMessage(fresh, state);
  const got = computeDisplay(fresh);
  assert.equal(got.mode, "forward");
  assert.deepEqual(got.shown, want.shown);
  assert.deepEqual(got.values, want.values, "the layers left of the current phase are drawn");
  assert.equal(fresh.walk.phases.length, 2);
  // Phases of another iteration are not taken.
  const stale = createModel();
  for (const msg of session[0].server) if (msg.type !== "state" && msg.type !== "series") applyMessage(stale, msg);
  applyMessage(stale, { ...state, step: 5 });
  assert.equal(stale.shown, null);
});

test("frame.history moves the timeline's oldest step as a long play trims the history", () => {
  const model = createModel();
  for (const msg of session[0].server) applyMessage(model, msg);
  const frame = session[15].server.find((m) => m.type === "frame");
  applyMessage(model, { ...frame, step: 20000, history: { oldest: 10000, newest: 20000 } });
  assert.deepEqual(model.history, { oldest: 10000, newest: 20000 });
  applyMessage(model, { ...frame, step: 20010, history: undefined });
  assert.deepEqual(model.history, { oldest: 10000, newest: 20010 });
});

test("a spectator follows the sample its owner follows; the owner's own page is unchanged", () => {
  const smp = session[14].server.find((m) => m.type === "sample");
  const watcher = createModel();
  applyMessage(watcher, { type: "hello", role: "watch", session: "s", step: 0 });
  const changes = applyMessage(watcher, smp);
  assert.equal(watcher.follow, smp.index);
  assert.equal(watcher.followSplit, smp.split);
  assert.ok(changes.includes("follow"), "the data view marks the followed point");
  const owner = createModel();
  applyMessage(owner, { type: "hello", role: "control", session: "s", step: 0 });
  owner.follow = 5;
  assert.deepEqual(applyMessage(owner, smp), ["sample", "moment"]);
  assert.equal(owner.follow, 5, "the owner's choice is the page's own");
});
