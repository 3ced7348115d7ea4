import { test } from "node:test";
import assert from "node:assert/strict";
import { chartColumns, diagnosticWarnings, logTicks } from "../../static/js/chartdata.js";
import { emptyChart, appendChartRow } from "../../static/js/series.js";

function chart() {
  const c = emptyChart();
  appendChartRow(c, { step: 0, train_loss: 0.7, test_loss: 0.72, train_accuracy: 0.5, test_accuracy: 0.45, grad_norms: [0.1, 0.2], update_ratios: [1e-3, 2e-3] });
  appendChartRow(c, { step: 1, loss: 0.65 });
  appendChartRow(c, { step: 2, loss: 0, grad_norms: [0, 0.3] });
  return c;
}

test("loss columns: batch, train and test, gaps as null", () => {
  const cols = chartColumns("loss", chart(), 2);
  assert.deepEqual(cols.x, [0, 1, 2]);
  assert.deepEqual(cols.series.map((s) => s[0]), ["Batch loss", "Train loss", "Test loss"]);
  assert.deepEqual(cols.series[0][1], [null, 0.65, 0]);
  assert.deepEqual(cols.series[1][1], [0.7, null, null]);
});

test("log scale drops values that are not positive", () => {
  const cols = chartColumns("loss", chart(), 2, true);
  assert.deepEqual(cols.series[0][1], [null, 0.65, null]);
});

test("per-layer gradient norms and update ratios with the 1e-3 reference", () => {
  const g = chartColumns("grad", chart(), 2, true);
  assert.deepEqual(g.series.map((s) => s[0]), ["‖dW¹‖", "‖dW²‖"]);
  assert.deepEqual(g.series[0][1], [0.1, null, null]);
  const r = chartColumns("ratio", chart(), 2, true);
  assert.equal(r.series.at(-1)[0], "1e-3");
  assert.deepEqual(r.series[1][1], [2e-3, null, null]);
});

test("warnings are the server's advice texts, nothing computed on the page", () => {
  assert.deepEqual(diagnosticWarnings(null), []);
  const layers = [{ layer: 1, grad_norm: 1e-6, update_ratio: 1e-8, dead_fraction: 0.75 }, { layer: 2, grad_norm: 0.2, update_ratio: 2e-3, dead_fraction: 0 }];
  assert.deepEqual(diagnosticWarnings({ layers, vanishing: [], exploding: [], advice: [] }), []);
  const advice = [{ code: "vanishing", layers: [1], fixes: ["relu_activation"], text: "The gradient vanishes toward the input." }, { code: "dead", layers: [2], fixes: ["leaky_relu"], text: "Dead ReLUs." }];
  assert.deepEqual(diagnosticWarnings({ layers, vanishing: [1], exploding: [], advice }), ["The gradient vanishes toward the input.", "Dead ReLUs."]);
});

test("tick labels get the digits that keep neighbours apart", async () => {
  const { distinctTickLabels } = await import("../../static/js/chartdata.js");
  const { formatNumber } = await import("../../static/js/format.js");
  const labels = distinctTickLabels([1.05, 1.1, 1.15, 1.2], formatNumber);
  assert.equal(new Set(labels).size, 4);
});

test("a log axis over a narrow range gets several round ticks, not one", () => {
  // The loss between 0.66 and 0.73: a log axis's own ticks (0.7 only) left one label.
  const narrow = logTicks(0.66, 0.73);
  assert.ok(narrow.length >= 3 && narrow.length <= 5, narrow.join(" "));
  assert.ok(narrow.every((t) => t >= 0.66 && t <= 0.73), narrow.join(" "));
  const gaps = narrow.slice(1).map((t, i) => t - narrow[i]);
  assert.ok(gaps.every((g) => Math.abs(g - gaps[0]) < 1e-9), "evenly spaced");
  assert.deepEqual(logTicks(0.66, 0.73), [0.66, 0.68, 0.7, 0.72]);
  assert.deepEqual(logTicks(1.2, 3.9), [1.5, 2, 2.5, 3, 3.5]);
});

test("a log axis over decades ticks at 1, 2 and 5 × 10^k, or powers of ten when crowded", () => {
  assert.deepEqual(logTicks(0.05, 1.3), [0.05, 0.1, 0.2, 0.5, 1]);
  assert.deepEqual(logTicks(1e-6, 2), [1e-6, 1e-5, 1e-4, 0.001, 0.01, 0.1, 1]);
  assert.deepEqual(logTicks(0, 1), [], "no ticks for a range a log axis cannot show");
});
