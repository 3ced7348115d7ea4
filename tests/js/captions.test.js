import { test } from "node:test";
import assert from "node:assert/strict";
import { phaseCaption, updateEquations } from "../../static/js/captions.js";
import { phaseOrder } from "../../static/js/protocol.js";

test("forward captions use the textbook notation with the layer index", () => {
  const c = phaseCaption({ phase: "forward", layer: 2, L: 3, activation: "relu" });
  assert.equal(c.title, "Forward pass · layer 2 of 3");
  assert.deepEqual(c.equations, ["Z² = W²·A¹ + b²", "A² = ReLU(Z²)"]);
  const out = phaseCaption({ phase: "forward", layer: 3, L: 3, task: "classification" });
  assert.deepEqual(out.equations, ["Z³ = W³·A² + b³", "ŷ = A³ = softmax(Z³)"]);
  assert.equal(phaseCaption({ phase: "forward", layer: 1, L: 2, activation: "tanh" }).equations[0], "Z¹ = W¹·A⁰ + b¹");
  assert.equal(phaseCaption({ phase: "forward", layer: 1, L: 2, activation: "linear" }).equations[1], "A¹ = Z¹");
});

test("loss caption shows the value", () => {
  const c = phaseCaption({ phase: "loss", L: 2, task: "classification", loss: 0.693147 });
  assert.equal(c.title, "Loss");
  assert.equal(c.equations[0], "L = −(1/m)·Σ y·log ŷ = 0.6931");
  assert.match(phaseCaption({ phase: "loss", L: 2, task: "regression" }).equations[0], /ŷ − y/);
});

test("backward captions: output and hidden layers", () => {
  const out = phaseCaption({ phase: "backward", layer: 3, L: 3, task: "classification" });
  assert.equal(out.title, "Backward pass · layer 3 of 3");
  assert.deepEqual(out.equations, ["dZ³ = (ŷ − y)/m", "dW³ = dZ³·A²ᵀ", "db³ = Σ dZ³"]);
  const hid = phaseCaption({ phase: "backward", layer: 2, L: 3, activation: "tanh", regularized: true });
  assert.deepEqual(hid.equations, ["dA² = W³ᵀ·dZ³", "dZ² = dA² ⊙ tanh′(Z²)", "dW² = dZ²·A¹ᵀ + ∂R/∂W²", "db² = Σ dZ²"]);
});

test("update captions name the optimizer and its rule", () => {
  const sgd = phaseCaption({ phase: "update", L: 2, optimizer: "sgd" });
  assert.equal(sgd.title, "Update · SGD");
  assert.equal(sgd.equations[0], "W ← W − η·dW");
  assert.match(updateEquations("adam").join(" "), /m̂/);
  assert.equal(updateEquations("momentum").length, 2);
});

test("the phases of one iteration in order", () => {
  assert.deepEqual(
    phaseOrder(2).map((p) => `${p.phase}${p.layer ?? ""}`),
    ["forward1", "forward2", "loss", "backward2", "backward1", "update"],
  );
});
