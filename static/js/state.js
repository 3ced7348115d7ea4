// URL state, driven by one table of properties (as TensorFlow Playground's state.ts): the whole
// config, including seeds, lives in the query string, so a shared link reproduces the same data
// and initial weights. Teachers hide controls with ?hide=data,network (see HIDEABLE).

import { optionKeys, rangeError, rangeOf } from "./options.js";

/**
 * Every property the URL can carry. `scope` "config" goes to the server in `configure`; "ui"
 * stays in the page. `type`: string | int | number | bool | list (strings) | ints (widths, each
 * at least 1). `choices` names the server's option list a value must be in, `values` the page's
 * own list; numeric config values must be in the server's range (options.js).
 */
export const PROPERTIES = [
  { key: "dataset", scope: "config", type: "string", choices: "dataset" },
  { key: "dataset_id", scope: "config", type: "string", nullable: true },
  { key: "samples", scope: "config", type: "int" },
  { key: "noise", scope: "config", type: "number" },
  { key: "test_fraction", scope: "config", type: "number" },
  { key: "data_seed", scope: "config", type: "int" },
  { key: "features", scope: "config", type: "list", choices: "feature" },
  { key: "hidden", scope: "config", type: "ints" },
  { key: "activation", scope: "config", type: "string", choices: "activation" },
  { key: "init", scope: "config", type: "string", choices: "init" },
  { key: "seed", scope: "config", type: "int" },
  { key: "optimizer", scope: "config", type: "string", choices: "optimizer" },
  { key: "momentum", scope: "config", type: "number" },
  { key: "learning_rate", scope: "config", type: "number" },
  { key: "batch_size", scope: "config", type: "int" },
  { key: "l1", scope: "config", type: "number" },
  { key: "l2", scope: "config", type: "number" },
  { key: "dropout", scope: "config", type: "number" },
  { key: "unit", scope: "ui", type: "string", choices: "unit", default: "phase" },
  // Iterations per second while playing. 1,000/s is ~35 epochs/s on the default circle (TF
  // Playground trains about an epoch per frame): it visibly converges in 2–3 s.
  { key: "speed", scope: "ui", type: "string", values: ["1", "5", "20", "100", "1000", "max"], default: "1000" },
  { key: "test", scope: "ui", type: "bool", default: false },
  { key: "discretize", scope: "ui", type: "bool", default: false },
  { key: "log", scope: "ui", type: "bool", default: false },
  { key: "theme", scope: "ui", type: "string", values: ["light", "dark"], default: null },
  { key: "hide", scope: "ui", type: "list", default: [] },
  { key: "experiment", scope: "ui", type: "string", default: null },
  // The step a shared link was copied at: a new session replays from the seed up to it.
  { key: "step", scope: "ui", type: "int", default: 0 },
];

/** Names `?hide=` understands: whole panels and single controls (see data-hide in index.html). */
export const HIDEABLE = [
  "data", "features", "network", "training", "output", "charts", "inspector", "timeline",
  "dataset", "noise", "ratio", "batch_size", "regenerate", "upload", "activation", "init",
  "learning_rate", "optimizer", "regularization", "dropout", "speed", "layers", "reset",
  "step_back", "play", "step_forward", "step_by", "share", "gradcheck", "experiments", "takehome",
];

const BY_KEY = new Map(PROPERTIES.map((p) => [p.key, p]));

/** Default values of the page's own (ui) properties. */
export function uiDefaults() {
  const out = {};
  for (const p of PROPERTIES) if (p.scope === "ui") out[p.key] = Array.isArray(p.default) ? [...p.default] : p.default;
  return out;
}

/** The values `prop` may take: the server's option list, or the page's own list, or null (any). */
function allowedValues(prop, options) {
  return prop.choices ? optionKeys(options, prop.choices) : (prop.values ?? null);
}

function checkAllowed(prop, value, allowed) {
  if (allowed && !allowed.includes(value)) throw new Error(`${prop.key}: "${value}" is not one of ${allowed.join(", ")}`);
}

function checkRange(prop, value, options) {
  const why = prop.scope === "config" ? rangeError(value, rangeOf(options, prop.key)) : null;
  if (why) throw new Error(`${prop.key}: ${why}`);
}

