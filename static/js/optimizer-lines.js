// The optimizer's update of one weight (or bias), written out with its real numbers: the lines
// the inspector shows under "update". Pure functions, no DOM.
//
// The rules are torch.optim's (app/engine/optimizers.py runs the same ones), with g the
// gradient the optimizer used (the dW entry, L1/L2 included), η the learning rate, μ the
// momentum, t the updates since the optimizer was (re)started:
//   sgd       Δw = −η·g
//   momentum  vₜ = μ·vₜ₋₁ + g (v₁ = g),  Δw = −η·vₜ
//   nesterov  vₜ as momentum,            Δw = −η·(g + μ·vₜ)
//   rmsprop   sₜ = α·sₜ₋₁ + (1−α)·g² (s₀ = 0),  Δw = −η·g/(√sₜ + ε)
//   adam      mₜ = β₁·mₜ₋₁ + (1−β₁)·g,  vₜ = β₂·vₜ₋₁ + (1−β₂)·g² (m₀ = v₀ = 0),
//             m̂ₜ = mₜ/(1−β₁ᵗ),  v̂ₜ = vₜ/(1−β₂ᵗ),  Δw = −η·m̂ₜ/(√v̂ₜ + ε)
// The state symbols carry the subscript t so that Adam's mₜ is never read as the batch size m;
// each is named beside torch's name for it (momentum_buffer, square_avg, exp_avg, exp_avg_sq).

import { formatNumber, formatTerm, superscript, subscript, weightSymbol } from "./format.js";

/** Significant digits of the numbers in the lines: state values and Δ, and w before/after. */
export const TERM_DIGITS = 4;
export const WEIGHT_DIGITS = 6;

/** The state slots of each optimizer, by torch's names (as the `opt` field of the protocol). */
export const SLOTS = {
  sgd: [],
  momentum: ["momentum_buffer"],
  nesterov: ["momentum_buffer"],
  rmsprop: ["square_avg"],
  adam: ["exp_avg", "exp_avg_sq"],
};

const NAMES = { sgd: "SGD", momentum: "momentum", nesterov: "Nesterov", rmsprop: "RMSprop", adam: "Adam" };

/** A shown number: its text and how many significant digits it keeps (null = exact). */
function shown(text, digits) {
  return { text, digits };
}

/** A value inside a formula: negatives in parentheses with a real minus (formatTerm). */
function term(value, digits = TERM_DIGITS) {
  return shown(formatTerm(value, digits), digits);
}

/** A value a line ends with: a real minus, no parentheses. */
function result(value, digits = TERM_DIGITS) {
  const text = typeof value === "number" && value < 0 ? `−${formatNumber(-value, digits)}` : formatNumber(value, digits);
  return shown(text, digits);
}

/** A hyperparameter, written exactly when a short form exists (0.9, 1e-8), else to 6 digits. */
function constant(value) {
  for (let d = 1; d <= 6; d++) {
    const text = formatNumber(value, d);
    if (Number(text) === value) return shown(text, null);
  }
  return shown(formatNumber(value, 6), 6);
}

/** `x²` of a shown number, with parentheses when it is written with an exponent. */
function squared(s) {
  return s.text.includes("e") && !s.text.startsWith("(") ? `(${s.text})²` : `${s.text}²`;
}

/**
 * One line: `lhs = formula = numbers = result`. `terms` are the numbers shown, by symbol, in
 * order; `value` the line's full-precision result (what `result` shows rounded).
 */
function line(key, lhs, formula, numbers, terms, value, res) {
  const parts = [lhs];
  if (formula) parts.push(formula);
  if (numbers) parts.push(numbers);
  parts.push(res.text);
  return { key, text: parts.join(" = "), value, terms, result: res };
}

/** A line that states a fact and computes nothing. */
function note(key, text) {
  return { key, text, value: null, terms: [], result: null };
}

