import { test } from "node:test";
import assert from "node:assert/strict";
import { ACTIVATIONS, ALL_FEATURES, DERIVATIVES, allFinite, argmax, featurize, forward, forwardGrid, gridInputs, inputFeatures, softmax } from "../../static/js/nn.js";

const close = (a, b, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} ≉ ${b}`);

test("features are the engine's (app/engine/features.py), in the chosen order", () => {
  assert.deepEqual(ALL_FEATURES, ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"]);
  assert.deepEqual(featurize(2, -3, ["x1", "x2", "x1^2", "x2^2", "x1*x2"]), [2, -3, 4, 9, -6]);
  const [s1, s2] = featurize(0.5, -1, ["sin(x1)", "sin(x2)"]);
  close(s1, Math.sin(0.5));
  close(s2, Math.sin(-1));
  assert.deepEqual(featurize(1, 2, ["x2", "x1"]), [2, 1]);
});

test("activations and their derivatives (leaky slope 0.01, stable sigmoid)", () => {
  assert.equal(ACTIVATIONS.relu(-2), 0);
  assert.equal(ACTIVATIONS.relu(2), 2);
  close(ACTIVATIONS.leaky_relu(-2), -0.02);
  close(ACTIVATIONS.sigmoid(0), 0.5);
  assert.ok(Number.isFinite(ACTIVATIONS.sigmoid(-1000)) && ACTIVATIONS.sigmoid(-1000) >= 0);
  close(ACTIVATIONS.sigmoid(1000), 1);
  close(DERIVATIVES.tanh(0), 1);
  close(DERIVATIVES.sigmoid(0), 0.25);
  assert.equal(DERIVATIVES.relu(-1), 0);
  close(DERIVATIVES.leaky_relu(-1), 0.01);
});

test("softmax sums to one and survives huge logits", () => {
  const p = softmax([1000, 1000, -1000]);
  close(p[0], 0.5);
  close(p[2], 0);
  assert.ok(allFinite(p));
});

const net = [
  { W: [[0.5, -1], [2, 0.25], [-0.3, 0.8]], b: [0.1, -0.2, 0] },
  { W: [[1, -1, 0.5], [-0.5, 0.25, 1]], b: [0, 0.3] },
];

test("forward pass: Z = W·a + b, tanh hidden, softmax output (worked by hand)", () => {
  const out = forward(net, [1, 2], "tanh", "classification");
  const z1 = [0.5 - 2 + 0.1, 2 + 0.5 - 0.2, -0.3 + 1.6];
  out[0].Z.forEach((z, j) => close(z, z1[j]));
  const a1 = z1.map(Math.tanh);
  out[0].A.forEach((a, j) => close(a, a1[j]));
  const z2 = [a1[0] - a1[1] + 0.5 * a1[2], -0.5 * a1[0] + 0.25 * a1[1] + a1[2] + 0.3];
  out[1].Z.forEach((z, j) => close(z, z2[j]));
  const e = z2.map(Math.exp);
  close(out[1].A[0], e[0] / (e[0] + e[1]));
  close(out[1].A[0] + out[1].A[1], 1);
});

test("regression ends in the identity", () => {
  const out = forward(net, [1, 2], "relu", "regression");
  assert.deepEqual(out[1].A, out[1].Z);
});

test("the batched grid pass equals the one-sample pass at every point", () => {
  const inputs = gridInputs(5, [-2, 2], [-2, 2], ["x1", "x2"]);
  assert.equal(inputs.length, 5 * 5 * 2);
  const outs = forwardGrid(net, inputs, 25, "tanh", "classification");
  for (let p = 0; p < 25; p++) {
    const one = forward(net, [inputs[p * 2], inputs[p * 2 + 1]], "tanh", "classification");
    for (let j = 0; j < 3; j++) close(outs[0][p * 3 + j], one[0].A[j], 1e-12);
    for (let j = 0; j < 2; j++) close(outs[1][p * 2 + j], one[1].A[j], 1e-12);
  }
});

test("grid rows run from top (large x2) to bottom, columns left to right", () => {
  const inputs = gridInputs(2, [0, 2], [0, 2], ["x1", "x2"]);
  assert.deepEqual(Array.from(inputs), [0.5, 1.5, 1.5, 1.5, 0.5, 0.5, 1.5, 0.5]);
});

test("argmax and allFinite", () => {
  assert.equal(argmax([0.1, 0.7, 0.2]), 1);
  assert.equal(allFinite([[1, 2], [3, NaN]]), false);
  assert.equal(allFinite([[1, 2], [3, 4]]), true);
});

test("inputFeatures: generated sets use their features, a 2-column CSV its raw columns", () => {
  assert.deepEqual(inputFeatures({ features: ["x1", "x1^2"], train: { points: [[0, 0]] }, input_dim: 2 }), ["x1", "x1^2"]);
  assert.deepEqual(inputFeatures({ features: ["a", "b"], train: { points: [[0, 0]] }, input_dim: 2 }), ["x1", "x2"]);
  assert.equal(inputFeatures({ features: ["a", "b", "c"], train: { points: null }, input_dim: 3 }), null);
  assert.equal(inputFeatures(null), null);
});