function parseValue(prop, raw, options) {
  const allowed = allowedValues(prop, options);
  switch (prop.type) {
    case "string":
      if (prop.nullable && raw === "") return null;
      checkAllowed(prop, raw, allowed);
      return raw;
    case "int": {
      if (!/^-?\d+$/.test(raw)) throw new Error(`${prop.key}: "${raw}" is not an integer`);
      const v = Number(raw);
      checkRange(prop, v, options);
      return v;
    }
    case "number": {
      const v = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(v)) throw new Error(`${prop.key}: "${raw}" is not a number`);
      checkRange(prop, v, options);
      return v;
    }
    case "bool":
      if (["1", "true", "yes", "on"].includes(raw)) return true;
      if (["0", "false", "no", "off"].includes(raw)) return false;
      throw new Error(`${prop.key}: "${raw}" is not true or false`);
    case "list": {
      const items = raw === "" ? [] : raw.split(",").map((s) => s.trim()).filter(Boolean);
      for (const s of items) checkAllowed(prop, s, allowed);
      return items;
    }
    case "ints": {
      const items = raw === "" ? [] : raw.split(",").map((s) => s.trim());
      return items.map((s) => {
        if (!/^\d+$/.test(s) || Number(s) < 1) throw new Error(`${prop.key}: "${s}" is not a positive integer`);
        return Number(s);
      });
    }
    default:
      return raw;
  }
}

function formatValue(prop, value) {
  if (value === null || value === undefined) return "";
  switch (prop.type) {
    case "bool":
      return value ? "1" : "0";
    case "list":
    case "ints":
      return value.join(",");
    default:
      return String(value);
  }
}

/**
 * Read the page's URL query. Invalid values are skipped and reported in `errors` (never thrown).
 * `options` (`GET /api/options`) gives the option lists and ranges values are checked against;
 * without it only the types are checked (the server still refuses what it does not allow).
 * @returns {{config: object, ui: object, watch: {id: string, key: string} | null, errors: string[]}}
 */
export function parseUrl(search, options = null) {
  const params = new URLSearchParams(search);
  const config = {};
  const ui = uiDefaults();
  const errors = [];
  for (const [key, raw] of params) {
    const prop = BY_KEY.get(key);
    if (!prop) continue;
    try {
      const value = parseValue(prop, raw, options);
      if (prop.scope === "config") config[key] = value;
      else ui[key] = value;
    } catch (e) {
      errors.push(e.message);
    }
  }
  ui.hide = (ui.hide ?? []).filter((h) => HIDEABLE.includes(h));
  const watch = params.get("watch") && params.get("key") ? { id: params.get("watch"), key: params.get("key") } : null;
  return { config, ui, watch, errors };
}

/**
 * The query string ("?…") for a full config and the page's ui state. Every config key is written
 * (so the link survives changes of the server's defaults); ui keys only when not default.
 */
export function toSearch(config, ui = {}) {
  const params = new URLSearchParams();
  for (const prop of PROPERTIES) {
    if (prop.scope === "config") {
      if (!(prop.key in config)) continue;
      const value = config[prop.key];
      if (prop.nullable && (value === null || value === undefined)) continue;
      params.set(prop.key, formatValue(prop, value));
    } else {
      const value = ui[prop.key];
      if (value === undefined || sameValue(value, prop.default)) continue;
      if (prop.type === "list" && value.length === 0) continue;
      params.set(prop.key, formatValue(prop, value));
    }
  }
  // Keep the readable characters of feature names: x1^2, x1*x2, sin(x1).
  const text = params.toString().replace(/%2C/g, ",").replace(/%5E/g, "^").replace(/%28/g, "(").replace(/%29/g, ")");
  return text ? `?${text}` : "";
}

/** Deep equality for the JSON-like values of a config. */
export function sameValue(a, b) {
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => sameValue(v, b[i]));
  }
  return a === b;
}

/** The keys of `wanted` whose values differ from `actual` (a partial config for `configure`). */
export function diffConfig(wanted, actual) {
  const out = {};
  for (const [key, value] of Object.entries(wanted)) {
    if (!BY_KEY.has(key) || BY_KEY.get(key).scope !== "config") continue;
    if (!sameValue(value, actual?.[key])) out[key] = value;
  }
  // A custom dataset needs its id; a generated one must not carry a stale one.
  if ("dataset" in out && out.dataset !== "custom" && actual?.dataset_id) out.dataset_id = null;
  return out;
}

/** Which elements to hide for a `hide` list: CSS selectors of [data-hide~=name]. */
export function hideSelectors(hide) {
  return hide.filter((h) => HIDEABLE.includes(h)).map((h) => `[data-hide~="${h}"]`);
}
