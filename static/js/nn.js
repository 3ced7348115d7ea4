// The network's forward pass in the browser, for the decision-boundary heatmap and the
// hidden-unit thumbnails, computed from the weights the server streams. Mirrors the engine:
// hidden activations relu / leaky_relu (slope 0.01) / tanh / sigmoid / linear, output softmax
// (classification) or identity (regression). W of a layer is out × in (rows = units).

import { isClassification } from "./protocol.js";

export const LEAKY_SLOPE = 0.01;

/** The input features the page can compute from a 2-D point (x1, x2). */
export const FEATURE_FUNCTIONS = {
  x1: (x1) => x1,
  x2: (_x1, x2) => x2,
  "x1^2": (x1) => x1 * x1,
  "x2^2": (_x1, x2) => x2 * x2,
  "x1*x2": (x1, x2) => x1 * x2,
  "sin(x1)": (x1) => Math.sin(x1),
  "sin(x2)": (_x1, x2) => Math.sin(x2),
};

export const ALL_FEATURES = Object.keys(FEATURE_FUNCTIONS);

/** The feature vector of point (x1, x2) for the feature names `names` (in that order). */
export function featurize(x1, x2, names) {
  const out = new Array(names.length);
  for (let i = 0; i < names.length; i++) {
    const f = FEATURE_FUNCTIONS[names[i]];
    out[i] = f ? f(x1, x2) : 0;
  }
  return out;
}

/**
 * The feature names to compute a network input from a point (x1, x2) of `data`, or null.
 * Generated sets name TF Playground features; a 2-column CSV feeds its raw columns (identity).
 */
export function inputFeatures(data) {
  if (!data?.features) return null;
  if (data.features.every((f) => f in FEATURE_FUNCTIONS)) return data.features;
  if (data.train?.points && data.input_dim === 2) return ["x1", "x2"];
  return null;
}

/** Element-wise activation functions by name. */
export const ACTIVATIONS = {
  relu: (z) => (z > 0 ? z : 0),
  leaky_relu: (z) => (z > 0 ? z : LEAKY_SLOPE * z),
  tanh: (z) => Math.tanh(z),
  sigmoid: (z) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z))),
  linear: (z) => z,
};

/** True for the activations whose outputs are bounded by ±1 (their values need no own scale). */
export function isBounded(activation) {
  return activation === "tanh" || activation === "sigmoid";
}

/** Derivatives f′(z) by name (for the chain rule shown in the inspector). */
export const DERIVATIVES = {
  relu: (z) => (z > 0 ? 1 : 0),
  leaky_relu: (z) => (z > 0 ? 1 : LEAKY_SLOPE),
  tanh: (z) => 1 - Math.tanh(z) ** 2,
  sigmoid: (z) => {
    const s = ACTIVATIONS.sigmoid(z);
    return s * (1 - s);
  },
  linear: () => 1,
};

/** Row-wise softmax of one logit vector, shifted by its maximum. */
export function softmax(z) {
  let max = -Infinity;
  for (const v of z) if (v > max) max = v;
  const e = z.map((v) => Math.exp(v - max));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/**
 * Forward pass of one input vector `x`. Returns per layer {Z, A} (arrays), layer 1 first.
 * `task` "classification" (or none) ends in softmax, "regression" in the identity.
 */
export function forward(layers, x, activation = "tanh", task = "classification") {
  const classes = isClassification(task);
  const f = ACTIVATIONS[activation] ?? ACTIVATIONS.linear;
  const out = [];
  let a = x;
  for (let l = 0; l < layers.length; l++) {
    const { W, b } = layers[l];
    const z = new Array(W.length);
    for (let j = 0; j < W.length; j++) {
      const row = W[j];
      let s = b[j];
      for (let i = 0; i < row.length; i++) s += row[i] * a[i];
      z[j] = s;
    }
    const last = l === layers.length - 1;
    const A = last ? (classes ? softmax(z) : z.slice()) : z.map(f);
    out.push({ Z: z, A });
    a = A;
  }
  return out;
}

/**
 * Forward pass of many inputs at once, for heatmaps. `inputs` is a Float64Array of n × d values
 * (row-major). Returns, per layer, a Float64Array of n × units activations (softmax / identity on
 * the last layer). Flat typed arrays keep a 2,500-point grid well under a millisecond.
 */
export function forwardGrid(layers, inputs, n, activation = "tanh", task = "classification") {
  const f = ACTIVATIONS[activation] ?? ACTIVATIONS.linear;
  const outs = [];
  let a = inputs;
  let width = n > 0 ? inputs.length / n : 0;
  for (let l = 0; l < layers.length; l++) {
    const { W, b } = layers[l];
    const units = W.length;
    const last = l === layers.length - 1;
    const z = new Float64Array(n * units);
    const Wf = new Float64Array(units * width);
    for (let j = 0; j < units; j++) for (let i = 0; i < width; i++) Wf[j * width + i] = W[j][i];
    for (let p = 0; p < n; p++) {
      const base = p * width;
      for (let j = 0; j < units; j++) {
        let s = b[j];
        const wb = j * width;
        for (let i = 0; i < width; i++) s += Wf[wb + i] * a[base + i];
        z[p * units + j] = last ? s : f(s);
      }
    }
    if (last && isClassification(task)) {
      for (let p = 0; p < n; p++) {
        const o = p * units;
        let max = -Infinity;
        for (let j = 0; j < units; j++) if (z[o + j] > max) max = z[o + j];
        let sum = 0;
        for (let j = 0; j < units; j++) {
          const e = Math.exp(z[o + j] - max);
          z[o + j] = e;
          sum += e;
        }
        for (let j = 0; j < units; j++) z[o + j] /= sum;
      }
    }
    outs.push(z);
    a = z;
    width = units;
  }
  return outs;
}

/** A grid of `res` × `res` points over [x0, x1] × [y0, y1], featurized: Float64Array n × d. */
export function gridInputs(res, [x0, x1], [y0, y1], names) {
  const d = names.length;
  const out = new Float64Array(res * res * d);
  for (let r = 0; r < res; r++) {
    // Row 0 is the top of the picture (largest x2).
    const v = y1 - ((r + 0.5) / res) * (y1 - y0);
    for (let c = 0; c < res; c++) {
      const u = x0 + ((c + 0.5) / res) * (x1 - x0);
      const feats = featurize(u, v, names);
      const o = (r * res + c) * d;
      for (let i = 0; i < d; i++) out[o + i] = feats[i];
    }
  }
  return out;
}

/** Index of the largest value. */
export function argmax(values) {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** True when every number in a (nested) array is finite. */
export function allFinite(value) {
  if (typeof value === "number") return Number.isFinite(value);
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    for (const v of value) if (!allFinite(v)) return false;
    return true;
  }
  return true;
}
