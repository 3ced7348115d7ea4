import { test } from "node:test";
import assert from "node:assert/strict";
import { classColor, clampUnit, diverging, divergingLut, divergingRgb, hexToRgb, legendGradient, lutIndex, NEUTRAL, niceExtent, normalize, rgbToHex } from "../../static/js/colors.js";

test("hex round trip", () => {
  assert.deepEqual(hexToRgb("#2f7fc4"), [0x2f, 0x7f, 0xc4]);
  assert.equal(rgbToHex([0x2f, 0x7f, 0xc4]), "#2f7fc4");
  assert.equal(rgbToHex([300, -5, 10.4]), "#ff000a");
});

test("the diverging scale is neutral at 0, orange below, blue above", () => {
  assert.equal(diverging(0, "light"), NEUTRAL.light);
  assert.equal(diverging(0, "dark"), NEUTRAL.dark);
  const [r1, , b1] = divergingRgb(-1);
  const [r2, , b2] = divergingRgb(1);
  assert.ok(r1 > b1, "negative end is orange (more red than blue)");
  assert.ok(b2 > r2, "positive end is blue");
});

test("the scale is monotonic in lightness away from zero on each side", () => {
  const lum = ([r, g, b]) => 0.2126 * r + 0.7152 * g + 0.0722 * b;
  let prev = lum(divergingRgb(0));
  for (let t = 0.1; t <= 1.0001; t += 0.1) {
    const l = lum(divergingRgb(t));
    assert.ok(l <= prev + 1e-9, `blue side darkens at t=${t}`);
    prev = l;
  }
  prev = lum(divergingRgb(0));
  for (let t = -0.1; t >= -1.0001; t -= 0.1) {
    const l = lum(divergingRgb(t));
    assert.ok(l <= prev + 1e-9, `orange side darkens at t=${t}`);
    prev = l;
  }
});

test("out-of-range and non-finite inputs never produce NaN colours", () => {
  assert.equal(clampUnit(5), 1);
  assert.equal(clampUnit(-5), -1);
  assert.equal(clampUnit(NaN), 0);
  assert.equal(diverging(NaN), diverging(0));
  assert.equal(diverging(Infinity), diverging(0));
  assert.equal(diverging(7), diverging(1));
});

test("normalize and niceExtent", () => {
  assert.equal(normalize(0.5, 1), 0.5);
  assert.equal(normalize(3, 1), 1);
  assert.equal(normalize(1, 0), 0);
  assert.equal(normalize(1, NaN), 0);
  assert.equal(niceExtent(0.73), 1);
  assert.equal(niceExtent(1.3), 2);
  assert.equal(niceExtent(3), 5);
  assert.equal(niceExtent(0.0042), 0.005);
  assert.equal(niceExtent(0), 1e-6);
  assert.equal(niceExtent(NaN, 1), 1);
});

test("the lookup table matches the scale", () => {
  const lut = divergingLut("light", 256);
  assert.equal(lut.length, 768);
  const i = lutIndex(-1) * 3;
  assert.deepEqual([lut[i], lut[i + 1], lut[i + 2]], divergingRgb(-1));
  const j = lutIndex(1) * 3;
  assert.deepEqual([lut[j], lut[j + 1], lut[j + 2]], divergingRgb(1));
  assert.equal(lutIndex(NaN), lutIndex(0));
});

test("class colours and the legend", () => {
  assert.notEqual(classColor(0), classColor(1));
  assert.equal(classColor(10), classColor(0));
  assert.equal(classColor(-1), classColor(0));
  assert.match(legendGradient("light"), /^linear-gradient\(to right, #[0-9a-f]{6} 0.0%/);
});
