import { test } from "node:test";
import assert from "node:assert/strict";
import { formatNumber } from "../../static/js/format.js";

test("formatNumber keeps three significant digits by default", () => {
  assert.equal(formatNumber(0.123456), "0.123");
  assert.equal(formatNumber(-12.3456), "-12.3");
});

test("formatNumber switches to exponent notation for tiny and huge values", () => {
  assert.equal(formatNumber(0.00001234), "1.23e-5");
  assert.equal(formatNumber(123456789), "1.23e+8");
});

test("formatNumber never shows NaN or Infinity", () => {
  assert.equal(formatNumber(NaN), "—");
  assert.equal(formatNumber(Infinity), "—");
  assert.equal(formatNumber(undefined), "—");
});
