// The inspector's chain-rule lines for a neuron, a weight or a bias, written with the numbers of
// the displayed sample. Pure functions, no DOM: each line is {key, parts}, where a part is a
// string or a shown number {v, digits} (written with formatTerm: negatives in parentheses).
// Notation (the help's "How to read this page"): lower-case z, a, ŷ, y are one entry of Z, A, Ŷ,
// Y for the displayed sample (row r of the batch); "dX" is ∂L/∂X; j is the unit, i its input,
// both 1-based like every index on the page.

import { formatNumber, formatTerm, indexPair, superscript as sup, subscript as sub } from "./format.js";
import { activationLabel } from "./captions.js";
import { DERIVATIVES } from "./nn.js";
import { isClassification } from "./protocol.js";

export const MAX_TERMS = 6;

/** A shown number; `plain`: written without parentheses (a function's argument). */
export const n = (v, digits = 4, plain = false) => ({ v, digits, plain });

/** A part's text. */
export function partText(p) {
  if (typeof p === "string") return p;
  return p.plain ? formatNumber(p.v, p.digits).replace("-", "−") : formatTerm(p.v, p.digits);
}

/** A line's text. */
export function lineText(line) {
  return line.parts.map(partText).join("");
}

/** `x·y + x·y + … (k more: s)` for the largest |x·y| terms, as parts. */
export function sumParts(xs, ys) {
  const idx = xs.map((_, i) => i);
  let shown = idx;
  if (idx.length > MAX_TERMS) shown = [...idx].sort((p, q) => Math.abs(xs[q] * ys[q]) - Math.abs(xs[p] * ys[p])).slice(0, MAX_TERMS - 1).sort((p, q) => p - q);
  const parts = [];
  shown.forEach((i, k) => {
    if (k > 0) parts.push(" + ");
    parts.push(n(xs[i], 3), "·", n(ys[i], 3));
  });
  const rest = idx.length - shown.length;
  if (rest > 0) {
    let s = 0;
    for (const i of idx) if (!shown.includes(i)) s += xs[i] * ys[i];
    parts.push(` + (${rest} more: `, n(s, 3), ")");
  }
  return parts;
}

const line = (key, ...parts) => ({ key, parts: parts.flat() });

/** The true value y of output unit j for the displayed sample: 0/1 for classes. */
function target(rec, j, classification) {
  if (rec.y === null || rec.y === undefined) return null;
  if (classification) return rec.y === j ? 1 : 0;
  return Array.isArray(rec.y) ? (rec.y[j] ?? null) : rec.y;
}

/** Lines of unit j (0-based) of layer c ≥ 1. */
export function neuronLines(c, j, rec, ctx) {
  const L = ctx.L;
  const J = sub(j + 1);
  const t = rec.layers[c - 1];
  const act = ctx.config?.activation ?? "tanh";
  const classification = isClassification(ctx.data?.task);
  const out = [];
  const aPrev = c === 1 ? rec.x : rec.layers[c - 2]?.A;
  const Wrow = t.W?.[j];
  if (Wrow && aPrev && t.Z) out.push(line("z", `z${sup(c)}${J} = Σᵢ W${sup(c)}${J}ᵢ·a${sup(c - 1)}ᵢ + b${sup(c)}${J} = `, sumParts(Wrow, aPrev), " + ", n(t.b[j], 3), " = ", n(t.Z[j])));
  if (t.A && t.Z) {
    if (c === L && classification) {
      const exps = t.Z.map((z) => Math.exp(z));
      const total = exps.reduce((s, e) => s + e, 0);
      out.push(line("softmax", `ŷ${J} = softmax(z${sup(c)})${J} = e^(z${J})/Σₖ e^(zₖ) = `, n(exps[j]), "/", n(total), " = ", n(t.A[j])));
    } else if (c === L) out.push(line("identity", `ŷ${J} = z${sup(c)}${J} = `, n(t.A[j])));
    else {
      const f = act === "linear" ? "z" : `${activationLabel(act)}(z)`;
      const fz = act === "linear" ? [n(t.Z[j])] : [`${activationLabel(act)}(`, n(t.Z[j], 4, true), ")"];
      if (t.mask) out.push(line("activation", `a${sup(c)}${J} = ${f}·d = `, fz, "·", n(t.mask[j]), " = ", n(t.A[j])));
      else out.push(line("activation", `a${sup(c)}${J} = ${f} = `, fz, " = ", n(t.A[j])));
    }
  }
  if (!t.dZ) return out;
  const m = rec.m || 1;
  if (c === L) {
    const y = target(rec, j, classification);
    const yhat = t.A?.[j] ?? rec.probs?.[j];
    if (classification && y !== null && typeof yhat === "number") {
      out.push(line("dZ_out", `dZ${sup(c)}${J} = (ŷ${J} − y${J})/m = (`, n(yhat), ` − ${y})/${m} = `, n(t.dZ[j])));
      out.push(line("slope", y === 1 ? "Negative for the true class: raising its z lowers the loss." : "Positive for a wrong class: lowering its z lowers the loss."));
    } else if (!classification && y !== null && typeof yhat === "number") {
      const k = t.dZ.length;
      out.push(line("dZ_out", `dZ${sup(c)}${J} = 2·(ŷ${J} − y${J})/(m·k) = 2·(`, n(yhat), " − ", n(y), `)/(${m}·${k}) = `, n(t.dZ[j])));
      out.push(line("slope", t.dZ[j] > 0 ? "Positive: the prediction is too high." : t.dZ[j] < 0 ? "Negative: the prediction is too low." : "Zero: the prediction is exact."));
    } else out.push(line("dZ_out", `dZ${sup(c)}${J} = ∂L/∂z${sup(c)}${J} = `, n(t.dZ[j])));
  } else {
    const next = rec.layers[c];
    let dA = t.dA?.[j];
    if (next?.dZ && next.W) {
      const ws = next.W.map((row) => row[j]);
      dA ??= ws.reduce((s, w, k) => s + w * next.dZ[k], 0);
      out.push(line("dA", `dA${sup(c)}${J} = ∂L/∂a${sup(c)}${J} = Σₖ dZ${sup(c + 1)}ₖ·W${sup(c + 1)}ₖ${J} = `, sumParts(next.dZ, ws), " = ", n(dA)));
    }
    const fp = t.Z ? DERIVATIVES[act]?.(t.Z[j]) : undefined;
    const fname = act === "linear" ? "1" : `${activationLabel(act)}′(z)`;
    if (typeof dA === "number" && fp !== undefined) {
      if (t.mask) out.push(line("dZ", `dZ${sup(c)}${J} = ∂L/∂z${sup(c)}${J} = dA·d·${fname} = `, n(dA), "·", n(t.mask[j]), "·", n(fp), " = ", n(t.dZ[j])));
      else out.push(line("dZ", `dZ${sup(c)}${J} = ∂L/∂z${sup(c)}${J} = dA·${fname} = `, n(dA), "·", n(fp), " = ", n(t.dZ[j])));
    } else out.push(line("dZ", `dZ${sup(c)}${J} = ∂L/∂z${sup(c)}${J} = `, n(t.dZ[j])));
  }
  if (t.db) out.push(line("db", rec.source === "sample" ? `db${sup(c)}${J} = dZ${sup(c)}${J} (one sample) = ` : `db${sup(c)}${J} = Σᵣ dZ${sup(c)}ᵣ${sub(j + 1)} over the ${m} samples = `, n(t.db[j])));
  return out;
}

