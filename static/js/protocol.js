// Facts of the protocol (docs/protocol.md) the page computes with, each defined once: the order of
// the phases of one iteration and where each phase sits in it, the messages a spectator may send,
// and what the output layer is for each task.

/**
 * The phases of one iteration of L layers, in order: forward 1..L, loss, backward L..1, update.
 * Element i is the phase at index i (a `phase` message's `index`).
 */
export function phaseOrder(L) {
  const out = [];
  for (let l = 1; l <= L; l++) out.push({ phase: "forward", layer: l });
  out.push({ phase: "loss", layer: null });
  for (let l = L; l >= 1; l--) out.push({ phase: "backward", layer: l });
  out.push({ phase: "update", layer: null });
  return out;
}

/** How many phases one iteration of L layers has (2L + 2). */
export function phaseCount(L) {
  return 2 * L + 2;
}

/** Index of the forward phase of layer l (1..L). */
export function forwardIndex(l) {
  return l - 1;
}

/** Index of the loss phase. */
export function lossIndex(L) {
  return L;
}

/** Index of the backward phase of layer l (the output layer L comes first). */
export function backwardIndex(l, L) {
  return L + 1 + (L - l);
}

/** Index of the update phase (the last one). */
export function updateIndex(L) {
  return 2 * L + 1;
}

/** The index of the phase {phase, layer} among the phases of one iteration, or −1. */
export function phaseIndex(phase, layer, L) {
  if (phase === "forward") return forwardIndex(layer);
  if (phase === "loss") return lossIndex(L);
  if (phase === "backward") return backwardIndex(layer, L);
  if (phase === "update") return updateIndex(L);
  return -1;
}

/** The phase {phase, layer} at a 0-based index of one iteration of L layers. */
export function phaseAt(index, L) {
  return phaseOrder(L)[Math.max(0, Math.min(index, updateIndex(L)))];
}

/** The messages a spectator (role "watch") may send; the server answers anything else `read_only`. */
export const WATCHER_MESSAGES = ["ack", "ping", "sync"];

/**
 * The output layer of each task: softmax + cross-entropy over classes, or the identity + mean
 * squared error over targets. `classes` says whether outputs are class probabilities.
 */
export const OUTPUT_HEADS = {
  classification: { classes: true, activation: "softmax" },
  regression: { classes: false, activation: "identity" },
};

/** The output head of a task name (a `data` message's `task`); classification when unknown. */
export function outputHead(task) {
  return OUTPUT_HEADS[task] ?? OUTPUT_HEADS.classification;
}

/** True when a task's outputs are class probabilities. */
export function isClassification(task) {
  return outputHead(task).classes;
}