/**
 * The inspector's lines for the update of one parameter entry.
 *
 * @param {object} p
 * @param {"sgd"|"momentum"|"nesterov"|"rmsprop"|"adam"} p.optimizer
 * @param {"W"|"b"} [p.param] a weight (default) or a bias
 * @param {string} [p.label] the entry's name, e.g. "W¹₂,₁"; g is then written dW¹₂,₁ (else dW / db)
 * @param {number} p.g the gradient the optimizer used (dW entry, L1/L2 included)
 * @param {number} [p.reg] the L1/L2 part of g (dW_reg entry), shown when given and not 0
 * @param {object|null} [p.prev] the state before, by torch's names; null = none yet (t = 1:
 *   zeros, momentum starts at g); undefined = not known (the formula is shown without numbers)
 * @param {object|null} [p.next] the state after, by torch's names (the `opt` streamed with
 *   the step); missing values are computed from prev and g
 * @param {{eta: number, mu?: number, beta1?: number, beta2?: number, eps?: number, alpha?: number, t: number}} p.hyper
 *   η, μ (momentum, nesterov), β₁, β₂ (adam), α (rmsprop), ε (rmsprop, adam) and t (optimizer_t)
 * @param {number} p.w the entry before the update
 * @param {number} p.wNext the entry after the update (W_next)
 * @returns {{key: string, text: string, value: number|null, terms: {symbol: string, text: string, digits: number|null}[], result: {text: string, digits: number|null}|null}[]}
 */
