// The page's small panels, drawn from the model: the phase caption with its equations, the colour
// legend, the displayed-sample navigation, the loss/accuracy figures, the banner and the tooltip.
// Each writes the DOM only when its text changed.

import { h } from "./dom.js";
import { divergingLut, legendGradient, niceExtent } from "./colors.js";
import { paintWeightVector } from "./paint.js";
import { classNames as namesOfClasses, formatNumber, formatPercent, superscript } from "./format.js";
import { phaseCaption } from "./captions.js";
import { isClassification, phaseOrder, updateIndex } from "./protocol.js";
import { pixelRange } from "./output/gallery.js";
import { metricsAt } from "./series.js";
import { isWatching } from "./store.js";

const $ = (id) => document.getElementById(id);

export function renderCaption(model, display, L) {
  let p;
  if (model.playing) p = { phase: "playing" };
  else if (display.shown && ["forward", "loss", "backward", "update"].includes(display.mode)) p = { phase: display.shown.phase, layer: display.shown.layer };
  else p = { phase: "idle" };
  const c = model.config;
  const optT = model.walk?.phases?.[updateIndex(L)]?.optimizer_t ?? null;
  const cap = phaseCaption({ ...p, L, activation: c.activation, task: model.data?.task, optimizer: c.optimizer, dropout: c.dropout, l1: c.l1, l2: c.l2, loss: display.loss, regLoss: display.regLoss, t: optT });
  let title = cap.title;
  let equations = cap.equations;
  let note = cap.note;
  if (p.phase === "idle") {
    const rec = model.records.get(model.step);
    const next = model.nextPhase;
    if (rec) {
      title = `Iteration done · step ${model.step}`;
      equations = [`L = ${formatNumber(rec.loss, 4)}`, `W ← W + ΔW for every layer`];
      note = `The weights changed by ΔW; the next Step forward starts iteration ${model.step + 1} with a new batch.`;
    } else if (next && model.revealed > 0) {
      title = `Paused before ${next.phase}${next.layer ? ` · layer ${next.layer}` : ""}`;
    } else {
      equations = [`Next: Z${superscript(1)} = A⁰·W${superscript(1)}ᵀ + b${superscript(1)}`];
      if (isWatching(model)) note = "The owner's Step forward runs the next phase; this page follows.";
    }
    if (display.source === "sample") note = `Following ${display.split} sample #${display.sampleIndex}: its own forward and backward pass with the current weights (loss ${formatNumber(display.loss, 3)}).`;
  }
  if (p.phase === "playing") {
    equations = [`${formatNumber(model.stepsPerSecond ?? 0, 3)} steps/s`, `batch loss ${formatNumber(model.lastLoss, 3)}`];
    if (isWatching(model)) note = "The owner is training; this page follows.";
  }
  const capEl = $("caption");
  capEl.dataset.phase = p.phase;
  // Announce phases when stepping; not the ever-changing numbers while playing.
  capEl.setAttribute("aria-live", p.phase === "playing" || model.walking ? "off" : "polite");
  const t = $("phase-title");
  if (t.textContent !== title) t.textContent = title;
  const eqText = equations.join(" | ");
  const eqEl = $("equations");
  if (eqEl.dataset.text !== eqText) {
    eqEl.dataset.text = eqText;
    eqEl.replaceChildren(...equations.map((e) => h("span", { class: "eq" }, e)));
  }
  const n = $("phase-note");
  if (n.textContent !== note) n.textContent = note;
  // Progress through the 2L+2 phases of the iteration.
  const steps = $("phase-steps");
  const order = phaseOrder(L);
  if (steps.childElementCount !== order.length) steps.replaceChildren(...order.map((o) => h("i", { title: `${o.phase}${o.layer ? ` ${o.layer}` : ""}` })));
  const idx = display.shown && !model.playing ? display.shown.index : -1;
  [...steps.children].forEach((el, i) => {
    el.className = i < idx ? "done" : i === idx ? "now" : "";
  });
  reserveCaptionRoom(capEl, { L, activation: c.activation, task: model.data?.task, optimizer: c.optimizer, dropout: c.dropout, l1: c.l1, l2: c.l2 });
}

