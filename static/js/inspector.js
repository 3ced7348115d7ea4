// The inspector: click a neuron, a bias or an edge to see its numbers and the chain rule written
// out with them (the lines come from chain-lines.js: z = Σ W·a + b with the actual terms,
// dZ = dA·f′(z), ∂L/∂w = Σᵣ dZᵣⱼ·aᵣᵢ), and the update with the optimizer's actual step.
// Weights and biases can be edited here.

import { h } from "./dom.js";
import { classPhrase, featureLabel, formatNumber, formatTerm, superscript as sup, subscript as sub, unitPhrase, weightSymbol } from "./format.js";
import { optimizerName } from "./captions.js";
import { biasLines, edgeLines, neuronLines, partText } from "./chain-lines.js";
import { isClassification } from "./protocol.js";

function num(v, digits = 4) {
  const s = formatTerm(v, digits);
  return h("b", { class: typeof v === "number" && v < 0 ? "neg" : "pos" }, s);
}

/** True when the inspected data's outputs are class probabilities. */
function classes(ctx) {
  return Boolean(ctx.data) && isClassification(ctx.data.task);
}

function line(...parts) {
  return h("div", { class: "math" }, ...parts);
}

/** A chain-rule line as DOM: its shown numbers coloured by sign, the text before the first number as its left-hand side. */
function chainLine(l) {
  const parts = l.parts.map((p) => (typeof p === "string" ? p : h("b", { class: p.v < 0 ? "neg" : "pos" }, partText(p))));
  if (typeof parts[0] === "string") parts[0] = h("span", { class: "lhs" }, parts[0]);
  return h("div", { class: "math", "data-key": l.key }, ...parts);
}

export class Inspector {
  constructor(root, hooks) {
    this.root = root;
    this.hooks = hooks;
    this.selection = null;
  }

  /**
   * @param {object|null} sel {type: "neuron"|"edge"|"bias", layer, unit|row, col}
   * @param {object} rec momentRecord(model)
   * @param {object} ctx {config, data, L, readOnly, gradcheck, lastIteration}
   */
  render(sel, rec, ctx) {
    this.selection = sel;
    const parts = [];
    if (!sel) parts.push(...this.empty(ctx));
    else if (sel.type === "neuron") parts.push(...this.neuron(sel, rec, ctx));
    else if (sel.type === "edge") parts.push(...this.edge(sel, rec, ctx));
    else if (sel.type === "bias") parts.push(...this.bias(sel, rec, ctx));
    const active = document.activeElement;
    const keepFocus = active && this.root.contains(active) && active.tagName === "INPUT";
    if (keepFocus) return; // don't replace the editor while someone types in it
    this.root.replaceChildren(...parts);
  }

  sampleLine(rec, ctx) {
    if (rec.source === "none") return h("span", { class: "sub" }, "");
    const what = rec.source === "sample" ? `followed ${rec.split} sample #${rec.sampleIndex}` : rec.source === "page" ? `training sample #${rec.sampleIndex}, current weights` : `sample #${rec.sampleIndex} (row ${rec.row + 1} of ${rec.m} in the batch)`;
    const label = rec.y === null || rec.y === undefined ? "" : classes(ctx) ? `, ${classPhrase(ctx.data, rec.y)}` : "";
    return h("span", { class: "sub" }, `${what}${label}`);
  }

  empty(ctx) {
    const out = [h("h3", {}, "Inspector")];
    const see = "Click a neuron, a bias (the small square) or a weight (an edge) to see its numbers and the chain rule with the actual values.";
    // A spectator's page edits nothing and follows no sample of its own.
    out.push(h("p", { class: "hint" }, ctx.readOnly ? `${see} Hover a weight to read it.` : `${see} Hover a weight to read it; select it to edit it. Click a data point to follow that sample.`));
    if (ctx.gradcheck) out.push(...this.gradcheck(ctx.gradcheck));
    return out;
  }

  gradcheck(g) {
    // The server's threshold (the engine's one definition); a fallback only for an old server.
    const limit = g.threshold ?? 1e-5;
    const err = (v) => h("b", { class: v === null || !(v < limit) ? "bad" : null }, formatNumber(v, 2));
    const rows = g.layers.map((r) => h("div", { class: "math" }, `W${sup(r.layer)}: error `, err(r.rel_error_W), `   b${sup(r.layer)}: `, err(r.rel_error_b)));
    const head = g.ok ? `Gradient check at step ${g.step}: the backward pass matches finite differences (every error < ${limit}).` : `Gradient check at step ${g.step}: a gradient differs from finite differences (the error marked in red is ≥ ${limit}).`;
    return [h("p", { class: g.ok ? "ok" : "bad" }, head), ...rows];
  }

