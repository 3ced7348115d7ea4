import { test } from "node:test";
import assert from "node:assert/strict";
import { chartColumns, diagnosticWarnings } from "../../static/js/chartdata.js";
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

test("warnings: vanishing gradients, update ratio far from 1e-3, dead units", () => {
  assert.deepEqual(diagnosticWarnings(null), []);
  const ok = { layers: [{ layer: 1, grad_norm: 0.1, update_ratio: 1e-3, dead_fraction: 0 }, { layer: 2, grad_norm: 0.2, update_ratio: 2e-3, dead_fraction: 0 }], vanishing: [], exploding: [] };
  assert.deepEqual(diagnosticWarnings(ok), []);
  const bad = { layers: [{ layer: 1, grad_norm: 1e-6, update_ratio: 1e-8, dead_fraction: 0.75 }, { layer: 2, grad_norm: 0.2, update_ratio: 2e-3, dead_fraction: 0 }], vanishing: [1], exploding: [] };
  const w = diagnosticWarnings(bad);
  assert.match(w[0], /Layer 1's gradient is 2(\.0)?e\+5× smaller than layer 2's: vanishing/);
  assert.ok(w.some((s) => /barely learning/.test(s)));
  assert.ok(w.some((s) => /75% of its units/.test(s)));
  const hot = { layers: [{ layer: 1, grad_norm: 1, update_ratio: 0.5 }], exploding: [1] };
  assert.ok(diagnosticWarnings(hot).some((s) => /too high/.test(s)));
  assert.ok(diagnosticWarnings(hot).some((s) => /exploding/.test(s)));
});

test("tick labels get the digits that keep neighbours apart", async () => {
  const { distinctTickLabels } = await import("../../static/js/chartdata.js");
  const { formatNumber } = await import("../../static/js/format.js");
  const labels = distinctTickLabels([1.05, 1.1, 1.15, 1.2], formatNumber);
  assert.equal(new Set(labels).size, 4);
});
