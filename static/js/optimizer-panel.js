// The inspector's "update" block for the selected weight or bias: the optimizer's rule written
// out with the step's real numbers (optimizer-lines.js) and the entry's last 50 steps as small
// lines (optimizer-history.js): g, the optimizer's state and Δw.

import { h, s } from "./dom.js";
import { formatNumber } from "./format.js";
import { entryInputs, optimizerLines } from "./optimizer-lines.js";
import { entryHistory, historySeries, sparkPoints } from "./optimizer-history.js";

const SPARK_W = 150;
const SPARK_H = 20;

/** The `iteration` of the step shown and the message holding the state before it. */
function stepMessages(model) {
  const iteration = model.records.get(model.step);
  if (!iteration || model.playing || (model.walk && model.walk.step !== model.step)) return null;
  const prev = model.records.get(model.step - 1);
  const before = prev ?? (model.lastState?.step === model.step - 1 ? model.lastState : null);
  return { iteration, before };
}

/**
 * DOM nodes for entry `{layer, param, row, col}`: the update lines (when the `iteration` of the
 * step shown is known) and the entry's history; [] when there is nothing to show.
 */
export function optimizerBlock(model, entry) {
  const got = stepMessages(model);
  if (!got) return [];
  const out = [];
  const inputs = entryInputs({ ...got, config: model.config, constants: model.optimizerConstants, ...entry });
  if (typeof inputs.g !== "number" || typeof inputs.w !== "number") return [];
  const lines = optimizerLines(inputs);
  out.push(h("div", { class: "opt-lines", "data-optimizer": inputs.optimizer }, ...lines.map((l) => h("div", { class: l.value === null ? "math note" : "math", "data-key": l.key }, l.text))));
  const rows = entryHistory(model.records, entry, model.step);
  if (rows.length >= 2) out.push(historyBlock(rows, entry));
  return out;
}

function historyBlock(rows, entry) {
  const x = entry.param === "b" ? "b" : "w";
  const series = historySeries(rows);
  const table = h("div", { class: "opt-history", role: "group", "aria-label": `This ${entry.param === "b" ? "bias" : "weight"} over the last ${rows.length} steps` });
  for (const sr of series) {
    const last = sr.values[sr.values.length - 1];
    const svg = s("svg", { width: SPARK_W, height: SPARK_H, viewBox: `0 0 ${SPARK_W} ${SPARK_H}`, class: `spark spark-${sr.key}` });
    const zero = s("line", { x1: 0, x2: SPARK_W, y1: SPARK_H / 2, y2: SPARK_H / 2, class: "spark-zero" });
    const line = s("polyline", { points: sparkPoints(sr.values, SPARK_W, SPARK_H), class: "spark-line" });
    svg.append(zero, line);
    const label = sr.key === "delta" ? `Δ${x}` : sr.label;
    table.append(h("span", { class: "spark-label" }, label), svg, h("span", { class: "spark-value" }, formatNumber(last, 3)));
  }
  const first = rows[0].step;
  const lastRow = rows[rows.length - 1];
  const meanStep = rows.reduce((a, r) => a + Math.abs(r.delta), 0) / rows.length;
  let note = `Steps ${first}–${lastRow.step}.`;
  if (lastRow.optimizer === "adam") note += ` Adam's mean |Δ${x}| is ${formatNumber(meanStep, 3)} with η = ${formatNumber(lastRow.eta, 3)}: its step stays near η whatever the size of g.`;
  else if (lastRow.optimizer === "momentum" || lastRow.optimizer === "nesterov") note += ` While g keeps its sign the velocity builds up (up to 1/(1−μ) times g), and so does Δ${x}.`;
  else if (lastRow.optimizer === "rmsprop") note += ` square_avg follows g²: Δ${x} is g divided by its recent size.`;
  else note += ` SGD keeps no state: Δ${x} = −η·g.`;
  return h("div", { class: "opt-history-wrap" }, h("div", { class: "sub" }, `Last ${rows.length} steps of this ${entry.param === "b" ? "bias" : "weight"}`), table, h("p", { class: "hint" }, note));
}
