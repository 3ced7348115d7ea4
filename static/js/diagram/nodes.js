// The diagram's SVG nodes: one group per neuron (body, selection ring, value, label), a bias tab
// under each non-input neuron, and each column's title. `buildNodes` creates them for a network
// shape, `placeNodes` positions them for a layout (attributes written only when they change).

import { attr, s, text } from "../dom.js";
import { featureLabel, subscript, superscript } from "../format.js";
import { isClassification } from "../protocol.js";
import { activationLabel } from "../captions.js";

/** Short names of activations in column subtitles (others: the captions' name, "ReLU"). */
const SHORT_ACTIVATION = { leaky_relu: "leaky ReLU" };

/** The label of output unit j: its class name, or ŷ (ŷ₁, ŷ₂, … for several targets). */
export function outputName(net, j) {
  const k = net.sizes[net.sizes.length - 1];
  if (isClassification(net.task)) return net.classNames[j] ?? `class ${j}`;
  return k > 1 ? `ŷ${subscript(j + 1)}` : "ŷ";
}

/** The label of input unit i: its feature's name. */
export function inputName(net, i) {
  return featureLabel(net.features?.[i] ?? `x${i + 1}`);
}

/**
 * Create the nodes of network `net` in `svg`.
 * @returns {{neurons: Array, biases: Array, titles: Array, lossText: SVGElement}}
 */
export function buildNodes(svg, net) {
  const { sizes } = net;
  svg.replaceChildren();
  const neurons = [];
  const biases = [];
  const titles = [];
  const gTitles = s("g", { class: "titles" });
  svg.append(gTitles);
  const L = sizes.length - 1;
  const lossText = s("text", { class: "loss-badge", "text-anchor": "end" });
  gTitles.append(lossText);
  for (let c = 0; c <= L; c++) {
    const title = s("text", { class: "col-title", "text-anchor": "middle" });
    const sub = s("text", { class: "col-sub", "text-anchor": "middle" });
    gTitles.append(title, sub);
    titles.push({ title, sub });
    const col = [];
    const biasCol = [];
    const image = c === 0 && net.image;
    for (let j = 0; j < sizes[c]; j++) {
      if (image) {
        col.push(null);
        continue;
      }
      const g = s("g", { class: "neuron", tabindex: c === 0 || sizes[c] <= 16 || j === 0 ? "0" : "-1", role: "button", "data-layer": c, "data-unit": j });
      g.style.pointerEvents = "all";
      const ring = s("circle", { class: "ring", r: 0, fill: "none" });
      const body = s("circle", { class: "body", r: 8 });
      // The value's backing: a rect in the panel's colour under it (fitted by fitBackings), so
      // that the edges, on their canvas below, stop at the value's box instead of crossing it.
      const bg = s("rect", { class: "val-bg", rx: 2, display: "none" });
      const val = s("text", { class: "val", "text-anchor": "start" });
      const lab = s("text", { class: c === 0 ? "feat" : "cls", "text-anchor": c === 0 ? "end" : "start", dy: "0.35em" });
      g.append(ring, body, bg, val, lab);
      svg.append(g);
      col.push({ g, ring, body, bg, val, lab });
      if (c > 0) {
        const b = s("rect", { class: "bias", width: 6, height: 6, rx: 1, role: "button", tabindex: "-1", "data-layer": c, "data-unit": j });
        b.style.pointerEvents = "all";
        svg.append(b);
        biasCol.push(b);
      }
    }
    neurons.push(col);
    biases.push(biasCol);
  }
  neurons[L].forEach((n, j) => n && text(n.lab, outputName(net, j)));
  if (!net.image) neurons[0].forEach((n, i) => text(n.lab, inputName(net, i)));
  return { neurons, biases, titles, lossText };
}

/** The subtitle of column c: what its values are, as long as the gap between columns allows. */
function columnSubtitle(net, c, gap, image) {
  const L = net.sizes.length - 1;
  const wide = gap >= 95;
  const mid = gap >= 70;
  if (c === 0) return image ? "8×8 image" : mid ? "A⁰ = X" : "";
  if (c === L) {
    if (!isClassification(net.task)) return `ŷ = A${superscript(c)}`;
    return wide ? `softmax · A${superscript(c)}` : mid ? "softmax" : "";
  }
  const act = SHORT_ACTIVATION[net.activation] ?? activationLabel(net.activation);
  if (wide) return `${net.sizes[c]} · ${act} · A${superscript(c)}`;
  return mid ? `${net.sizes[c]} · ${act}` : String(net.sizes[c]);
}

/** Padding (px) of a value's backing around the text's box: the edges stop short of the digits. */
const BACKING_PAD = 1.5;

