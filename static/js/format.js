// Number and notation formatting shared by every view: short, signed, never "NaN".

import { isClassification } from "./protocol.js";

/** Format a number for display with `digits` significant digits; non-finite values become "—". */
export function formatNumber(value, digits = 3) {
  if (typeof value !== "number" || !Number.isFinite(value)) return "—";
  if (value === 0) return "0";
  const abs = Math.abs(value);
  if (abs >= 1e5 || abs < 1e-3) return value.toExponential(Math.max(0, digits - 1));
  return Number(value.toPrecision(digits)).toString();
}

/** Like formatNumber but with an explicit sign on positive numbers (for deltas: "+0.012"). */
export function formatSigned(value, digits = 3) {
  const text = formatNumber(value, digits);
  if (text === "—" || text === "0") return text;
  return value > 0 ? `+${text}` : text.replace("-", "−");
}

/** A number inside an equation: negative values in parentheses, real minus sign. */
export function formatTerm(value, digits = 3) {
  const text = formatNumber(value, digits);
  if (typeof value === "number" && value < 0) return `(${text.replace("-", "−")})`;
  return text;
}

/** Format a fraction as a percentage ("73.5%"); non-finite values become "—". */
export function formatPercent(value, digits = 1) {
  if (typeof value !== "number" || !Number.isFinite(value)) return "—";
  return `${(value * 100).toFixed(digits)}%`;
}

/** Integers with thin-space thousands separators ("12 345"). */
export function formatCount(value) {
  if (typeof value !== "number" || !Number.isFinite(value)) return "—";
  return Math.round(value).toString().replace(/\B(?=(\d{3})+(?!\d))/g, "\u2009");
}

const SUPERSCRIPT = { 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹", "-": "⁻", "+": "⁺" };

/** Write an integer as superscript digits: 12 → "¹²". */
export function superscript(n) {
  return String(n)
    .split("")
    .map((c) => SUPERSCRIPT[c] ?? c)
    .join("");
}

const SUBSCRIPT = { 0: "₀", 1: "₁", 2: "₂", 3: "₃", 4: "₄", 5: "₅", 6: "₆", 7: "₇", 8: "₈", 9: "₉" };

/** Write an integer as subscript digits: 12 → "₁₂". */
export function subscript(n) {
  return String(n)
    .split("")
    .map((c) => SUBSCRIPT[c] ?? c)
    .join("");
}

const FEATURE_LABELS = {
  x1: "x₁",
  x2: "x₂",
  "x1^2": "x₁²",
  "x2^2": "x₂²",
  "x1*x2": "x₁x₂",
  "sin(x1)": "sin x₁",
  "sin(x2)": "sin x₂",
};

/** The textbook spelling of an input feature name ("x1^2" → "x₁²"). */
export function featureLabel(name) {
  return FEATURE_LABELS[name] ?? String(name);
}

/** Shortest exact decimal for a number (round-trips), used in data attributes. */
export function exact(value) {
  return typeof value === "number" && Number.isFinite(value) ? String(value) : "";
}

/**
 * The label of each output unit of a classification dataset (`data` message): the uploaded
 * CSV's own class names ("no", "yes") when the server sends them, the digits for digits, and
 * "class 0", "class 1"… when the names are only the indices. Null for regression.
 */
export function classNames(data) {
  if (!data || !isClassification(data.task)) return null;
  const given = Array.isArray(data.class_names) ? data.class_names.map(String) : null;
  const n = data.n_classes ?? data.output_dim ?? given?.length ?? 2;
  const indicesOnly = !given || given.every((name, i) => name === String(i));
  return Array.from({ length: n }, (_, i) => {
    if (!indicesOnly && given[i] !== undefined && given[i] !== "") return given[i];
    return data.dataset === "digits" ? String(i) : `class ${i}`;
  });
}

/** How a sample's class reads in a sentence: "class 1", or the CSV's own label: "label “yes”". */
export function classPhrase(data, y) {
  if (typeof y !== "number") return `class ${y}`;
  const name = classNames(data)?.[y];
  if (name === undefined || name === `class ${y}`) return `class ${y}`;
  if (data?.dataset === "digits") return `digit ${name}`;
  return `label “${name}”`;
}

/**
 * A value beside a neuron, where room is short: as formatNumber, but huge values keep one digit
 * ("3e152" rather than "3.02e+152") so a diverging network's labels don't run into the next layer.
 */
export function formatShort(value) {
  if (typeof value === "number" && Number.isFinite(value) && Math.abs(value) >= 1e5) return value.toExponential(0).replace("+", "");
  return formatNumber(value);
}

/**
 * One convention for naming units and weights everywhere (inspector, tooltip, labels): units
 * count from 1; an output unit of a classifier also says its class ("output unit 1 (class 0)").
 * @param {number} layer 1..L (L: the output layer)
 * @param {number} unit 0-based index
 * @param {number} L the number of weight layers
 * @param {string|null} className the class this output unit stands for
 */
export function unitPhrase(layer, unit, L, className = null) {
  if (layer === L) return `output unit ${unit + 1}${className ? ` (${className})` : ""}`;
  return `layer ${layer} unit ${unit + 1}`;
}

/**
 * The subscript pair of a weight from unit i (0-based) to unit j: "₁,₂", always with the comma
 * (without it, unit 12's weight from unit 3 and unit 1's from unit 23 would both read "₁₂₃").
 */
export function indexPair(j, i) {
  return `${subscript(j + 1)},${subscript(i + 1)}`;
}

/** The symbol of weight W^l from unit i (0-based) of layer l − 1 to unit j of layer l: "W³₁,₂". */
export function weightSymbol(l, j, i) {
  return `W${superscript(l)}${indexPair(j, i)}`;
}
