// "Predict, then see": when the page asks an experiment's question, and the feedback once the
// server has answered it from the real step (the `answer` of an `experiment` message,
// docs/protocol.md). No DOM: unit-tested under node.

import { backwardIndex, forwardIndex, lossIndex, updateIndex } from "../protocol.js";
import { formatNumber, formatSigned } from "../format.js";

/** Index of the phase a `before` names, in an iteration of L layers (null for "iteration"). */
export function phaseIndexOf(before, L) {
  switch (before) {
    case "forward":
      return forwardIndex(1);
    case "loss":
      return lossIndex(L);
    case "backward":
      return backwardIndex(L, L);
    case "update":
      return updateIndex(L);
    default:
      return null;
  }
}

/**
 * Should the question be asked now? At the moment shown (`step`, `revealed` phases of the
 * iteration under way, `L` layers): before the named phase is revealed, or before the next
 * iteration; a loss-change question needs a previous step to compare with.
 */
export function shouldAsk(predict, { step, revealed, L }) {
  const index = phaseIndexOf(predict.before, L);
  if (index !== null) return revealed === index;
  if (revealed !== 0) return false;
  return predict.answer_from.kind !== "loss_change_sign" || step >= 1;
}

/** The step the server's answer will be for: the iteration under way, or the next one. */
export function answerStep(step) {
  return step + 1;
}

const signed = (x) => formatSigned(x, 3);

/** What the real step's numbers say, as one sentence. */
export function explainAnswer(kind, value, numbers) {
  if (kind === "weight_delta_sign") {
    const { dw, delta, w, w_next: next, learning_rate: lr, optimizer } = numbers;
    const rule = optimizer === "sgd" ? `−η·dw = −${formatNumber(lr)}·(${signed(dw)}) = ${signed(delta)}` : `Δw = ${signed(delta)} (${optimizer})`;
    return `dw = ${signed(dw)}, so w moves by ${rule}: from ${formatNumber(w)} to ${formatNumber(next)}.`;
  }
  if (kind === "loss_change_sign") {
    return `The batch loss went ${value}: ${formatNumber(numbers.loss_before, 4)} → ${formatNumber(numbers.loss, 4)}.`;
  }
  const sizes = numbers.sizes ?? [];
  const name = numbers.measure === "dZ_rms" ? "RMS(dZ)" : "‖dW‖";
  const list = sizes.map((v, i) => `${i + 1}: ${formatNumber(v, 2)}`).join(", ");
  return `Layer ${value} has the largest ${name} (${list}).`;
}

/** Feedback for `choice` against the server's `answer`: {right, verdict, text}. */
export function feedback(predict, choice, answer) {
  const right = String(choice) === String(answer.value);
  const verdict = right ? "Right" : "Not quite";
  const said = predict.answer_from.kind === "largest_grad_layer" ? `layer ${answer.value}` : answer.value;
  return { right, verdict, text: `${verdict}: ${said}. ${explainAnswer(predict.answer_from.kind, answer.value, answer.numbers)}` };
}
