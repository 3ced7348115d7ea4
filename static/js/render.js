// One drawing pass per animation frame: the names of what changed (store.js) collect in a set,
// and `render` redraws only the views they concern. A revealed phase or a finished iteration
// starts its animation; a drawn `frame` is acknowledged after it is drawn (one frame in flight).

import { layerCount, isWatching } from "./store.js";
import { computeDisplay, momentRecord } from "./display.js";
import { optimizerBlock } from "./optimizer-panel.js";
import { networkShape, paintWeights, renderCaption, renderLegend, renderSampleNav, renderStats } from "./panels.js";
import { GRADIENT_FLOW_ID, renderGradientFlow } from "./gradient-flow.js";

/** While playing, the inspector is redrawn at most this often (ms). */
const INSPECTOR_INTERVAL_MS = 250;

const has = (changes, ...names) => names.some((n) => changes.has(n));

export class Renderer {
  /**
   * @param {object} p model, ui, views {diagram, animator, output, charts, inspector, controls},
   *   theme() (the current theme), commands (commands.js), writeUrl(), stats (window.__bpl)
   */
  constructor({ model, ui, views, theme, commands, writeUrl, stats }) {
    Object.assign(this, { model, ui, views, theme, commands, writeUrl, stats });
    this.dirty = new Set();
    this.pending = false;
    this.lastDrawnWeights = null;
    this.lastInspector = 0;
  }

  /** Mark aspects as changed; the next animation frame redraws them. */
  invalidate(...changes) {
    for (const c of changes) this.dirty.add(c);
    if (!this.pending) {
      this.pending = true;
      requestAnimationFrame(() => this.render());
    }
  }

  render() {
    const started = performance.now();
    try {
      this.renderNow();
    } finally {
      const times = this.stats.renderMs;
      times.push(performance.now() - started);
      if (times.length > 600) times.splice(0, times.length - 600);
    }
  }

  renderNow() {
    const { model, ui, views } = this;
    const { diagram, output, charts, controls } = views;
    this.pending = false;
    const changes = this.dirty;
    this.dirty = new Set();
    const readOnly = isWatching(model);
    // The data view follows the data at once (a rebuild's weights come later, with its state).
    if (changes.has("data")) output.setData(model.data);
    if (changes.has("data") || changes.has("follow")) output.setFollow(model.follow ?? null, model.followSplit ?? "train");
    if (!model.layers || !model.config) {
      controls.syncTransport(model, ui, readOnly);
      return;
    }
    const L = layerCount(model);
    if (has(changes, "config", "data", "network", "session")) {
      controls.sync(model.config, model.limits, model.data);
      charts.setTask(model.data?.task);
      const net = networkShape(model, !readOnly);
      // Between a rebuild's `data` and its `state` the weights still have the old shape: wait.
      if (net.sizes.length === L + 1 && (!model.data || model.data.input_dim === net.sizes[0])) diagram.setNetwork(net);
      this.writeUrl();
    }
    const display = computeDisplay(model, { row: ui.row, probe: model.follow ?? 0 });
    // Weights drawn now: during an update phase the morph goes from W to W_next.
    if (model.layers !== this.lastDrawnWeights || has(changes, "data", "config")) {
      output.setWeights(model.layers, model.config, { playing: model.playing });
      diagram.setThumbnailSource(output.thumbnailSource());
      this.lastDrawnWeights = model.layers;
    }
    this.animate(changes, display);
    if (has(changes, "sample", "moment")) output.setProbs(display.probs, display.label, { index: display.sampleIndex, split: display.split });
    renderCaption(model, display, L);
    renderLegend(display, this.theme(), diagram.edgeMax);
    renderSampleNav(display, { follow: (i) => this.commands.follow(i), setRow: (r) => this.setRow(r), readOnly });
    renderStats(model);
    controls.syncTransport(model, ui, readOnly);
    if (has(changes, "chart", "network")) charts.update(model.chart, L);
    if (has(changes, "iteration", "frame", "state", "network")) {
      charts.setWarnings(model.diagnostics);
      renderGradientFlow(document.getElementById(GRADIENT_FLOW_ID), model.diagnostics, L);
    }
    this.renderInspector(changes, L, readOnly);
    this.views.lossSlice?.react(changes, model, readOnly);
    if (has(changes, "runs", "config", "data", "session")) this.views.compare?.update(model, readOnly);
    if (this.commands.stepClickedAt !== null && has(changes, "phase", "iteration", "state")) {
      this.stats.lastStepLatency = performance.now() - this.commands.stepClickedAt;
      this.commands.stepClickedAt = null;
    }
    this.stats.renders += 1;
    if (changes.has("frame")) {
      this.commands.send({ type: "ack", frame: model.frame });
      this.stats.acks += 1;
    }
  }

