// The caption under the controls: which phase of backpropagation is on screen and its equations,
// in the engine's convention (one sample per row: Zˡ = Aˡ⁻¹·Wᵀ + bˡ, dWˡ = dZˡᵀ·Aˡ⁻¹), written
// for the task, the optimizer, the dropout and the L1/L2 regularisation in use. "dX" is ∂L/∂X
// (∂J/∂X when regularised: J = L + R). The help's "How to read this page" defines every symbol.

import { formatNumber, superscript as sup } from "./format.js";
import { isClassification } from "./protocol.js";

/** Activation names for learners, by the engine's keys (never shown raw). */
export const ACTIVATION_LABELS = {
  relu: "ReLU",
  leaky_relu: "leaky ReLU",
  tanh: "tanh",
  sigmoid: "σ",
  linear: "identity",
};

/** The learner's name of an activation key ("leaky_relu" → "leaky ReLU"). */
export function activationLabel(key) {
  return ACTIVATION_LABELS[key] ?? String(key ?? "").replace(/_/g, " ");
}

/** "tanh(Z²)" or "Z²" for the linear activation. */
export function applied(activation, arg) {
  return activation === "linear" ? arg : `${activationLabel(activation)}(${arg})`;
}

/** "tanh′(Z²)" or "1" for the linear activation. */
function slopeOf(activation, arg) {
  return activation === "linear" ? "1" : `${activationLabel(activation)}′(${arg})`;
}

/** The update rule of an optimizer (torch.optim semantics) for W; b follows the same rule with db. */
export function updateEquations(optimizer) {
  switch (optimizer) {
    case "momentum":
      return ["vₜ = μ·vₜ₋₁ + dW", "W ← W − η·vₜ"];
    case "nesterov":
      return ["vₜ = μ·vₜ₋₁ + dW", "W ← W − η·(dW + μ·vₜ)"];
    case "rmsprop":
      return ["sₜ = α·sₜ₋₁ + (1 − α)·dW⊙dW", "W ← W − η·dW/(√sₜ + ε)"];
    case "adam":
      return ["mₜ = β₁·mₜ₋₁ + (1 − β₁)·dW", "vₜ = β₂·vₜ₋₁ + (1 − β₂)·dW⊙dW", "m̂ₜ = mₜ/(1 − β₁ᵗ), v̂ₜ = vₜ/(1 − β₂ᵗ)", "W ← W − η·m̂ₜ/(√v̂ₜ + ε)"];
    default:
      return ["W ← W − η·dW", "b ← b − η·db"];
  }
}

/** What the update caption says under the equations, per optimizer; `t` = updates so far. */
function updateNote(optimizer, t) {
  const tNow = Number.isInteger(t) && t > 0 ? ` (t = ${t} here)` : "";
  switch (optimizer) {
    case "momentum":
      return "Momentum: each weight moves along its velocity vₜ, a running sum of its past gradients decayed by μ, scaled by the learning rate η. Each bias b follows the same rule with db.";
    case "nesterov":
      return "Nesterov momentum: the velocity vₜ is updated as with momentum, and the step looks ahead: it adds μ·vₜ to the current gradient. Each bias b follows the same rule with db.";
    case "rmsprop":
      return "RMSprop: sₜ is a running mean of the squared gradient (⊙: entry by entry); each weight's step is its gradient divided by √sₜ, so every weight moves at a similar pace. Each bias b follows the same rule with db.";
    case "adam":
      return `Adam: mₜ and vₜ are running means of the gradient and of its square (⊙: entry by entry); t counts the updates since the optimizer started${tNow}; m̂ₜ and v̂ₜ correct their start at 0. (mₜ is not the batch size m.) Each bias b follows the same rule with db.`;
    default:
      return "SGD: every weight and bias takes a step against its gradient, scaled by the learning rate η.";
  }
}

const OPTIMIZER_NAMES = {
  sgd: "SGD",
  momentum: "SGD with momentum",
  nesterov: "Nesterov momentum",
  rmsprop: "RMSprop",
  adam: "Adam",
};

export function optimizerName(name) {
  return OPTIMIZER_NAMES[name] ?? name;
}

/** `R = (λ₂/2)·Σ‖Wˡ‖² + λ₁·Σ|Wˡ|`, the terms in use only; "" when neither is on. */
export function regularizerFormula(l1, l2) {
  const terms = [];
  if (l2 > 0) terms.push("(λ₂/2)·Σₗ‖Wˡ‖²");
  if (l1 > 0) terms.push("λ₁·Σₗ|Wˡ|");
  return terms.length ? `R = ${terms.join(" + ")}` : "";
}

/** ` + λ₂Wˡ + λ₁·sign(Wˡ)`, the terms in use only. */
function regularizerGradient(l1, l2, l) {
  let s = "";
  if (l2 > 0) s += ` + λ₂W${sup(l)}`;
  if (l1 > 0) s += ` + λ₁·sign(W${sup(l)})`;
  return s;
}

/** "λ₂ = 0.01, λ₁ = 0.001" for the terms in use. */
function lambdas(l1, l2) {
  const out = [];
  if (l2 > 0) out.push(`λ₂ = ${formatNumber(l2, 3)}`);
  if (l1 > 0) out.push(`λ₁ = ${formatNumber(l1, 3)}`);
  return out.join(", ");
}

