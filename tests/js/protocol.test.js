// The phase order and the index of each phase, defined once (protocol.js) and used by the display.
import { test } from "node:test";
import assert from "node:assert/strict";
import { backwardIndex, forwardIndex, isClassification, lossIndex, outputHead, phaseAt, phaseCount, phaseIndex, phaseOrder, updateIndex } from "../../static/js/protocol.js";

test("each phase's index is its position in the phase order", () => {
  for (const L of [1, 2, 3, 5]) {
    const order = phaseOrder(L);
    assert.equal(order.length, phaseCount(L));
    order.forEach((p, i) => {
      assert.equal(phaseIndex(p.phase, p.layer, L), i, `${p.phase} ${p.layer} of ${L}`);
      assert.deepEqual(phaseAt(i, L), p);
    });
    for (let l = 1; l <= L; l++) {
      assert.deepEqual(order[forwardIndex(l)], { phase: "forward", layer: l });
      assert.deepEqual(order[backwardIndex(l, L)], { phase: "backward", layer: l });
    }
    assert.equal(order[lossIndex(L)].phase, "loss");
    assert.equal(order[updateIndex(L)].phase, "update");
  }
  assert.equal(phaseIndex("idle", null, 2), -1);
});

test("output heads: classes for classification (and when the task is not known yet)", () => {
  assert.equal(isClassification("classification"), true);
  assert.equal(isClassification("regression"), false);
  assert.equal(isClassification(undefined), true);
  assert.equal(outputHead("regression").activation, "identity");
});