  /** Start the animation of what arrived (a phase, an iteration), or just draw the moment. */
  animate(changes, display) {
    const { model } = this;
    const { diagram, animator } = this.views;
    if (changes.has("phase") && model.lastPhase && !model.playing) {
      this.animatePhase(model.lastPhase, display);
    } else if (changes.has("iteration") && model.lastIteration && !model.playing) {
      const rec = model.lastIteration;
      diagram.update(display);
      const from = rec.layers.map((l) => ({ W: l.W, b: l.b }));
      const to = rec.layers.map((l) => ({ W: l.W_next, b: l.b_next }));
      const glow = rec.layers.map((l) => ({ W: l.dW ?? l.update_W, b: l.db ?? l.update_b }));
      animator.morph(from, to, glow);
    } else if (has(changes, "moment", "weights", "sample", "status")) {
      if (!animator.running) diagram.update(display);
      else diagram.defer(display);
    }
  }

  animatePhase({ msg, weightsBefore }, display) {
    const { diagram, animator } = this.views;
    if (msg.phase === "forward") {
      diagram.update(display, false, new Set([msg.layer]));
      const aPrev = msg.A_prev?.[Math.min(this.ui.row, (msg.A_prev?.length ?? 1) - 1)];
      animator.forward(msg.layer, msg.W, aPrev, () => diagram.redraw(display));
    } else if (msg.phase === "backward") {
      diagram.update(display);
      const W = this.model.layers?.[msg.layer - 1]?.W;
      const dZ = msg.dZ?.[Math.min(this.ui.row, (msg.dZ?.length ?? 1) - 1)];
      animator.backward(msg.layer, W, dZ, () => diagram.redraw(display));
    } else if (msg.phase === "update") {
      diagram.update(display);
      const from = weightsBefore ?? this.model.layers;
      const to = msg.layers.map((l) => ({ W: l.W_next, b: l.b_next }));
      const glow = msg.layers.map((l) => ({ W: l.dW ?? l.update_W, b: l.db ?? l.update_b }));
      animator.morph(from, to, glow, null, true);
    } else {
      diagram.update(display);
    }
  }

  renderInspector(changes, L, readOnly) {
    const { model, ui } = this;
    const throttle = model.playing && performance.now() - this.lastInspector < INSPECTOR_INTERVAL_MS;
    if (throttle && !changes.has("gradcheck")) return;
    this.views.inspector.render(ui.selection, momentRecord(model, { row: ui.row, probe: model.follow ?? 0 }), {
      config: model.config,
      data: model.data,
      L,
      readOnly,
      gradcheck: model.gradcheck,
      classNames: this.views.diagram.net?.classNames,
      paintWeights: (canvas, row) => paintWeights(canvas, row, this.theme()),
      optimizerBlock: (entry) => optimizerBlock(model, entry),
    });
    this.lastInspector = performance.now();
  }

  /** Show row r of the batch. */
  setRow(r) {
    this.ui.row = Math.max(0, r);
    this.invalidate("moment");
  }
}
