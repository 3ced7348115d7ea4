import { test } from "node:test";
import assert from "node:assert/strict";
import { distanceToEdge, edgePoint, edgeWidth, layoutColumns, MARGIN } from "../../static/js/layout.js";

test("columns go left to right, units are centred and inside the box", () => {
  const g = layoutColumns([2, 4, 2, 2], 600, 350);
  assert.equal(g.columns.length, 4);
  for (let c = 1; c < 4; c++) assert.ok(g.columns[c].x > g.columns[c - 1].x);
  assert.equal(g.columns[0].x, MARGIN.left);
  assert.equal(g.columns[3].x, 600 - MARGIN.right);
  for (const col of g.columns) {
    const mid = (col.ys[0] + col.ys.at(-1)) / 2;
    assert.ok(Math.abs(mid - (MARGIN.top + (350 - MARGIN.bottom)) / 2) < 1e-9, "centred");
    for (const y of col.ys) assert.ok(y - col.r >= MARGIN.top - 1 && y + col.r <= 350 - MARGIN.bottom + 1);
  }
});

test("wide layers shrink the neurons but never overlap them", () => {
  const g = layoutColumns([2, 64, 10], 600, 350);
  const col = g.columns[1];
  assert.ok(col.r * 2 <= col.spacing);
  assert.ok(col.r >= 1.5);
});

test("image inputs are laid out as a picture", () => {
  const g = layoutColumns([64, 32, 10], 640, 350, { image: [8, 8] });
  assert.ok(g.image.size >= 48);
  const c0 = g.columns[0];
  assert.equal(c0.xs.length, 64);
  assert.ok(c0.xs[1] > c0.xs[0], "pixels run left to right in a row");
  assert.ok(c0.ys[8] > c0.ys[0], "and top to bottom across rows");
  assert.ok(g.columns[1].x > g.image.x + g.image.size - 1e-9);
});

test("edge curves start and end at the neurons; distance and width", () => {
  assert.deepEqual(edgePoint(0, 0, 10, 20, 0), [0, 0]);
  assert.deepEqual(edgePoint(0, 0, 10, 20, 1), [10, 20]);
  assert.deepEqual(edgePoint(0, 0, 10, 20, 0.5), [5, 10]);
  assert.ok(distanceToEdge(5, 10, 0, 0, 10, 20) < 1e-9);
  assert.ok(distanceToEdge(5, 30, 0, 0, 10, 20) > 5);
  assert.equal(edgeWidth(0, 1), 0.4);
  assert.equal(edgeWidth(1, 1), 7);
  assert.equal(edgeWidth(-5, 1), 7, "width is |w|, capped");
  assert.equal(edgeWidth(NaN, 1), 0.5);
});