export function optimizerLines(p) {
  const { optimizer, g, w, wNext } = p;
  const param = p.param === "b" ? "b" : "W";
  const x = param === "b" ? "b" : "w";
  const G = param === "b" ? "db" : "dW";
  const { eta, mu, beta1, beta2, eps, alpha, t } = p.hyper;
  const first = t === 1;
  const prev = first ? null : p.prev;
  const known = first || prev !== undefined;
  const before = (slot) => (prev ? prev[slot] : 0);
  const next = p.next ?? {};
  const out = [];
  const lines = (...ls) => out.push(...ls);
  const name = NAMES[optimizer] ?? optimizer;

  const symbols = {
    sgd: "SGD keeps no state",
    momentum: "vₜ is torch's momentum_buffer (the velocity)",
    nesterov: "vₜ is torch's momentum_buffer (the velocity)",
    rmsprop: "sₜ is torch's square_avg (running mean of g²)",
    adam: "mₜ, vₜ are torch's exp_avg, exp_avg_sq (running means of g and g²; mₜ is not the batch size m)",
  }[optimizer];
  lines({ ...note("t", `t = ${t}: updates since ${name} (re)started; ${symbols}`), value: t });

  const grad = p.label ? `d${p.label}` : G;
  const gs = term(g);
  if (p.reg) {
    const ds = term(g - p.reg);
    const rs = term(p.reg);
    lines(line("g", "g", `${grad} = data gradient + regularization`, `${ds.text} + ${rs.text}`, [{ symbol: "data", ...ds }, { symbol: "reg", ...rs }], g, result(g)));
  } else {
    lines(line("g", "g", grad, "", [], g, result(g)));
  }

  const E = constant(eta);
  let delta;
  if (optimizer === "momentum" || optimizer === "nesterov") {
    const M = constant(mu);
    const v = next.momentum_buffer ?? (first ? g : mu * before("momentum_buffer") + g);
    if (first) {
      const l1 = line("momentum_buffer", "vₜ", "g", "", [{ symbol: "g", ...result(g) }], v, result(v));
      lines({ ...l1, text: `${l1.text} (at t = 1 torch starts the buffer at g)` });
    } else if (known) {
      const vp = term(before("momentum_buffer"));
      lines(line("momentum_buffer", "vₜ", "μ·vₜ₋₁ + g", `${M.text}·${vp.text} + ${gs.text}`, [{ symbol: "μ", ...M }, { symbol: "vₜ₋₁", ...vp }, { symbol: "g", ...gs }], v, result(v)));
    } else {
      lines(line("momentum_buffer", "vₜ", "μ·vₜ₋₁ + g", "", [], v, result(v)));
    }
    const vs = term(v);
    if (optimizer === "momentum") {
      delta = -eta * v;
      lines(line("delta", `Δ${x}`, "−η·vₜ", `−${E.text}·${vs.text}`, [{ symbol: "η", ...E }, { symbol: "vₜ", ...vs }], delta, result(delta)));
    } else {
      delta = -eta * (g + mu * v);
      lines(line("delta", `Δ${x}`, "−η·(g + μ·vₜ)", `−${E.text}·(${gs.text} + ${M.text}·${vs.text})`, [{ symbol: "η", ...E }, { symbol: "g", ...gs }, { symbol: "μ", ...M }, { symbol: "vₜ", ...vs }], delta, result(delta)));
    }
  } else if (optimizer === "rmsprop") {
    const A = constant(alpha);
    const A1 = constant(1 - alpha);
    const EPS = constant(eps);
    const s = next.square_avg ?? alpha * before("square_avg") + (1 - alpha) * g * g;
    if (known) {
      const sp = term(before("square_avg"));
      lines(line("square_avg", "sₜ", "α·sₜ₋₁ + (1−α)·g²", `${A.text}·${sp.text} + ${A1.text}·${squared(gs)}`, [{ symbol: "α", ...A }, { symbol: "sₜ₋₁", ...sp }, { symbol: "1−α", ...A1 }, { symbol: "g", ...gs }], s, result(s)));
    } else {
      lines(line("square_avg", "sₜ", "α·sₜ₋₁ + (1−α)·g²", "", [], s, result(s)));
    }
    const ss = term(s);
    delta = (-eta * g) / (Math.sqrt(s) + eps);
    lines(line("delta", `Δ${x}`, "−η·g/(√sₜ + ε)", `−${E.text}·${gs.text}/(√${ss.text} + ${EPS.text})`, [{ symbol: "η", ...E }, { symbol: "g", ...gs }, { symbol: "sₜ", ...ss }, { symbol: "ε", ...EPS }], delta, result(delta)));
  } else if (optimizer === "adam") {
    const B1 = constant(beta1);
    const B2 = constant(beta2);
    const C1 = constant(1 - beta1);
    const C2 = constant(1 - beta2);
    const EPS = constant(eps);
    const m = next.exp_avg ?? beta1 * before("exp_avg") + (1 - beta1) * g;
    const v = next.exp_avg_sq ?? beta2 * before("exp_avg_sq") + (1 - beta2) * g * g;
    if (known) {
      const mp = term(before("exp_avg"));
      const vp = term(before("exp_avg_sq"));
      lines(
        line("exp_avg", "mₜ", "β₁·mₜ₋₁ + (1−β₁)·g", `${B1.text}·${mp.text} + ${C1.text}·${gs.text}`, [{ symbol: "β₁", ...B1 }, { symbol: "mₜ₋₁", ...mp }, { symbol: "1−β₁", ...C1 }, { symbol: "g", ...gs }], m, result(m)),
        line("exp_avg_sq", "vₜ", "β₂·vₜ₋₁ + (1−β₂)·g²", `${B2.text}·${vp.text} + ${C2.text}·${squared(gs)}`, [{ symbol: "β₂", ...B2 }, { symbol: "vₜ₋₁", ...vp }, { symbol: "1−β₂", ...C2 }, { symbol: "g", ...gs }], v, result(v)),
      );
    } else {
      lines(line("exp_avg", "mₜ", "β₁·mₜ₋₁ + (1−β₁)·g", "", [], m, result(m)), line("exp_avg_sq", "vₜ", "β₂·vₜ₋₁ + (1−β₂)·g²", "", [], v, result(v)));
    }
    const ms = term(m);
    const vs = term(v);
    const sup = superscript(t);
    const mHat = m / (1 - beta1 ** t);
    const vHat = v / (1 - beta2 ** t);
    lines(
      line("m_hat", "m̂ₜ", "mₜ/(1−β₁ᵗ)", `${ms.text}/(1−${B1.text}${sup})`, [{ symbol: "mₜ", ...ms }, { symbol: "β₁", ...B1 }], mHat, result(mHat)),
      line("v_hat", "v̂ₜ", "vₜ/(1−β₂ᵗ)", `${vs.text}/(1−${B2.text}${sup})`, [{ symbol: "vₜ", ...vs }, { symbol: "β₂", ...B2 }], vHat, result(vHat)),
    );
    const mh = term(mHat);
    const vh = term(vHat);
    delta = (-eta * mHat) / (Math.sqrt(vHat) + eps);
    lines(line("delta", `Δ${x}`, "−η·m̂ₜ/(√v̂ₜ + ε)", `−${E.text}·${mh.text}/(√${vh.text} + ${EPS.text})`, [{ symbol: "η", ...E }, { symbol: "m̂ₜ", ...mh }, { symbol: "v̂ₜ", ...vh }, { symbol: "ε", ...EPS }], delta, result(delta)));
  } else {
    delta = -eta * g;
    lines(line("delta", `Δ${x}`, "−η·g", `−${E.text}·${gs.text}`, [{ symbol: "η", ...E }, { symbol: "g", ...gs }], delta, result(delta)));
  }

  const ws = term(w, WEIGHT_DIGITS);
  const ds = term(delta);
  lines(line("next", `${x} ← ${x} + Δ${x}`, "", `${ws.text} + ${ds.text}`, [{ symbol: x, ...ws }, { symbol: `Δ${x}`, ...ds }], wNext, result(wNext, WEIGHT_DIGITS)));
  if (param === "W") lines(note("bias", `Each bias follows the same rule with g = db (L1/L2 never apply to biases).`));
  return out;
}