/**
 * Fit each value's backing to its text (the box of what is drawn now): read every box first,
 * then write, so that one layout serves them all. Only values whose text or place changed.
 */
export function fitBackings(nodes) {
  const changed = [];
  for (const col of nodes.neurons) {
    for (const n of col) {
      if (!n?.bg) continue;
      const a = n.val.__attrs ?? {};
      const key = `${n.val.textContent}|${a.x}|${a.y}|${a.dy}|${a.display}|${a["font-size"]}`;
      if (n.bgKey !== key) changed.push([n, key]);
    }
  }
  const boxes = changed.map(([n]) => (n.val.textContent.trim() && n.val.__attrs?.display !== "none" ? n.val.getBBox() : null));
  changed.forEach(([n, key], k) => {
    n.bgKey = key;
    const b = boxes[k];
    attr(n.bg, "display", b && b.width > 0 ? null : "none");
    if (!b || !(b.width > 0)) return;
    attr(n.bg, "x", (b.x - BACKING_PAD).toFixed(1));
    attr(n.bg, "y", (b.y - BACKING_PAD / 2).toFixed(1));
    attr(n.bg, "width", (b.width + 2 * BACKING_PAD).toFixed(1));
    attr(n.bg, "height", (b.height + BACKING_PAD).toFixed(1));
  });
}

/** Position every node of `nodes` (buildNodes) for layout `geom`. */
export function placeNodes(nodes, geom, net) {
  const { columns, image } = geom;
  const L = net.sizes.length - 1;
  const gap = columns.length > 1 ? columns[1].x - columns[0].x : 200;
  columns.forEach((col, c) => {
    // Values beside neurons need room; when columns are close they live in the tooltip.
    const showText = col.spacing >= 15 && gap >= 78;
    nodes.neurons[c].forEach((n, j) => {
      if (!n) return;
      const x = col.xs ? col.xs[j] : col.x;
      const y = col.ys[j];
      attr(n.g, "transform", `translate(${x.toFixed(1)},${y.toFixed(1)})`);
      attr(n.body, "r", col.r.toFixed(1));
      attr(n.ring, "r", (col.r + 4).toFixed(1));
      // Values sit just above the point where the edges leave the neuron (right, centre), so
      // the edges never run through them; the output's right side has no edges.
      // At the output the value starts outside the target ring (radius r + 4, stroke 2.5).
      attr(n.val, "x", (c === L ? col.r + 8 : col.r + 3).toFixed(1));
      // (Dense columns have no room above: there the value stays centred, on its halo.)
      const lift = c < L && col.spacing >= 26;
      attr(n.val, "y", lift ? (-Math.max(3, Math.min(5, col.r * 0.35))).toFixed(1) : null);
      attr(n.val, "dy", lift ? null : "0.35em");
      attr(n.val, "display", showText || c === L ? null : "none");
      attr(n.val, "font-size", col.spacing < 20 ? "9.5" : null);
      if (c === 0) attr(n.lab, "x", (-col.r - 5).toFixed(1));
      else attr(n.lab, "x", (col.r + 63).toFixed(1));
      attr(n.lab, "display", c === 0 || c === L ? (col.spacing >= 11 ? null : "none") : "none");
      const b = nodes.biases[c]?.[j];
      if (b) {
        const bs = Math.max(3, Math.min(7, col.r * 0.55));
        attr(b, "width", bs.toFixed(1));
        attr(b, "height", bs.toFixed(1));
        // A tab on the bottom of the neuron: clear of the edges (they meet the neuron at
        // its left and right), of the value label (upper right) and of the thumbnail above.
        attr(b, "x", (x - bs / 2).toFixed(1));
        attr(b, "y", (y + col.r - bs * 0.55).toFixed(1));
      }
    });
    const t = nodes.titles[c];
    const tx = c === 0 && image ? image.x + image.size / 2 : col.x;
    attr(t.title, "x", tx.toFixed(1));
    attr(t.title, "y", (geom.height - 12).toFixed(1));
    attr(t.sub, "x", tx.toFixed(1));
    attr(t.sub, "y", (geom.height - 1).toFixed(1));
    text(t.title, c === 0 ? "Input" : c === L ? "Output" : gap >= 70 ? `Layer ${c}` : `L${c}`);
    text(t.sub, columnSubtitle(net, c, gap, image));
  });
  const out = columns[L];
  attr(nodes.lossText, "x", (geom.width - 2).toFixed(1));
  attr(nodes.lossText, "y", (out.ys[out.ys.length - 1] + out.r + 22).toFixed(1));
}
