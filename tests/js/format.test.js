import { test } from "node:test";
import assert from "node:assert/strict";
import { classNames, classPhrase, exact, featureLabel, formatCount, formatNumber, formatPercent, formatShort, formatSigned, formatTerm, subscript, superscript } from "../../static/js/format.js";

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

test("classNames: a CSV's own labels, digits, and class i for index-only names", () => {
  assert.deepEqual(classNames({ task: "classification", dataset: "custom", n_classes: 2, class_names: ["no", "yes"] }), ["no", "yes"]);
  assert.deepEqual(classNames({ task: "classification", dataset: "circle", n_classes: 2, class_names: ["0", "1"] }), ["class 0", "class 1"]);
  assert.deepEqual(classNames({ task: "classification", dataset: "circle", n_classes: 2 }), ["class 0", "class 1"]);
  assert.deepEqual(classNames({ task: "classification", dataset: "digits", n_classes: 3, class_names: ["0", "1", "2"] }), ["0", "1", "2"]);
  assert.equal(classNames({ task: "regression", class_names: null }), null);
  assert.equal(classPhrase({ task: "classification", dataset: "custom", n_classes: 2, class_names: ["no", "yes"] }, 1), "label “yes”");
  assert.equal(classPhrase({ task: "classification", dataset: "xor", n_classes: 2, class_names: ["0", "1"] }, 0), "class 0");
  assert.equal(classPhrase({ task: "classification", dataset: "digits", n_classes: 10, class_names: null }, 7), "digit 7");
});

test("formatShort keeps huge values to one digit and the rest as formatNumber", () => {
  assert.equal(formatShort(3.02e152), "3e152");
  assert.equal(formatShort(-1.6e7), "-2e7");
  assert.equal(formatShort(0.123456), "0.123");
  assert.equal(formatShort(0.00001234), "1.23e-5");
  assert.equal(formatShort(NaN), "—");
});

test("one way to write a weight's indices: W²₁,₂, the comma always (₁₂₃ would be ambiguous)", async () => {
  const { weightSymbol, indexPair } = await import("../../static/js/format.js");
  assert.equal(weightSymbol(2, 0, 1), "W²₁,₂");
  assert.equal(weightSymbol(3, 9, 0), "W³₁₀,₁");
  assert.equal(weightSymbol(1, 0, 11), "W¹₁,₁₂");
  assert.equal(indexPair(2, 3), "₃,₄");
});
