// "Loss along the last step": the loss at θₛ₋₁ + α·Δ, where Δ is the update that produced the
// current step s (docs/protocol.md, `loss_slice`). α = 0 is where the step started, α = 1 where
// the optimizer went. Drawn with uPlot: the batch's loss, the whole training set's, the tangent
// at 0 (batch loss + slope·α) and a mark at α = 1. A learning rate too large lands past the
// valley's bottom (the curve is lower somewhere between 0 and 1 than at 1).

import uPlot from "../vendor/uplot/uPlot.esm.js";
import { cssVar, h } from "./dom.js";
import { classColor } from "./colors.js";
import { formatNumber } from "./format.js";

/** What the page asks for: 41 points from α = −0.5 to 1.5 (the server adds 0 and 1 exactly). */
export const REQUEST = { type: "loss_slice", id: "loss_slice", points: 41, range: [-0.5, 1.5] };

/**
 * The plot's columns from a `loss_slice` message: α, batch loss, training-set loss and the
 * tangent at α = 0, cut to the range where the tangent stays within the curves' own span.
 */
export function sliceColumns(msg) {
  const a = msg.alphas;
  const i0 = a.indexOf(0);
  const base = i0 >= 0 ? msg.batch_loss[i0] : null;
  const values = [...msg.batch_loss, ...msg.train_loss].filter((v) => v !== null);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const pad = (hi - lo) * 0.15 || Math.abs(hi) * 0.1 || 1;
  const tangent = a.map((x) => {
    if (base === null || msg.slope === null) return null;
    const y = base + msg.slope * x;
    return y >= lo - pad && y <= hi + pad ? y : null;
  });
  return [a, msg.batch_loss, msg.train_loss, tangent];
}

/** One sentence on what the slice shows: overshoot, a small step, or a step that went downhill. */
export function sliceVerdict(msg) {
  const a = msg.alphas;
  const i1 = a.indexOf(1);
  const i0 = a.indexOf(0);
  if (i1 < 0 || i0 < 0) return "";
  const at1 = msg.batch_loss[i1];
  const at0 = msg.batch_loss[i0];
  if (at1 === null || at0 === null) return "The loss overflows along this step: the learning rate is far too large.";
  let best = at0;
  let bestA = 0;
  for (let i = i0; i <= i1; i++) {
    const v = msg.batch_loss[i];
    if (v !== null && v < best) [best, bestA] = [v, a[i]];
  }
  if (at1 > at0) return `The step went uphill on its own batch: loss ${formatNumber(at0, 4)} → ${formatNumber(at1, 4)}. The learning rate is too large.`;
  if (bestA < 1 && at1 - best > 1e-3 * Math.abs(at0 - best)) return `The step overshot: the batch loss was lowest near α = ${formatNumber(bestA, 2)} (${formatNumber(best, 4)}) and at α = 1 it is ${formatNumber(at1, 4)}.`;
  const beyond = msg.batch_loss.filter((v, i) => a[i] > 1 && v !== null);
  const went = `The step went downhill: batch loss ${formatNumber(at0, 4)} → ${formatNumber(at1, 4)}`;
  if (beyond.length && Math.min(...beyond) < at1) return `${went}; the curve keeps falling past α = 1: a larger step would have gone further.`;
  return `${went}, near the lowest point along this line.`;
}

export class LossSliceView {
  /**
   * @param {HTMLElement} root the panel (hidden until opened)
   * @param {HTMLButtonElement} button opens and closes it
   * @param {(msg: object) => void} send sends a client message
   */
  constructor(root, button, send) {
    Object.assign(this, { root, button, send });
    this.open = false;
    this.plot = null;
    this.msg = null;
    this.plotEl = h("div", { class: "slice-plot" });
    this.title = h("h3", {}, "Loss along the last step");
    this.note = h("p", { class: "hint slice-note" }, "");
    const close = h("button", { type: "button", class: "small", "aria-label": "Close the loss along the last step" }, "Close");
    close.addEventListener("click", () => this.toggle(false));
    root.replaceChildren(h("div", { class: "slice-head" }, this.title, close), this.plotEl, this.note);
    button.addEventListener("click", () => this.toggle(!this.open));
    new ResizeObserver(() => this.resize()).observe(root);
  }

  /** Open (asking the server for the slice of the current step) or close the panel. */
  toggle(open) {
    this.open = open;
    this.root.hidden = !open;
    this.button.setAttribute("aria-expanded", String(open));
    if (open) this.request();
  }

  request() {
    this.send(REQUEST);
  }