/**
 * Keep the diagram still during a walk: the caption reserves the height of its tallest phase
 * for this network, optimizer, dropout, L1/L2, task and width. Measured once per such change
 * on an invisible copy (the walk's captions range from ~95 px to ~190 px at 1024 wide with Adam,
 * dropout and L1 + L2: no single fixed height fits them all without wasting room).
 */
function reserveCaptionRoom(capEl, p) {
  const width = capEl.clientWidth;
  const key = JSON.stringify({ ...p, width });
  if (!width || capEl.dataset.room === key) return;
  capEl.dataset.room = key;
  const probe = capEl.cloneNode(true);
  probe.removeAttribute("id");
  probe.removeAttribute("aria-live");
  probe.setAttribute("aria-hidden", "true");
  probe.querySelectorAll("[id]").forEach((el) => el.removeAttribute("id"));
  probe.style.cssText = `position:absolute;visibility:hidden;left:0;top:0;width:${width}px;min-height:0`;
  capEl.parentNode.append(probe);
  const [title, equations, note] = [probe.querySelector(".phase-title"), probe.querySelector(".equations"), probe.querySelector(".phase-note")];
  let tallest = 0;
  for (const o of phaseOrder(p.L)) {
    const cap = phaseCaption({ ...p, phase: o.phase, layer: o.layer, loss: 0.693147, regLoss: 0.0123456, t: 100 });
    title.textContent = cap.title;
    equations.replaceChildren(...cap.equations.map((e) => h("span", { class: "eq" }, e)));
    note.textContent = cap.note;
    tallest = Math.max(tallest, probe.offsetHeight);
  }
  probe.remove();
  capEl.style.minHeight = `${Math.ceil(tallest)}px`;
}

export function renderLegend(display, theme, edgeMax) {
  const el = $("legend");
  const kinds = new Set(display.values.map((v) => (v.values ? v.kind : null)).filter(Boolean));
  const what = kinds.has("dz") && kinds.has("a") ? "neurons: a of the shown sample, then dZ = ∂L/∂Z once the backward pass reaches them (scale per layer)" : kinds.has("dz") ? "neurons: dZ = ∂L/∂Z of the shown sample (scale per layer)" : "neurons: activation a of the shown sample";
  const glow = display.mode === "update" || display.mode === "done" ? "glow: |dW| of each weight (the update)" : "";
  const key = `${theme}|${what}|${glow}|${formatNumber(edgeMax, 2)}`;
  if (el.dataset.key === key) return;
  el.dataset.key = key;
  el.replaceChildren(
    h("span", { class: "scale" }, h("span", { class: "num" }, "−"), h("span", { class: "bar", style: `background:${legendGradient(theme)}` }), h("span", { class: "num" }, "+"), h("span", {}, what)),
    h(
      "span",
      { class: "edge-key" },
      h("i", { style: `height:2px;background:var(--neg)` }),
      "w < 0",
      h("i", { style: `height:2px;background:var(--pos)` }),
      "w > 0",
      h("i", { style: `height:5px;background:var(--ink-3)` }),
      `width ∝ |w| ≤ ${formatNumber(edgeMax, 2)}`,
    ),
    glow ? h("span", { class: "edge-key" }, h("i", { style: "height:5px;background:rgba(220,160,0,0.6)" }), glow) : "",
  );
}

/** The line under the diagram naming the sample shown; `readOnly` (a watch page): the owner
 * chooses the sample, so no "Stop following" and no invitation to click a data point. */
export function renderSampleNav(display, { follow, setRow, readOnly = false }) {
  const el = $("sample-nav");
  let parts;
  if (display.source === "sample") {
    parts = [h("span", {}, `Following ${display.split} sample #${display.sampleIndex}`)];
    if (!readOnly) parts.push(h("button", { type: "button", onclick: () => follow(null) }, "Stop following"));
  } else if ((display.source === "batch" || display.source === "record") && display.batchSize > 1) {
    parts = [
      h("span", { title: "The batch sample whose numbers the diagram shows" }, `Sample #${display.sampleIndex ?? "?"} (${display.row + 1}/${display.batchSize} of batch)`),
      h("button", { type: "button", "aria-label": "Previous sample in the batch", disabled: display.row <= 0, onclick: () => setRow(display.row - 1) }, "‹"),
      h("button", { type: "button", "aria-label": "Next sample in the batch", disabled: display.row >= display.batchSize - 1, onclick: () => setRow(display.row + 1) }, "›"),
    ];
  } else if (display.source === "page") {
    const title = readOnly ? "The session's owner chooses the sample to follow" : "Click a data point to choose another sample";
    parts = [h("span", { title }, `Showing training sample #${display.sampleIndex}`)];
  } else parts = [];
  const key = parts.map((p) => p.textContent).join("|") + display.row;
  if (el.dataset.key === key) return;
  el.dataset.key = key;
  el.replaceChildren(...parts);
}

