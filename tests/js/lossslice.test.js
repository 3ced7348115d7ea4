// The loss-slice chart's columns and sentence (lossslice.js) on `loss_slice` messages.
import { test } from "node:test";
import assert from "node:assert/strict";

globalThis.devicePixelRatio = 1;
const { REQUEST, sliceColumns, sliceVerdict } = await import("../../static/js/lossslice.js");

const alphas = [-0.5, 0, 0.25, 0.5, 0.75, 1, 1.5];
const slice = (batch, slope = -1) => ({ type: "loss_slice", step: 3, alphas, batch_loss: batch, train_loss: batch.map((v) => (v === null ? null : v + 0.1)), slope });

test("the request is the protocol's default grid with an id for its refusals", () => {
  assert.deepEqual(REQUEST, { type: "loss_slice", id: "loss_slice", points: 41, range: [-0.5, 1.5] });
});

test("columns: α, batch, training set and the tangent batch(0) + slope·α", () => {
  const [a, b, t, tan] = sliceColumns(slice([1.5, 1, 0.8, 0.7, 0.72, 0.8, 1.2], -0.8));
  assert.deepEqual(a, alphas);
  assert.equal(b[1], 1);
  assert.equal(t[1], 1.1);
  assert.equal(tan[1], 1);
  assert.equal(tan[2], 1 - 0.8 * 0.25);
  assert.equal(tan[6], null, "the tangent is cut where it leaves the curves' span");
});

test("the sentence: overshoot, uphill, downhill", () => {
  assert.match(sliceVerdict(slice([1.5, 1, 0.8, 0.7, 0.72, 0.8, 1.2])), /overshot: the batch loss was lowest near α = 0.5/);
  assert.match(sliceVerdict(slice([0.5, 1, 1.1, 1.2, 1.3, 1.4, 1.6])), /uphill/);
  assert.match(sliceVerdict(slice([1.2, 1, 0.95, 0.9, 0.85, 0.8, 0.7])), /keeps falling past α = 1/);
  assert.match(sliceVerdict(slice([1.2, 1, 0.95, 0.9, 0.85, 0.8, null])), /near the lowest point/);
  assert.match(sliceVerdict(slice([1.2, 1, 0.95, null, null, null, null])), /overflows/);
});
