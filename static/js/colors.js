// Colour scales: one diverging, colour-blind-safe orange ↔ blue scale for every signed quantity
// (activations, gradients, weights, the decision boundary), and categorical colours for classes.
// Negative is orange, positive is blue, zero is the neutral background tone of the theme.

const NEGATIVE = ["#8f4a06", "#d9731a", "#f5b26b"];
const POSITIVE = ["#8cbde6", "#2f7fc4", "#0d4a85"];
export const NEUTRAL = { light: "#f4f3ef", dark: "#30343d" };

/** Okabe–Ito based class colours; class 0 orange and class 1 blue like the diverging ends. */
export const CLASS_COLORS = [
  "#e07b10",
  "#2f7fc4",
  "#009e73",
  "#cc79a7",
  "#56b4e9",
  "#d55e00",
  "#7f6bb0",
  "#f0c419",
  "#6b7a8f",
  "#8c564b",
];

/** Parse "#rrggbb" into [r, g, b] (0..255). */
export function hexToRgb(hex) {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** Format [r, g, b] as "#rrggbb". */
export function rgbToHex([r, g, b]) {
  const h = (v) => Math.round(Math.min(255, Math.max(0, v))).toString(16).padStart(2, "0");
  return `#${h(r)}${h(g)}${h(b)}`;
}

function stopsFor(theme) {
  return [...NEGATIVE, NEUTRAL[theme] ?? NEUTRAL.light, ...POSITIVE].map(hexToRgb);
}

/** Clamp t into [-1, 1]; non-finite values map to 0 (neutral), never NaN. */
export function clampUnit(t) {
  if (typeof t !== "number" || !Number.isFinite(t)) return 0;
  return t < -1 ? -1 : t > 1 ? 1 : t;
}

/** The diverging scale at t ∈ [-1, 1] as [r, g, b]. */
export function divergingRgb(t, theme = "light") {
  const stops = stopsFor(theme);
  const x = ((clampUnit(t) + 1) / 2) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const a = stops[i];
  const b = stops[i + 1];
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f].map(Math.round);
}

/** The diverging scale at t ∈ [-1, 1] as "#rrggbb". */
export function diverging(t, theme = "light") {
  return rgbToHex(divergingRgb(t, theme));
}

/** A 256-entry lookup table (Uint8ClampedArray of r,g,b) for t = -1..1, for fast canvas fills. */
export function divergingLut(theme = "light", size = 256) {
  const lut = new Uint8ClampedArray(size * 3);
  for (let i = 0; i < size; i++) {
    const [r, g, b] = divergingRgb((i / (size - 1)) * 2 - 1, theme);
    lut[i * 3] = r;
    lut[i * 3 + 1] = g;
    lut[i * 3 + 2] = b;
  }
  return lut;
}

/** Index into a LUT of `size` entries for t ∈ [-1, 1]. */
export function lutIndex(t, size = 256) {
  return Math.round(((clampUnit(t) + 1) / 2) * (size - 1));
}

/**
 * Map a value onto [-1, 1] for colouring given the scale's half-range `extent` (> 0).
 * Symmetric and linear: value / extent, clamped.
 */
export function normalize(value, extent) {
  if (!(extent > 0) || !Number.isFinite(extent)) return 0;
  return clampUnit(value / extent);
}

/** A "nice" symmetric extent covering |values|: 1, 2, 5 × 10^k, at least `floor`. */
export function niceExtent(maxAbs, floor = 1e-6) {
  const m = Math.max(floor, Number.isFinite(maxAbs) ? Math.abs(maxAbs) : 0);
  const p = 10 ** Math.floor(Math.log10(m));
  for (const k of [1, 2, 5, 10]) if (k * p >= m * 0.999999) return k * p;
  return 10 * p;
}

/** Colour of class k (wraps after ten). */
export function classColor(k) {
  const i = Number.isInteger(k) && k >= 0 ? k % CLASS_COLORS.length : 0;
  return CLASS_COLORS[i];
}

/** Colour of a weight by its sign (negative orange, positive blue). */
export function signColor(w, theme = "light") {
  return diverging(w < 0 ? -0.8 : 0.8, theme);
}

/** CSS linear-gradient stops for a legend bar, left = −1, right = +1. */
export function legendGradient(theme = "light", steps = 9) {
  const parts = [];
  for (let i = 0; i < steps; i++) {
    const t = (i / (steps - 1)) * 2 - 1;
    parts.push(`${diverging(t, theme)} ${((i / (steps - 1)) * 100).toFixed(1)}%`);
  }
  return `linear-gradient(to right, ${parts.join(", ")})`;
}

/**
 * A sequential colour for layer i of n (0 = first): one hue from light to dark in the light
 * theme (dark to light in the dark theme), so depth reads as order even with 8 layers.
 */
export function depthColor(i, n, theme = "light") {
  const t = n > 1 ? i / (n - 1) : 0.5;
  const lightness = theme === "dark" ? 45 + 35 * t : 72 - 50 * t;
  const hue = 200 + 60 * t;
  return `hsl(${hue.toFixed(0)} 70% ${lightness.toFixed(0)}%)`;
}