  neuron(sel, rec, ctx) {
    const c = sel.layer;
    const j = sel.unit;
    const L = ctx.L;
    const out = [];
    if (c === 0) {
      const name = ctx.data?.features?.[j] ?? `pixel ${j}`;
      out.push(h("h3", {}, `Input ${ctx.data?.image_shape ? `pixel ${j}` : featureLabel(name)}`, this.sampleLine(rec, ctx)));
      out.push(line(`A⁰${sub(j + 1)} = x${sub(j + 1)} = `, num(rec.x?.[j])));
      out.push(h("p", { class: "hint" }, "Inputs are not learned: each feeds every unit of layer 1 through its weights."));
      return out;
    }
    const t = rec.layers[c - 1];
    const phrase = unitPhrase(c, j, L, c === L && classes(ctx) ? classPhrase(ctx.data, j) : null);
    const title = phrase[0].toUpperCase() + phrase.slice(1);
    out.push(h("h3", {}, title, this.sampleLine(rec, ctx)));
    const Wrow = t.W?.[j];
    out.push(...neuronLines(c, j, rec, ctx).map(chainLine));
    if (Wrow && !t.Z) out.push(line(h("span", { class: "lhs" }, `z${sup(c)}${sub(j + 1)} = Σᵢ W·a + b`), "  — not computed yet: step forward to layer ", String(c)));
    if (!t.dZ && rec.source === "batch") out.push(h("p", { class: "hint" }, `The gradient appears when the backward pass reaches layer ${c}.`));
    if (ctx.data?.image_shape && c === 1 && Wrow) out.push(this.weightImage(Wrow, ctx));
    return out;
  }

  weightImage(row, ctx) {
    const [rows, cols] = ctx.data.image_shape;
    const canvas = h("canvas", { class: "wimg", width: cols, height: rows, role: "img", "aria-label": "This unit's 64 input weights as an image" });
    ctx.paintWeights?.(canvas, row);
    return h("div", { class: "math" }, "Its 64 input weights (orange negative, blue positive): ", canvas);
  }

  edge(sel, rec, ctx) {
    const { layer: l, row: j, col: i } = sel;
    const t = rec.layers[l - 1];
    const out = [];
    const w = t?.W?.[j]?.[i];
    if (w === undefined) return this.empty(ctx);
    const from = l === 1 ? featureLabel(ctx.data?.features?.[i] ?? `x${i + 1}`) : `a${sup(l - 1)}${sub(i + 1)}`;
    const to = unitPhrase(l, j, ctx.L, l === ctx.L && classes(ctx) ? classPhrase(ctx.data, j) : null);
    out.push(h("h3", {}, `Weight ${weightSymbol(l, j, i)}`, h("span", { class: "sub" }, `from ${l === 1 ? "input " + from : unitPhrase(l - 1, i, ctx.L)} to ${to}`), this.sampleLine(rec, ctx)));
    const cols = h("div", { class: "cols" });
    const left = h("div", {});
    const right = h("div", {});
    cols.append(left, right);
    left.append(...edgeLines(l, j, i, rec, ctx).map(chainLine));
    const steps = ctx.optimizerBlock?.({ layer: l, param: "W", row: j, col: i }) ?? [];
    if (steps.length) {
      right.append(h("div", { class: "sub" }, `Update (${optimizerName(rec.optimizer ?? ctx.config?.optimizer ?? "sgd")})`), ...steps);
    } else if (t.update_W && t.W_next) {
      const d = t.update_W[j][i];
      const opt = rec.optimizer ?? ctx.config?.optimizer ?? "sgd";
      const eta = rec.learningRate ?? ctx.config?.learning_rate;
      if (opt === "sgd" && t.dW) right.append(line(h("span", { class: "lhs" }, "w ← w − η·dW = "), num(w, 4), " − ", num(eta, 3), "·", num(t.dW[j][i], 3), " = ", num(t.W_next[j][i], 6)));
      right.append(line(h("span", { class: "lhs" }, `Δw (${optimizerName(opt)}) = `), num(d), " → w = ", num(t.W_next[j][i], 6)));
    } else if (t.dW && ctx.config) {
      right.append(h("p", { class: "hint" }, `The update (${optimizerName(ctx.config.optimizer)}, η = ${formatNumber(ctx.config.learning_rate)}) is written out at the update phase.`));
    }
    if (!ctx.readOnly) right.append(this.editor("weight", w, (value) => this.hooks.onSetWeight({ layer: l, row: j, col: i, value })));
    out.push(cols);
    return out;
  }

  bias(sel, rec, ctx) {
    const { layer: l, unit: j } = sel;
    const t = rec.layers[l - 1];
    const b = t?.b?.[j];
    const out = [h("h3", {}, `Bias b${sup(l)}${sub(j + 1)}`, this.sampleLine(rec, ctx))];
    out.push(...biasLines(l, j, rec).map(chainLine));
    const steps = ctx.optimizerBlock?.({ layer: l, param: "b", row: j }) ?? [];
    if (steps.length) out.push(...steps);
    else if (t?.update_b && t.b_next) out.push(line(h("span", { class: "lhs" }, "Δb = "), num(t.update_b[j]), " → b = ", num(t.b_next[j], 6)));
    if (!ctx.readOnly) out.push(this.editor("bias", b, (value) => this.hooks.onSetBias({ layer: l, row: j, value })));
    return out;
  }

  editor(what, value, submit) {
    const input = h("input", { type: "number", step: "any", value: Number.isFinite(value) ? String(value) : "0", "aria-label": what === "weight" ? "Weight value" : "Bias value" });
    const form = h("form", { class: "edit" }, input, h("button", { type: "submit" }, what === "weight" ? "Set weight" : "Set bias"));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const v = Number(input.value);
      if (input.value.trim() === "" || !Number.isFinite(v)) {
        input.setCustomValidity("Enter a finite number");
        input.reportValidity();
        return;
      }
      input.blur();
      submit(v);
    });
    return form;
  }
}