/** Lines of the weight W^l_{j i} (0-based j, i): its share of z, what flows back, its gradient. */
export function edgeLines(l, j, i, rec, ctx) {
  const t = rec.layers[l - 1];
  const w = t?.W?.[j]?.[i];
  if (w === undefined) return [];
  const J = sub(j + 1);
  const I = sub(i + 1);
  const JI = indexPair(j, i);
  const out = [line("w", "w = ", n(w, 6))];
  const aPrev = l === 1 ? rec.x : rec.layers[l - 2]?.A;
  if (aPrev) out.push(line("share", `its share of z${sup(l)}${J}: w·a${sup(l - 1)}${I} = `, n(w, 3), "·", n(aPrev[i], 3), " = ", n(w * aPrev[i])));
  if (!t.dZ) {
    if (t.dW) out.push(line("dW", `dW${sup(l)}${JI} = `, n(t.dW[j][i])));
    return out;
  }
  if (l > 1) out.push(line("back", `what flows back to a${sup(l - 1)}${I}: w·dZ${sup(l)}${J} = `, n(w, 3), "·", n(t.dZ[j], 3), " = ", n(w * t.dZ[j])));
  if (!aPrev) return out;
  if (rec.source === "sample" || !t.dZ_all || !t.A_prev_all) {
    out.push(line("grad", `∂L/∂w = dZ${sup(l)}${J}·a${sup(l - 1)}${I} = `, n(t.dZ[j], 3), "·", n(aPrev[i], 3), " = ", n(t.dZ[j] * aPrev[i])));
    return out;
  }
  out.push(line("share_grad", `sample r's share dZᵣ${J}·aᵣ${I} = `, n(t.dZ[j], 3), "·", n(aPrev[i], 3), " = ", n(t.dZ[j] * aPrev[i])));
  let sum = 0;
  for (let r = 0; r < t.dZ_all.length; r++) sum += t.dZ_all[r][j] * t.A_prev_all[r][i];
  const rows = rec.truncated ? ` (the ${t.dZ_all.length} rows sent)` : "";
  const l1 = ctx.config?.l1 > 0;
  const l2 = ctx.config?.l2 > 0;
  const lam1 = l1 ? ctx.config.l1 : 0;
  const lam2 = l2 ? ctx.config.l2 : 0;
  const reg = t.dW_reg?.[j]?.[i] ?? lam2 * w + lam1 * Math.sign(w);
  const total = t.dW?.[j]?.[i];
  if ((l1 || l2) && !rec.truncated) {
    const regText = [l2 ? "λ₂·w" : "", l1 ? "λ₁·sign(w)" : ""].filter(Boolean).join(" + ");
    out.push(line("grad", `dW${sup(l)}${JI} = Σᵣ dZᵣ${J}·aᵣ${I} + ${regText} = `, n(sum), " + ", n(reg), " = ", n(total)));
  } else if (rec.truncated) {
    out.push(line("grad_rows", `Σᵣ dZᵣ${J}·aᵣ${I}${rows} = `, n(sum)));
    if (typeof total === "number") out.push(line("dW", `dW${sup(l)}${JI} (all ${rec.m} samples${l1 || l2 ? ", with L1/L2" : ""}) = `, n(total)));
  } else out.push(line("grad", `∂L/∂w = Σᵣ dZᵣ${J}·aᵣ${I} = `, n(sum)));
  return out;
}

/** Lines of the bias b^l_j (0-based j). */
export function biasLines(l, j, rec) {
  const t = rec.layers[l - 1];
  const b = t?.b?.[j];
  if (b === undefined) return [];
  const J = sub(j + 1);
  const out = [line("b", "b = ", n(b, 6))];
  if (t.dZ) out.push(line("dz", `this sample's ∂L/∂b = dZ${sup(l)}${J}·1 = `, n(t.dZ[j])));
  if (t.db && rec.source !== "sample") out.push(line("db", `db${sup(l)}${J} = Σᵣ dZᵣ${J} over the ${rec.m} samples = `, n(t.db[j])));
  return out;
}