  /** After a step (stepping by hand): a fresh slice while the panel is open. */
  stepped(step, playing) {
    if (this.open && !playing && step > 0 && this.msg?.step !== step) this.request();
  }

  /** Follow the store's changes: a new slice, a new step, a refusal; the button's state. */
  react(changes, model, readOnly) {
    const can = !readOnly && !model.playing && model.step > 0;
    this.button.disabled = !can;
    this.button.title = readOnly ? "Only the learner can ask for it" : model.step < 1 ? "Take a step first" : model.playing ? "Pause first" : "The loss from the weights before the last step (α = 0) to after it (α = 1) and beyond";
    if (changes.has("loss_slice") && model.lossSlice) this.show(model.lossSlice);
    if ((changes.has("iteration") || changes.has("state")) && can) this.stepped(model.step, model.playing);
    if (changes.has("error") && model.lastError?.id === REQUEST.id) this.refused(model.lastError.message);
  }

  /** Step 0 or playing: the server refused; say why instead of a stale picture. */
  refused(text) {
    if (!this.open) return;
    this.note.textContent = text;
  }

  show(msg) {
    this.msg = msg;
    if (!this.open) return;
    const s = msg.step;
    this.title.textContent = `Loss along step ${s}`;
    this.note.textContent = `α = 0: the weights before step ${s}; α = 1: after it (where the optimizer went). Dashed: the tangent at α = 0 (slope ${formatNumber(msg.slope, 3)}). ${sliceVerdict(msg)}`;
    this.draw();
  }

  draw() {
    this.plot?.destroy();
    this.plot = null;
    this.plotEl.replaceChildren();
    if (!this.msg) return;
    const ink = cssVar("--ink") || "#222";
    const ink2 = cssVar("--ink-2") || "#555";
    const grid = cssVar("--line") || "#ddd";
    const axis = { stroke: ink2, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, font: "10px system-ui, sans-serif", labelFont: "11px system-ui, sans-serif" };
    const fmt = (_u, v) => (v === null || v === undefined ? "—" : formatNumber(v, 4));
    const mark = (u) => {
      const ctx = u.ctx;
      ctx.save();
      const px = devicePixelRatio;
      // α = 0 labelled left of its line on the first row, α = 1 right of its line on the second.
      for (const [alpha, dash, label, side, row] of [[0, [2, 3], " start (α = 0) ", "right", 1], [1, [], " step taken (α = 1) ", "left", 2]]) {
        const x = u.valToPos(alpha, "x", true);
        ctx.strokeStyle = alpha === 1 ? ink : ink2;
        ctx.lineWidth = (alpha === 1 ? 2 : 1) * px;
        ctx.setLineDash(dash.map((d) => d * px));
        ctx.beginPath();
        ctx.moveTo(x, u.bbox.top);
        ctx.lineTo(x, u.bbox.top + u.bbox.height);
        ctx.stroke();
        ctx.fillStyle = ctx.strokeStyle;
        ctx.font = `${11 * px}px system-ui, sans-serif`;
        // On its side of the line when it fits in the plot, else on the other side.
        const w = ctx.measureText(label).width;
        const right = u.bbox.left + u.bbox.width;
        ctx.textAlign = side === "left" ? (x + w > right ? "right" : "left") : x - w < u.bbox.left ? "left" : "right";
        ctx.fillText(label, x, u.bbox.top + 12 * px * row);
      }
      ctx.restore();
    };
    const opts = {
      width: Math.max(200, this.plotEl.clientWidth || this.root.clientWidth),
      height: 170,
      scales: { x: { time: false } },
      series: [
        { label: "α", value: fmt },
        { label: "batch loss", stroke: classColor(1), width: 2, value: fmt, spanGaps: false },
        { label: "training-set loss", stroke: classColor(0), width: 1.5, value: fmt, spanGaps: false },
        { label: "tangent at 0", stroke: ink2, width: 1, dash: [5, 4], value: fmt, points: { show: false } },
      ],
      axes: [
        { ...axis, label: "α (0 = before the step, 1 = after it)", size: 38 },
        { ...axis, size: 50, values: (_u, ticks) => ticks.map((t) => formatNumber(t, 3)) },
      ],
      hooks: { draw: [mark] },
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
    };
    this.plot = new uPlot(opts, sliceColumns(this.msg), this.plotEl);
  }

  resize() {
    if (!this.plot) return;
    const width = Math.max(200, this.plotEl.clientWidth);
    if (width !== this.plot.width) this.plot.setSize({ width, height: 170 });
  }

  setTheme() {
    if (this.open) this.draw();
  }
}
