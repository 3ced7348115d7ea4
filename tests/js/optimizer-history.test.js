// The selected weight's history (optimizer-history.js) and the loss-slice columns
// (lossslice.js's pure functions) on hand-made messages shaped as the protocol's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { HISTORY_STEPS, entryHistory, historySeries, sparkPoints } from "../../static/js/optimizer-history.js";

/** An `iteration` of a 1-layer 2×2 network with momentum: W[0][1] gets g = 1 every step. */
function iteration(step, v) {
  const W = [[0, 0.5 - 0.1 * step], [0, 0]];
  return {
    type: "iteration",
    step,
    optimizer: "momentum",
    optimizer_t: step,
    learning_rate: 0.1,
    layers: [{ W, dW: [[0, 1], [0, 0]], db: [2, 0], update_W: [[0, -0.1 * v], [0, 0]], update_b: [-0.2 * v, 0], opt: { W: { momentum_buffer: [[0, v], [0, 0]] }, b: { momentum_buffer: [2 * v, 0] } } }],
  };
}

function records(n) {
  const map = new Map();
  let v = 0;
  for (let s = 1; s <= n; s++) {
    v = 0.9 * v + 1; // momentum building up: 1, 1.9, 2.71, …
    map.set(s, iteration(s, v));
  }
  return map;
}

test("a weight's history: g, the state by torch's name and Δw, oldest first", () => {
  const rows = entryHistory(records(5), { layer: 1, param: "W", row: 0, col: 1 });
  assert.deepEqual(rows.map((r) => r.step), [1, 2, 3, 4, 5]);
  assert.ok(rows.every((r) => r.g === 1 && r.optimizer === "momentum"));
  assert.deepEqual(rows.map((r) => r.t), [1, 2, 3, 4, 5]);
  const v = rows.map((r) => r.state.momentum_buffer);
  for (let i = 1; i < v.length; i++) assert.ok(v[i] > v[i - 1], "the velocity builds up while g keeps its sign");
  rows.forEach((r) => assert.equal(r.delta, -0.1 * r.state.momentum_buffer, "Δw = −η·v"));
});

test("a bias's history reads db, update_b and the bias's slots", () => {
  const rows = entryHistory(records(3), { layer: 1, param: "b", row: 0 });
  assert.deepEqual(rows.map((r) => r.g), [2, 2, 2]);
  assert.equal(rows[2].state.momentum_buffer, 2 * 2.71);
});

test("the buffer keeps the newest 50 steps up to the moment shown", () => {
  const all = records(120);
  const rows = entryHistory(all, { layer: 1, param: "W", row: 0, col: 1 });
  assert.equal(rows.length, HISTORY_STEPS);
  assert.equal(rows[0].step, 71);
  assert.equal(rows.at(-1).step, 120);
  const back = entryHistory(all, { layer: 1, param: "W", row: 0, col: 1 }, 30);
  assert.equal(back.at(-1).step, 30, "after back: nothing later than the step shown");
  assert.equal(back.length, 30);
});

test("SGD has no state: the series are g and Δw only", () => {
  const map = new Map([[1, { ...iteration(1, 1), optimizer: "sgd", layers: [{ ...iteration(1, 1).layers[0], opt: undefined }] }]]);
  const rows = entryHistory(map, { layer: 1, param: "W", row: 0, col: 1 });
  assert.deepEqual(rows[0].state, {});
  assert.deepEqual(historySeries(rows).map((s) => s.key), ["g", "delta"]);
  assert.deepEqual(historySeries(entryHistory(records(2), { layer: 1, param: "W", row: 0, col: 1 })).map((s) => s.key), ["g", "momentum_buffer", "delta"]);
});

test("sparkline points: 0 on the middle line when the values change sign", () => {
  assert.equal(sparkPoints([-1, 0, 1], 100, 20), "0.0,20.0 50.0,10.0 100.0,0.0");
  assert.equal(sparkPoints([1, 2], 10, 10), "0.0,10.0 10.0,0.0");
  assert.equal(sparkPoints([null, 3], 10, 10), "10.0,5.0");
  assert.equal(sparkPoints([], 10, 10), "");
});
