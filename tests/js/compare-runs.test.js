// The compared runs' model (static/js/compare/runs.js) on messages shaped as the protocol's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { MAX_ROWS, applyFrame, applyRunsMessage, comparing, createRuns, overlayColumns } from "../../static/js/compare/runs.js";

const series = (steps, f) => ({ steps, loss: steps.map(f), train_loss: steps.map((s) => f(s) + 1), test_loss: steps.map(() => null), train_accuracy: steps.map(() => 0.5), test_accuracy: steps.map(() => null) });
const runsMsg = () => ({
  type: "runs",
  shown: "A",
  runs: [
    { run: "A", label: "A: SGD, η 0.03", config: { optimizer: "sgd" }, seed: 1, step: 4, diverged: null, layers: [], series: series([0, 1, 2, 3, 4], (s) => s) },
    { run: "B", label: "B: Adam, η 0.01", config: { optimizer: "adam" }, seed: 1, step: 4, diverged: null, layers: [], series: series([3, 4], (s) => 10 * s) },
  ],
});

test("a runs message: every run with its label and rows; a comparison needs two", () => {
  const st = applyRunsMessage(createRuns(), runsMsg());
  assert.ok(comparing(st));
  assert.deepEqual(st.runs.map((r) => r.label), ["A: SGD, η 0.03", "B: Adam, η 0.01"]);
  assert.deepEqual([...st.runs[1].rows.keys()], [3, 4]);
  assert.ok(!comparing(applyRunsMessage(st, { type: "runs", shown: null, runs: [] })), "a rebuild ends it");
});

test("overlay columns: the union of steps, null where a run has no value", () => {
  const st = applyRunsMessage(createRuns(), runsMsg());
  const [x, a, b] = overlayColumns(st, "train_loss");
  assert.deepEqual(x, [0, 1, 2, 3, 4]);
  assert.deepEqual(a, [1, 2, 3, 4, 5]);
  assert.deepEqual(b, [null, null, null, 31, 41]);
  const [xs] = overlayColumns(st, "train_loss", 2);
  assert.equal(xs.at(-1), 4, "thinned, the last step kept");
  assert.ok(xs.length <= 3);
});

test("frames add the shown run's and the others' losses and metrics", () => {
  const st = applyRunsMessage(createRuns(), runsMsg());
  applyFrame(st, {
    type: "frame",
    step: 6,
    losses: [[5, 0.5], [6, 0.6]],
    metrics: { step: 6, train_loss: 0.7, train_accuracy: 0.8 },
    layers: [{ W: [[1]], b: [0] }],
    runs: [{ run: "B", step: 6, losses: [[6, 0.1]], metrics: { step: 5, train_loss: 0.2 }, layers: [{ W: [[2]], b: [0] }], diverged: null }],
  });
  const [a, b] = st.runs;
  assert.equal(a.step, 6);
  assert.equal(a.rows.get(6).train_loss, 0.7);
  assert.equal(a.rows.get(5).loss, 0.5);
  assert.equal(b.rows.get(5).train_loss, 0.2);
  assert.equal(b.rows.get(6).loss, 0.1);
  assert.deepEqual(b.layers, [{ W: [[2]], b: [0] }]);
});

test("rows stay bounded while playing for long", () => {
  const st = applyRunsMessage(createRuns(), runsMsg());
  for (let s = 10; s < 10 + 3 * MAX_ROWS; s += 2) applyFrame(st, { step: s + 1, losses: [[s, 1], [s + 1, 1]], metrics: null, runs: [] });
  assert.ok(st.runs[0].rows.size <= MAX_ROWS + 2);
  assert.ok(st.runs[0].rows.has(9 + 3 * MAX_ROWS), "the newest row is kept");
});

test("a runs message with append adds the new rows to the kept ones", () => {
  const st = applyRunsMessage(createRuns(), runsMsg());
  const next = runsMsg();
  next.append = true;
  next.runs[0].series = series([5], (s) => s);
  next.runs[1].series = series([5], (s) => 10 * s);
  applyRunsMessage(st, next);
  assert.deepEqual([...st.runs[0].rows.keys()], [0, 1, 2, 3, 4, 5]);
  assert.equal(st.runs[1].rows.get(5).loss, 50);
  assert.equal(st.runs[1].rows.get(3).loss, 30, "the earlier rows stay");
});
