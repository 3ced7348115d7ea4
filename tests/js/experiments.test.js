// "Predict, then see" (experiments/predict.js): when the question is asked, and the feedback
// from the server's answer; the watch table (experiments/watch.js).
import { test } from "node:test";
import assert from "node:assert/strict";

import { answerStep, explainAnswer, feedback, phaseIndexOf, shouldAsk } from "../../static/js/experiments/predict.js";
import { WATCH_VIEWS, watchView } from "../../static/js/experiments/watch.js";

const weight = { ask: "Will w go up or down?", choices: ["up", "down"], answer_from: { kind: "weight_delta_sign", layer: 1, row: 0, col: 0 }, before: "backward" };
const loss = { ask: "?", choices: ["up", "down"], answer_from: { kind: "loss_change_sign" }, before: "iteration" };
const layer = { ask: "?", choices: ["1", "2", "3"], answer_from: { kind: "largest_grad_layer", measure: "dW_norm" }, before: "iteration" };

test("the question before the backward pass is asked once forward and loss are shown", () => {
  assert.equal(phaseIndexOf("backward", 2), 3); // forward 1, forward 2, loss
  assert.equal(shouldAsk(weight, { step: 0, revealed: 2, L: 2 }), false);
  assert.equal(shouldAsk(weight, { step: 0, revealed: 3, L: 2 }), true);
  assert.equal(shouldAsk(weight, { step: 0, revealed: 4, L: 2 }), false);
  assert.equal(answerStep(0), 1);
});

test("a question before an iteration is asked between iterations; a loss change needs a previous step", () => {
  assert.equal(phaseIndexOf("iteration", 3), null);
  assert.equal(shouldAsk(layer, { step: 0, revealed: 0, L: 7 }), true);
  assert.equal(shouldAsk(layer, { step: 0, revealed: 2, L: 7 }), false);
  assert.equal(shouldAsk(loss, { step: 0, revealed: 0, L: 1 }), false);
  assert.equal(shouldAsk(loss, { step: 1, revealed: 0, L: 1 }), true);
});

test("feedback says Right or Not quite with the real step's numbers", () => {
  const answer = { step: 1, value: "down", numbers: { w: 0.955, dw: 0.1224, delta: -0.03672, w_next: 0.9183, learning_rate: 0.3, optimizer: "sgd" } };
  const right = feedback(weight, "down", answer);
  assert.equal(right.right, true);
  assert.equal(right.text, "Right: down. dw = +0.122, so w moves by −η·dw = −0.3·(+0.122) = −0.0367: from 0.955 to 0.918.");
  const wrong = feedback(weight, "up", answer);
  assert.equal(wrong.right, false);
  assert.match(wrong.text, /^Not quite: down\./);
  const adam = explainAnswer("weight_delta_sign", "down", { ...answer.numbers, optimizer: "adam" });
  assert.match(adam, /Δw = −0\.0367 \(adam\)/);
});

test("loss and layer answers read their numbers", () => {
  const up = feedback(loss, "down", { step: 2, value: "up", numbers: { loss_before: 1.5, loss: 40.25 } });
  assert.equal(up.text, "Not quite: up. The batch loss went up: 1.5 → 40.25.");
  const top = feedback(layer, "3", { step: 1, value: "3", numbers: { measure: "dW_norm", sizes: [0.0001, 0.01, 0.3] } });
  assert.equal(top.text, "Right: layer 3. Layer 3 has the largest ‖dW‖ (1: 1.0e-4, 2: 0.01, 3: 0.3).");
});

test("every view of the catalogue has a row in the watch table", () => {
  for (const view of ["gradient-flow", "loss-chart", "decision-boundary", "inspector", "weights"]) {
    assert.ok(WATCH_VIEWS[view].selectors.length > 0, view);
  }
  assert.equal(WATCH_VIEWS["gradient-flow"].tab, "grad");
  assert.deepEqual(watchView("somewhere").selectors, []);
});

test("the gradient-flow label names the view it highlights and the chart it opens", () => {
  // It highlights #gradient-flow first (RMS of dZ per layer) and opens the Gradients tab (‖dW‖).
  const { label, selectors } = WATCH_VIEWS["gradient-flow"];
  assert.equal(selectors[0], "#gradient-flow");
  assert.match(label, /^Gradient flow \(RMS of dZ per layer\)/);
  assert.match(label, /Gradients chart \(‖dW‖\)/);
  assert.equal(watchView("gradient-flow").tag, "Gradient flow", "the outline names the outlined view");
  assert.equal(watchView("loss-chart").tag, WATCH_VIEWS["loss-chart"].label);
});
