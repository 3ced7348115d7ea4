// Choosing a weight by keyboard: the diagram's weights are drawn on a canvas (no focusable
// element each), so when a neuron or one of its weights is chosen, this list offers the
// neuron's incoming weights; picking one opens it in the inspector.

import { h } from "./dom.js";
import { unitPhrase, weightSymbol } from "./format.js";

export class WeightPicker {
  /**
   * @param {HTMLSelectElement} el the list
   * @param {function} onPick (selection) → void: {type: "edge", layer, row, col}
   */
  constructor(el, onPick) {
    this.el = el;
    this.wrap = el.closest("label") ?? el;
    this.key = "";
    el.addEventListener("change", () => {
      const [layer, row, col] = el.value.split(",").map(Number);
      if (Number.isInteger(col)) onPick({ type: "edge", layer, row, col });
    });
    this.wrap.hidden = true;
  }

  /** Show the incoming weights of the chosen neuron (or of the chosen weight's target). */
  update(sel, sizes, L) {
    const layer = sel?.layer ?? 0;
    const unit = sel?.type === "edge" ? sel.row : sel?.type === "neuron" || sel?.type === "bias" ? sel.unit : null;
    if (unit === null || layer < 1 || !sizes) {
      this.wrap.hidden = true;
      this.key = "";
      return;
    }
    const key = `${layer},${unit},${sizes.join("-")}`;
    if (key !== this.key) {
      this.key = key;
      const n = sizes[layer - 1];
      const from = (i) => (layer === 1 ? `input ${i + 1}` : unitPhrase(layer - 1, i, L));
      this.el.replaceChildren(h("option", { value: "" }, `Weights into ${unitPhrase(layer, unit, L)}…`), ...Array.from({ length: n }, (_, i) => h("option", { value: `${layer},${unit},${i}` }, `${weightSymbol(layer, unit, i)} from ${from(i)}`)));
    }
    this.el.value = sel.type === "edge" ? `${layer},${unit},${sel.col}` : "";
    this.wrap.hidden = false;
  }
}
