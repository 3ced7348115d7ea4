// The caption under the controls: which phase of backpropagation is on screen and its equations in
// textbook notation with the layer index (Z² = W²·A¹ + b², dW² = dZ²·A¹ᵀ, W ← W − η·dW).

import { formatNumber, superscript as sup } from "./format.js";
import { isClassification } from "./protocol.js";

const ACTIVATION_NAMES = {
  relu: "ReLU",
  leaky_relu: "LeakyReLU",
  tanh: "tanh",
  sigmoid: "σ",
  linear: "",
};

/** "tanh(Z²)" or "Z²" for the linear activation. */
function applied(activation, arg) {
  const name = ACTIVATION_NAMES[activation] ?? activation;
  return name ? `${name}(${arg})` : arg;
}

/** The update rule of an optimizer (torch.optim semantics), one or more equations. */
export function updateEquations(optimizer) {
  switch (optimizer) {
    case "momentum":
      return ["v ← μ·v + dW", "W ← W − η·v"];
    case "nesterov":
      return ["v ← μ·v + dW", "W ← W − η·(dW + μ·v)"];
    case "rmsprop":
      return ["s ← α·s + (1 − α)·dW²", "W ← W − η·dW / (√s + ε)"];
    case "adam":
      return ["m ← β₁·m + (1 − β₁)·dW", "v ← β₂·v + (1 − β₂)·dW²", "W ← W − η·m̂ / (√v̂ + ε)"];
    default:
      return ["W ← W − η·dW", "b ← b − η·db"];
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

/**
 * The caption for one phase.
 * @param {object} p
 * @param {"forward"|"loss"|"backward"|"update"|"idle"|"playing"} p.phase
 * @param {number} [p.layer] layer index 1..L (forward, backward)
 * @param {number} p.L number of weight layers
 * @param {string} [p.activation] hidden activation
 * @param {string} [p.task] classification | regression
 * @param {string} [p.optimizer]
 * @param {boolean} [p.regularized] L1 or L2 is on
 * @param {number} [p.loss] the loss value (loss phase)
 * @returns {{title: string, equations: string[], note: string}}
 */
export function phaseCaption(p) {
  const L = p.L;
  const l = p.layer;
  const classification = isClassification(p.task);
  switch (p.phase) {
    case "forward": {
      const eqs = [`Z${sup(l)} = W${sup(l)}·A${sup(l - 1)} + b${sup(l)}`];
      if (l === L) eqs.push(classification ? `ŷ = A${sup(l)} = softmax(Z${sup(l)})` : `ŷ = A${sup(l)} = Z${sup(l)}`);
      else eqs.push(`A${sup(l)} = ${applied(p.activation, `Z${sup(l)}`)}`);
      const note =
        l === 1
          ? "The input A⁰ = x flows into layer 1: each unit sums its weighted inputs, adds its bias and applies the activation."
          : `Layer ${l - 1}'s activations flow into layer ${l}.`;
      return { title: `Forward pass · layer ${l} of ${L}`, equations: eqs, note };
    }
    case "loss": {
      const eq = classification ? "L = −(1/m)·Σ y·log ŷ" : "L = (1/m·k)·Σ (ŷ − y)²";
      const value = typeof p.loss === "number" ? ` = ${formatNumber(p.loss, 4)}` : "";
      const note = classification
        ? "The output probabilities are compared with the true labels (cross-entropy)."
        : "The predictions are compared with the targets (mean squared error).";
      return { title: "Loss", equations: [eq + value], note };
    }
    case "backward": {
      const eqs = [];
      if (l === L) {
        eqs.push(classification ? `dZ${sup(l)} = (ŷ − y)/m` : `dZ${sup(l)} = 2·(ŷ − y)/(m·k)`);
      } else {
        eqs.push(`dA${sup(l)} = W${sup(l + 1)}ᵀ·dZ${sup(l + 1)}`);
        const fp = ACTIVATION_NAMES[p.activation] ?? p.activation;
        eqs.push(fp ? `dZ${sup(l)} = dA${sup(l)} ⊙ ${fp}′(Z${sup(l)})` : `dZ${sup(l)} = dA${sup(l)}`);
      }
      eqs.push(`dW${sup(l)} = dZ${sup(l)}·A${sup(l - 1)}ᵀ${p.regularized ? ` + ∂R/∂W${sup(l)}` : ""}`);
      eqs.push(`db${sup(l)} = Σ dZ${sup(l)}`);
      const note =
        l === L
          ? "The error starts at the output: how much each output unit should change to lower the loss."
          : `The chain rule carries the error from layer ${l + 1} back to layer ${l}.`;
      return { title: `Backward pass · layer ${l} of ${L}`, equations: eqs, note };
    }
    case "update":
      return {
        title: `Update · ${optimizerName(p.optimizer ?? "sgd")}`,
        equations: updateEquations(p.optimizer),
        note: "Every weight takes a step against its gradient, scaled by the learning rate η.",
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
        equations: [`Z${sup(1)} = W${sup(1)}·A${sup(0)} + b${sup(1)} comes next`],
        note: "Press Step forward to run the next phase, or Play to train.",
      };
  }
}

