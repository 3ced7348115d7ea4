import { test } from "node:test";
import assert from "node:assert/strict";
import { flowBars } from "../../static/js/gradient-flow.js";

test("one bar per layer on a log scale, input first, the server's flags on the bars", () => {
  assert.equal(flowBars(null), null);
  const diagnostics = {
    layers: [1.5e-6, 6.8e-6, 3.2e-5, 1.8e-4, 1.1e-3, 6.3e-3, 0.05].map((dz_rms, k) => ({ layer: k + 1, dz_rms, fprime_mean: k < 6 ? 0.2 : null })),
    vanishing: [1, 2, 3],
    exploding: [],
    dead: [],
    saturated: [],
    signal_ratio: 2.4e-4,
  };
  const flow = flowBars(diagnostics);
  assert.deepEqual([flow.lo, flow.hi], [-6, -1]);
  assert.deepEqual(flow.bars.map((b) => b.layer), [1, 2, 3, 4, 5, 6, 7]);
  for (let k = 1; k < 7; k++) assert.ok(flow.bars[k].frac > flow.bars[k - 1].frac, "taller toward the output");
  assert.deepEqual(flow.bars.map((b) => b.flags.join()), ["vanishing", "vanishing", "vanishing", "", "", "", ""]);
  assert.equal(flow.bars[6].fprime, null);
  assert.equal(flowBars({ layers: [{ layer: 1, dz_rms: null }, { layer: 2, dz_rms: 0.1 }] }).bars[0].frac, 0, "no value: no bar");
});