/**
 * The caption for one phase.
 * @param {object} p
 * @param {"forward"|"loss"|"backward"|"update"|"idle"|"playing"} p.phase
 * @param {number} [p.layer] layer index 1..L (forward, backward)
 * @param {number} p.L number of weight layers
 * @param {string} [p.activation] hidden activation (engine key)
 * @param {string} [p.task] classification | regression
 * @param {string} [p.optimizer]
 * @param {number} [p.dropout] dropout probability p of the hidden layers (0: off)
 * @param {number} [p.l1] λ₁
 * @param {number} [p.l2] λ₂
 * @param {number} [p.loss] the data loss L (loss phase)
 * @param {number} [p.regLoss] R (the loss phase's `reg_loss`)
 * @param {number} [p.t] the optimizer's update count t (Adam)
 * @returns {{title: string, equations: string[], note: string}}
 */
export function phaseCaption(p) {
  const L = p.L;
  const l = p.layer;
  const classification = isClassification(p.task);
  const l1 = p.l1 > 0 ? p.l1 : 0;
  const l2 = p.l2 > 0 ? p.l2 : 0;
  const regularized = l1 > 0 || l2 > 0;
  const dropout = p.dropout > 0 ? p.dropout : 0;
  switch (p.phase) {
    case "forward": {
      const eqs = [`Z${sup(l)} = A${sup(l - 1)}·W${sup(l)}ᵀ + b${sup(l)}`];
      let note =
        l === 1
          ? "The input A⁰ = X (one sample per row) flows into layer 1: each unit sums its weighted inputs, adds its bias and applies the activation."
          : `Layer ${l - 1}'s activations flow into layer ${l}.`;
      if (l === L && classification) eqs.push(`Ŷ = A${sup(l)} = softmax(Z${sup(l)})`, "ŷᵣⱼ = e^(zᵣⱼ)/Σₖ e^(zᵣₖ)");
      else if (l === L) eqs.push(`Ŷ = A${sup(l)} = Z${sup(l)}`);
      else if (dropout) {
        eqs.push(`A${sup(l)} = ${applied(p.activation, `Z${sup(l)}`)} ⊙ D${sup(l)}`, `D${sup(l)} = mask/(1 − p), p = ${formatNumber(dropout, 3)}`);
        note += ` Dropout: each unit is kept with probability 1 − p (mask 1) or dropped (mask 0); kept units are scaled by 1/(1 − p).`;
      } else eqs.push(`A${sup(l)} = ${applied(p.activation, `Z${sup(l)}`)}`);
      return { title: `Forward pass · layer ${l} of ${L}`, equations: eqs, note };
    }
    case "loss": {
      const eqs = [classification ? "L = −(1/m)·Σᵣ Σⱼ yᵣⱼ·log ŷᵣⱼ" : "L = (1/(m·k))·Σᵣ Σⱼ (ŷᵣⱼ − yᵣⱼ)²"];
      const known = typeof p.loss === "number";
      if (known) eqs[0] += ` = ${formatNumber(p.loss, 4)}`;
      let note = classification
        ? "The output probabilities are compared with the true labels (cross-entropy, averaged over the m samples of the batch)."
        : "The predictions are compared with the targets (mean squared error over the m samples and k outputs).";
      if (regularized) {
        const R = typeof p.regLoss === "number" ? p.regLoss : null;
        eqs.push(`${regularizerFormula(l1, l2)}${R === null ? "" : ` = ${formatNumber(R, 4)}`}`);
        eqs.push(known && R !== null ? `J = L + R = ${formatNumber(p.loss, 4)} + ${formatNumber(R, 4)} = ${formatNumber(p.loss + R, 4)}` : "J = L + R");
        note += ` The optimizer lowers J = L + R: R, the regularisation (${lambdas(l1, l2)}), keeps the weights small.`;
      }
      return { title: "Loss", equations: eqs, note };
    }
    case "backward": {
      const eqs = [];
      let note;
      if (l === L) {
        eqs.push(classification ? `dZ${sup(l)} = (Ŷ − Y)/m` : `dZ${sup(l)} = 2·(Ŷ − Y)/(m·k)`);
        note = classification
          ? "The backward pass starts at the output: dZᴸ is the slope of the loss with respect to each output's z, negative for the true class (raising its z lowers the loss), positive for the others."
          : "The backward pass starts at the output: dZᴸ is the slope of the loss with respect to each prediction, positive where it is too high, negative where it is too low.";
      } else {
        eqs.push(`dA${sup(l)} = dZ${sup(l + 1)}·W${sup(l + 1)}`);
        const D = dropout ? ` ⊙ D${sup(l)}` : "";
        eqs.push(`dZ${sup(l)} = dA${sup(l)}${D} ⊙ ${slopeOf(p.activation, `Z${sup(l)}`)}`);
        note = `The chain rule carries the gradient from layer ${l + 1} back to layer ${l}${dropout ? "; dropped units (mask 0) pass none back" : ""}.`;
      }
      eqs.push(`dW${sup(l)} = dZ${sup(l)}ᵀ·A${sup(l - 1)}${regularizerGradient(l1, l2, l)}`);
      eqs.push(`db${sup(l)} = Σᵣ dZ${sup(l)}ᵣ (sum of the rows)`);
      if (regularized) note += ` dW includes the regularisation's slope ∂R/∂W${sup(l)}.`;
      return { title: `Backward pass · layer ${l} of ${L}`, equations: eqs, note };
    }
    case "update":
      return {
        title: `Update · ${optimizerName(p.optimizer ?? "sgd")}`,
        equations: updateEquations(p.optimizer),
        note: updateNote(p.optimizer ?? "sgd", p.t),
      };
    case "playing":
      return {
        title: "Training",
        equations: ["forward → loss → backward → update, again and again"],
        note: "Pause to inspect a moment; step back to rewind.",
      };
    default:
      return {
        title: "Ready",
        equations: [`Z${sup(1)} = A${sup(0)}·W${sup(1)}ᵀ + b${sup(1)} comes next`],
        note: "Press Step forward to run the next phase, or Play to train.",
      };
  }
}