/**
 * The inputs of `optimizerLines` for one entry, read from the protocol's messages.
 *
 * @param {object} a
 * @param {object} a.iteration the step's `iteration` message (layers[l].W, dW, db, W_next, opt…)
 * @param {object|null} [a.before] the last `state` or `iteration` message of the step before
 *   (its `optimizer_t` and layers[l].opt are the state before this step); null if none
 * @param {object} a.config the live config (`momentum`)
 * @param {object} a.constants {rmsprop: {alpha, eps}, adam: {beta1, beta2, eps}}
 * @param {number} a.layer 1-based
 * @param {"W"|"b"} a.param
 * @param {number} a.row 0-based unit of the layer
 * @param {number} [a.col] 0-based input (weights only)
 */
export function entryInputs({ iteration, before, config, constants, layer, param, row, col }) {
  const rec = iteration.layers[layer - 1];
  const at = (m) => (param === "b" ? m?.[row] : m?.[row]?.[col]);
  const pick = (opt) => {
    const slots = opt?.[param];
    if (!slots) return null;
    return Object.fromEntries(Object.entries(slots).map(([k, m]) => [k, at(m)]));
  };
  const t = iteration.optimizer_t;
  // The state before is the one streamed with step − 1, if it belongs to this optimizer's run.
  let prev;
  if (t === 1) prev = null;
  else if (before && before.step === iteration.step - 1 && before.optimizer_t === t - 1 && (before.optimizer ?? before.config?.optimizer ?? iteration.optimizer) === iteration.optimizer) prev = pick(before.layers?.[layer - 1]?.opt);
  const reg = param === "W" ? at(rec.dW_reg) : undefined;
  return {
    optimizer: iteration.optimizer,
    param,
    label: param === "b" ? `b${superscript(layer)}${subscript(row + 1)}` : weightSymbol(layer, row, col),
    g: at(param === "b" ? rec.db : rec.dW),
    reg: reg || undefined,
    prev: prev ?? (t === 1 ? null : undefined),
    next: pick(rec.opt) ?? undefined,
    hyper: {
      eta: iteration.learning_rate,
      mu: config?.momentum,
      t,
      alpha: constants?.rmsprop?.alpha,
      eps: iteration.optimizer === "adam" ? constants?.adam?.eps : constants?.rmsprop?.eps,
      beta1: constants?.adam?.beta1,
      beta2: constants?.adam?.beta2,
    },
    w: at(param === "b" ? rec.b : rec.W),
    wNext: at(param === "b" ? rec.b_next : rec.W_next),
  };
}
