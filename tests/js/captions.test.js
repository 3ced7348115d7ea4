import { test } from "node:test";
import assert from "node:assert/strict";
import { activationLabel, phaseCaption, regularizerFormula, updateEquations } from "../../static/js/captions.js";
import { phaseOrder } from "../../static/js/protocol.js";

test("forward captions: samples as rows, the layer index, activation names for learners", () => {
  const c = phaseCaption({ phase: "forward", layer: 2, L: 3, activation: "relu" });
  assert.equal(c.title, "Forward pass · layer 2 of 3");
  assert.deepEqual(c.equations, ["Z² = A¹·W²ᵀ + b²", "A² = ReLU(Z²)"]);
  const out = phaseCaption({ phase: "forward", layer: 3, L: 3, task: "classification" });
  assert.deepEqual(out.equations, ["Z³ = A²·W³ᵀ + b³", "Ŷ = A³ = softmax(Z³)", "ŷᵣⱼ = e^(zᵣⱼ)/Σₖ e^(zᵣₖ)"]);
  assert.equal(phaseCaption({ phase: "forward", layer: 1, L: 2, activation: "linear" }).equations[1], "A¹ = Z¹");
  assert.equal(phaseCaption({ phase: "forward", layer: 1, L: 2, activation: "leaky_relu" }).equations[1], "A¹ = leaky ReLU(Z¹)");
  assert.equal(phaseCaption({ phase: "forward", layer: 1, L: 2, activation: "sigmoid" }).equations[1], "A¹ = σ(Z¹)");
  for (const key of ["relu", "leaky_relu", "tanh", "sigmoid", "linear"]) assert.doesNotMatch(activationLabel(key), /_/);
});

test("dropout in the forward and backward captions", () => {
  const f = phaseCaption({ phase: "forward", layer: 1, L: 3, activation: "tanh", dropout: 0.2 });
  assert.deepEqual(f.equations, ["Z¹ = A⁰·W¹ᵀ + b¹", "A¹ = tanh(Z¹) ⊙ D¹", "D¹ = mask/(1 − p), p = 0.2"]);
  const b = phaseCaption({ phase: "backward", layer: 2, L: 3, activation: "tanh", dropout: 0.2 });
  assert.equal(b.equations[1], "dZ² = dA² ⊙ D² ⊙ tanh′(Z²)");
  assert.equal(phaseCaption({ phase: "forward", layer: 3, L: 3, task: "regression", dropout: 0.2 }).equations[1], "Ŷ = A³ = Z³", "no dropout on the output");
});

test("loss caption: the data loss with its value, J = L + R when regularised", () => {
  const c = phaseCaption({ phase: "loss", L: 2, task: "classification", loss: 0.693147 });
  assert.deepEqual(c.equations, ["L = −(1/m)·Σᵣ Σⱼ yᵣⱼ·log ŷᵣⱼ = 0.6931"]);
  assert.equal(phaseCaption({ phase: "loss", L: 2, task: "regression" }).equations[0], "L = (1/(m·k))·Σᵣ Σⱼ (ŷᵣⱼ − yᵣⱼ)²");
  const r = phaseCaption({ phase: "loss", L: 2, task: "classification", loss: 0.5, regLoss: 0.0123, l1: 0.001, l2: 0.01 });
  assert.deepEqual(r.equations, ["L = −(1/m)·Σᵣ Σⱼ yᵣⱼ·log ŷᵣⱼ = 0.5", "R = (λ₂/2)·Σₗ‖Wˡ‖² + λ₁·Σₗ|Wˡ| = 0.0123", "J = L + R = 0.5 + 0.0123 = 0.5123"]);
  assert.equal(regularizerFormula(0, 0.01), "R = (λ₂/2)·Σₗ‖Wˡ‖²");
  assert.equal(regularizerFormula(0.01, 0), "R = λ₁·Σₗ|Wˡ|");
});

test("backward captions: the slope at the output, the chain rule, dW with the regulariser's slope", () => {
  const out = phaseCaption({ phase: "backward", layer: 3, L: 3, task: "classification" });
  assert.equal(out.title, "Backward pass · layer 3 of 3");
  assert.deepEqual(out.equations, ["dZ³ = (Ŷ − Y)/m", "dW³ = dZ³ᵀ·A²", "db³ = Σᵣ dZ³ᵣ (sum of the rows)"]);
  assert.match(out.note, /negative for the true class/);
  assert.doesNotMatch(out.note, /should change/);
  const hid = phaseCaption({ phase: "backward", layer: 2, L: 3, activation: "tanh", l1: 0.001, l2: 0.01 });
  assert.deepEqual(hid.equations, ["dA² = dZ³·W³", "dZ² = dA² ⊙ tanh′(Z²)", "dW² = dZ²ᵀ·A¹ + λ₂W² + λ₁·sign(W²)", "db² = Σᵣ dZ²ᵣ (sum of the rows)"]);
  assert.equal(phaseCaption({ phase: "backward", layer: 3, L: 3, task: "regression" }).equations[0], "dZ³ = 2·(Ŷ − Y)/(m·k)");
});

test("update captions name the optimizer's own rule, define its symbols and mention b", () => {
  const sgd = phaseCaption({ phase: "update", L: 2, optimizer: "sgd" });
  assert.equal(sgd.title, "Update · SGD");
  assert.deepEqual(sgd.equations, ["W ← W − η·dW", "b ← b − η·db"]);
  for (const opt of ["momentum", "nesterov", "rmsprop", "adam"]) {
    const c = phaseCaption({ phase: "update", L: 2, optimizer: opt, t: 7 });
    assert.doesNotMatch(c.note, /Every weight takes a step/);
    assert.match(c.note, /b follows the same rule with db/);
    assert.doesNotMatch(c.equations.join(" "), /dW²/);
  }
  const adam = phaseCaption({ phase: "update", L: 2, optimizer: "adam", t: 7 });
  assert.match(adam.equations.join(" | "), /m̂ₜ = mₜ\/\(1 − β₁ᵗ\), v̂ₜ = vₜ\/\(1 − β₂ᵗ\)/);
  assert.match(adam.note, /t counts the updates since the optimizer started \(t = 7 here\)/);
  assert.match(adam.note, /not the batch size m/);
  assert.match(updateEquations("rmsprop").join(" "), /dW⊙dW/);
});

test("the phases of one iteration in order", () => {
  assert.deepEqual(
    phaseOrder(2).map((p) => `${p.phase}${p.layer ?? ""}`),
    ["forward1", "forward2", "loss", "backward2", "backward1", "update"],
  );
});