export function renderStats(model) {
  const m = metricsAt(model.chart, model.metrics, model.step, model.metricsByStep);
  const el = $("stats");
  const classification = isClassification(model.data?.task);
  const items = [
    ["Train loss", formatNumber(m?.train_loss, 4)],
    ["Test loss", formatNumber(m?.test_loss, 4)],
  ];
  if (classification) items.push(["Train accuracy", formatPercent(m?.train_accuracy)], ["Test accuracy", formatPercent(m?.test_accuracy)]);
  const key = items.map((i) => i[1]).join("|");
  if (el.dataset.key === key) return;
  el.dataset.key = key;
  el.replaceChildren(...items.map(([k, v]) => h("div", {}, h("span", { class: "k" }, `${k} `), h("span", { class: "v" }, v))));
}

/** A unit's weights as a picture (the inspector's, for image inputs). */
export function paintWeights(canvas, row, theme) {
  paintWeightVector(canvas, row, divergingLut(theme));
}

/** The network shape the diagram draws (Diagram.setNetwork), from the model. */
export function networkShape(model, editable) {
  const data = model.data;
  const sizes = [model.layers?.[0]?.W[0]?.length ?? data?.input_dim ?? 2, ...(model.layers ?? []).map((l) => l.W.length)];
  const classNames = namesOfClasses(data) ?? Array.from({ length: data?.output_dim ?? 2 }, (_, i) => `class ${i}`);
  return {
    sizes,
    features: data?.image_shape ? null : data?.features ?? model.config?.features ?? null,
    image: data?.image_shape ?? null,
    task: data?.task ?? "classification",
    activation: model.config?.activation ?? "tanh",
    classNames,
    editable,
    maxLayers: model.limits?.max_hidden_layers ?? 8,
    maxWidth: model.limits?.max_width ?? 64,
    inputExtent: inputExtent(data),
    pixelRange: data?.image_shape ? pixelRange(data) : null,
  };
}

/** Half-range of the input plane of 2-D data (the scale of the input neurons' colours). */
function inputExtent(data) {
  let m = 0;
  for (const p of data?.train?.points ?? []) m = Math.max(m, Math.abs(p[0]), Math.abs(p[1]));
  return niceExtent(m || 1);
}

/** The banner under the header: one message at a time, keyed so a later hide only hides its own. */
export class Banner {
  constructor() {
    this.key = null;
    this.timer = 0;
    $("banner-close").addEventListener("click", () => this.hide());
  }

  show(key, kind, title, message, actions = [], timeout = 0) {
    this.key = key;
    const b = $("banner");
    b.dataset.kind = kind;
    $("banner-title").textContent = title;
    $("banner-message").textContent = message;
    $("banner-actions").replaceChildren(...actions.map(([label, fn, title]) => h("button", { type: "button", title, onclick: () => fn() }, label)));
    b.hidden = false;
    clearTimeout(this.timer);
    if (timeout) this.timer = setTimeout(() => this.hide(key), timeout);
  }

  hide(key) {
    if (key && key !== this.key) return;
    $("banner").hidden = true;
    this.key = null;
  }
}

/** The tooltip that follows the pointer. */
export function showTooltip(textValue, e) {
  const tooltip = $("tooltip");
  if (!textValue || !e) {
    tooltip.hidden = true;
    return;
  }
  tooltip.textContent = textValue;
  tooltip.hidden = false;
  const x = Math.min(window.innerWidth - tooltip.offsetWidth - 8, e.clientX + 14);
  tooltip.style.left = `${x}px`;
  tooltip.style.top = `${e.clientY + 16}px`;
}
