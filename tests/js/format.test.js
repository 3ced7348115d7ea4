import { test } from "node:test";
import assert from "node:assert/strict";
import { exact, featureLabel, formatCount, formatNumber, formatPercent, formatSigned, formatTerm, subscript, superscript } from "../../static/js/format.js";

test("formatNumber keeps three significant digits by default", () => {
  assert.equal(formatNumber(0.123456), "0.123");
  assert.equal(formatNumber(-12.3456), "-12.3");
  assert.equal(formatNumber(0), "0");
});

test("formatNumber switches to exponent notation for tiny and huge values", () => {
  assert.equal(formatNumber(0.00001234), "1.23e-5");
  assert.equal(formatNumber(123456789), "1.23e+8");
});

test("formatNumber never shows NaN or Infinity", () => {
  assert.equal(formatNumber(NaN), "—");
  assert.equal(formatNumber(Infinity), "—");
  assert.equal(formatNumber(-Infinity), "—");
  assert.equal(formatNumber(undefined), "—");
  assert.equal(formatNumber(null), "—");
  assert.equal(formatNumber("1"), "—");
});

test("formatSigned and formatTerm write real minus signs and parentheses", () => {
  assert.equal(formatSigned(0.5), "+0.5");
  assert.equal(formatSigned(-0.5), "−0.5");
  assert.equal(formatSigned(NaN), "—");
  assert.equal(formatTerm(-0.25), "(−0.25)");
  assert.equal(formatTerm(0.25), "0.25");
});

test("percent and counts", () => {
  assert.equal(formatPercent(0.735), "73.5%");
  assert.equal(formatPercent(NaN), "—");
  assert.equal(formatCount(1234567), "1\u2009234\u2009567");
  assert.equal(formatCount(12), "12");
});

test("superscript and subscript digits for the textbook notation", () => {
  assert.equal(superscript(2), "²");
  assert.equal(superscript(10), "¹⁰");
  assert.equal(superscript(0), "⁰");
  assert.equal(subscript(12), "₁₂");
});

test("feature labels and exact values", () => {
  assert.equal(featureLabel("x1^2"), "x₁²");
  assert.equal(featureLabel("sin(x2)"), "sin x₂");
  assert.equal(featureLabel("other"), "other");
  assert.equal(exact(0.1 + 0.2), "0.30000000000000004");
  assert.equal(Number(exact(-1.2345678901234567)), -1.2345678901234567);
  assert.equal(exact(NaN), "");
});
