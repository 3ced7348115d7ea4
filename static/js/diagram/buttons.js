// The diagram's +/− buttons: add or remove a hidden layer (in the network controls bar) and a
// neuron of each hidden layer (above its column). Each calls onHidden(new hidden widths).

import { h } from "../dom.js";

/**
 * Build the buttons for network `net` (when it is editable). `bar` receives the layer buttons,
 * `layer` the per-column neuron buttons. Returns the per-column elements (to be placed).
 */
export function buildButtons(net, bar, layer, onHidden) {
  if (!net.editable) return [];
  const hidden = net.sizes.slice(1, -1);
  const netBtns = h(
    "div",
    { class: "net-btns", "data-hide": "layers network" },
    h("button", { type: "button", "aria-label": "Remove a hidden layer", title: "Remove the last hidden layer", disabled: hidden.length === 0, onclick: () => onHidden(hidden.slice(0, -1)) }, "−"),
    h("span", {}, h("span", { class: "n" }, String(hidden.length)), hidden.length === 1 ? " hidden layer" : " hidden layers"),
    h("button", {
      type: "button",
      "aria-label": "Add a hidden layer",
      title: "Add a hidden layer before the output",
      disabled: hidden.length >= (net.maxLayers ?? 8),
      onclick: () => onHidden([...hidden, hidden.length ? hidden[hidden.length - 1] : 4]),
    }, "+"),
  );
  bar.replaceChildren(netBtns);
  const resize = (k, by) => onHidden(hidden.map((v, i) => (i === k ? v + by : v)));
  return hidden.map((n, k) => {
    const l = k + 1;
    const div = h(
      "div",
      { class: "layer-btns", "data-hide": "layers network" },
      h("button", { type: "button", "aria-label": `Remove a neuron from layer ${l}`, title: `Remove a neuron from layer ${l}`, disabled: n <= 1, onclick: () => resize(k, -1) }, "−"),
      h("button", { type: "button", "aria-label": `Add a neuron to layer ${l}`, title: `Add a neuron to layer ${l}`, disabled: n >= (net.maxWidth ?? 64), onclick: () => resize(k, +1) }, "+"),
    );
    layer.append(div);
    return div;
  });
}

/** Put each column's neuron buttons above it. */
export function placeButtons(buttons, geom) {
  buttons.forEach((div, k) => {
    Object.assign(div.style, { left: `${geom.columns[k + 1].x}px`, top: "4px" });
  });
}
