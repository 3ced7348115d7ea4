// The selected weight's last steps, from the `iteration` messages the page kept (store.records,
// the newest 256): its gradient g, the optimizer's state after each step (torch's slot names)
// and Δw. It shows momentum building up (vₜ growing while g keeps its sign) and Adam's
// |Δw| staying near η whatever the size of g. Pure functions, no DOM.

/** Steps shown: the last 50 kept. */
export const HISTORY_STEPS = 50;

/**
 * The rows of one entry's history, oldest first.
 *
 * @param {Map<number, object>} records iteration messages by step
 * @param {{layer: number, param: "W"|"b", row: number, col?: number}} entry 1-based layer
 * @param {number} [upTo] the last step to include (the moment shown); default: all
 * @param {number} [limit] at most this many rows (the newest)
 * @returns {{step: number, optimizer: string, t: number, eta: number, g: number, delta: number, state: object}[]}
 */
export function entryHistory(records, entry, upTo = Infinity, limit = HISTORY_STEPS) {
  const at = (m) => (entry.param === "b" ? m?.[entry.row] : m?.[entry.row]?.[entry.col]);
  const steps = [...records.keys()].filter((s) => s <= upTo).sort((a, b) => a - b);
  const rows = [];
  for (const step of steps.slice(-limit)) {
    const msg = records.get(step);
    const layer = msg.layers?.[entry.layer - 1];
    if (!layer) continue;
    const g = at(entry.param === "b" ? layer.db : layer.dW);
    const delta = at(entry.param === "b" ? layer.update_b : layer.update_W);
    if (typeof g !== "number" || typeof delta !== "number") continue;
    const slots = layer.opt?.[entry.param] ?? {};
    const state = Object.fromEntries(Object.entries(slots).map(([k, m]) => [k, at(m)]));
    rows.push({ step, optimizer: msg.optimizer, t: msg.optimizer_t ?? null, eta: msg.learning_rate, g, delta, state });
  }
  return rows;
}

/**
 * A polyline's points (`"x,y x,y …"`) for values in a `width × height` box, 0 on the middle
 * line when the values change sign, else scaled to their own range; null values are skipped.
 */
export function sparkPoints(values, width, height) {
  const finite = values.filter((v) => typeof v === "number" && Number.isFinite(v));
  if (!finite.length) return "";
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (lo < 0 && hi > 0) {
    const m = Math.max(-lo, hi);
    [lo, hi] = [-m, m];
  }
  if (hi === lo) [lo, hi] = [lo - 1, hi + 1];
  const n = values.length;
  const out = [];
  values.forEach((v, i) => {
    if (typeof v !== "number" || !Number.isFinite(v)) return;
    const x = n === 1 ? width / 2 : (i / (n - 1)) * width;
    const y = height - ((v - lo) / (hi - lo)) * height;
    out.push(`${x.toFixed(1)},${y.toFixed(1)}`);
  });
  return out.join(" ");
}

/** The series to draw for an optimizer: g, each state slot, and Δw (labels with torch's names). */
export function historySeries(rows) {
  if (!rows.length) return [];
  const slots = Object.keys(rows[rows.length - 1].state);
  return [
    { key: "g", label: "g (gradient)", values: rows.map((r) => r.g) },
    ...slots.map((s) => ({ key: s, label: s, values: rows.map((r) => r.state[s] ?? null) })),
    { key: "delta", label: "Δw", values: rows.map((r) => r.delta) },
  ];
}
