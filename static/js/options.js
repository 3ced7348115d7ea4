// What a client may choose, as the server lists it (`GET /api/options`: datasets, features,
// activations, inits, optimizers, units, defaults, limits and, when the server sends them, the
// numeric ranges). The page builds its controls and checks its URL from this object; the only
// table kept here is presentation: the display name of an option key. A key the table lacks is
// shown as itself. No DOM: unit-tested under node with a fixture object.

/** Display names of option keys, per kind. */
export const DISPLAY_NAMES = {
  dataset: { circle: "Circle", xor: "XOR", gauss: "Gaussian", spiral: "Spiral", moons: "Moons", plane: "Plane", multigauss: "Multi-Gauss", digits: "Digits", custom: "Your CSV" },
  activation: { relu: "ReLU", leaky_relu: "Leaky ReLU", tanh: "Tanh", sigmoid: "Sigmoid", linear: "Linear" },
  init: { he: "He", xavier: "Xavier", uniform: "Uniform" },
  optimizer: { sgd: "SGD", momentum: "Momentum", nesterov: "Nesterov", rmsprop: "RMSprop", adam: "Adam" },
  unit: { phase: "Phase", iteration: "Iteration", epoch: "Epoch" },
};

/** The list in the options object for each kind of choice. */
const LISTS = { dataset: "datasets", feature: "features", activation: "activations", init: "inits", optimizer: "optimizers", unit: "units" };

/** The display name of option `key` of `kind` (the key itself when the table lacks it). */
export function optionLabel(kind, key) {
  return DISPLAY_NAMES[kind]?.[key] ?? String(key);
}

/** The keys the server offers for `kind` ("dataset", "feature", "activation", …), or null. */
export function optionKeys(options, kind) {
  const list = options?.[LISTS[kind]];
  return Array.isArray(list) ? list : null;
}

/** [{value, label}] of every option of `kind`, in the server's order ([] without options). */
export function choices(options, kind) {
  return (optionKeys(options, kind) ?? []).map((value) => ({ value, label: optionLabel(kind, value) }));
}

/**
 * The range of numeric config field `key`: {min, max, min_exclusive, max_exclusive, integer}
 * (min or max null when open), or null when the server sent no ranges.
 */
export function rangeOf(options, key) {
  const r = options?.ranges?.[key];
  if (!r || typeof r !== "object") return null;
  return { min: r.min ?? null, max: r.max ?? null, min_exclusive: Boolean(r.min_exclusive), max_exclusive: Boolean(r.max_exclusive), integer: Boolean(r.integer) };
}

/** Why `value` is outside `range` (a sentence), or null when it is inside (or there is no range). */
export function rangeError(value, range) {
  if (!range) return null;
  const { min, max, min_exclusive: minEx, max_exclusive: maxEx } = range;
  if (range.integer && !Number.isInteger(value)) return `${value} is not an integer`;
  const low = min !== null && (minEx ? value <= min : value < min);
  const high = max !== null && (maxEx ? value >= max : value > max);
  if (!low && !high) return null;
  return `${value} is out of range: enter a number ${describeRange(range)}`;
}

/** A range in words: "from 0 to 1", "above 0 to 10", "from 1". */
export function describeRange({ min, max, min_exclusive: minEx, max_exclusive: maxEx }) {
  const parts = [];
  if (min !== null) parts.push(`${minEx ? "above" : "from"} ${min}`);
  if (max !== null) parts.push(`${maxEx ? "below" : "to"} ${max}`);
  return parts.join(" ") || "of any size";
}

/** Fetch `GET /api/options`; null when it cannot be read (the page then offers only what it is shown). */
export async function loadOptions(fetchFn = globalThis.fetch, url = "/api/options") {
  try {
    const res = await fetchFn(url);
    if (!res.ok) return null;
    return await res.json();
  } catch {
    return null;
  }
}
