// The page's controls: transport (play, step, back, reset, step unit, speed, timeline), the
// training and network settings, the data panel (dataset tiles, CSV upload, noise, ratio, batch
// size, regenerate, features). Each control calls a hook; `sync` writes the session's config back
// into the controls (never into the one being edited).

import { h } from "./dom.js";
import { drawTile } from "./thumbs.js";
import { featureLabel, formatCount, formatNumber } from "./format.js";
import { ALL_FEATURES } from "./nn.js";

export const DATASETS = [
  { id: "circle", name: "Circle" },
  { id: "xor", name: "XOR" },
  { id: "gauss", name: "Gaussian" },
  { id: "spiral", name: "Spiral" },
  { id: "moons", name: "Moons" },
  { id: "plane", name: "Plane" },
  { id: "multigauss", name: "Multi-Gauss" },
  { id: "digits", name: "Digits" },
];

const $ = (id) => document.getElementById(id);

function isEditing(el) {
  return document.activeElement === el;
}

export class Controls {
  constructor(hooks) {
    this.hooks = hooks;
    this.el = {
      play: $("play"),
      stepForward: $("step-forward"),
      stepBack: $("step-back"),
      reset: $("reset"),
      stepBy: $("step-by"),
      speed: $("speed"),
      stepCount: $("step-count"),
      epochCount: $("epoch-count"),
      rate: $("rate"),
      rateWrap: $("rate-wrap"),
      timeline: $("timeline"),
      lr: $("learning-rate"),
      optimizer: $("optimizer"),
      momentum: $("momentum"),
      momentumField: $("momentum-field"),
      l1: $("l1"),
      l2: $("l2"),
      dropout: $("dropout"),
      activation: $("activation"),
      init: $("init"),
      problem: $("problem"),
      newWeights: $("new-weights"),
      gradcheck: $("gradcheck"),
      tiles: $("tiles"),
      csv: $("csv-file"),
      uploadNote: $("upload-note"),
      noise: $("noise"),
      noiseOut: $("noise-out"),
      ratio: $("train-ratio"),
      ratioOut: $("ratio-out"),
      batch: $("batch-size"),
      batchOut: $("batch-out"),
      regenerate: $("regenerate"),
      features: $("features"),
      featuresNote: $("features-note"),
      showTest: $("show-test"),
      discretize: $("discretize"),
    };
    this.buildTiles();
    this.buildFeatures();
    this.bind();
  }

  buildTiles(theme = "light") {
    const tiles = this.el.tiles;
    tiles.replaceChildren();
    this.tileButtons = new Map();
    for (const d of DATASETS) {
      const canvas = h("canvas", { "aria-hidden": "true" });
      drawTile(canvas, d.id, theme);
      const b = h("button", { type: "button", class: "tile", "aria-pressed": "false", "data-dataset": d.id, title: `${d.name} dataset` }, canvas, h("span", {}, d.name));
      b.addEventListener("click", () => {
        if (this.config?.dataset === d.id) return;
        // Digits need a wider network than the 2-D sets: switch presets with the data.
        const fromDigits = this.config?.dataset === "digits";
        const preset = d.id === "digits" ? { hidden: [32] } : fromDigits ? { hidden: [4, 2] } : {};
        this.hooks.configure({ dataset: d.id, ...preset });
      });
      tiles.append(b);
      this.tileButtons.set(d.id, b);
    }
    const up = h(
      "button",
      { type: "button", class: "tile", "aria-pressed": "false", "data-dataset": "custom", "data-hide": "upload", title: "Upload a CSV: numeric columns, the last one is the label or target" },
      h("span", { class: "upload-glyph", "aria-hidden": "true" }, h("span", { class: "icon-wrap" })),
      h("span", {}, "Your CSV"),
    );
    up.querySelector(".icon-wrap").innerHTML = '<svg class="icon" aria-hidden="true"><use href="#i-upload"/></svg>';
    up.setAttribute("aria-label", "Upload CSV");
    up.addEventListener("click", () => this.el.csv.click());
    tiles.append(up);
    this.tileButtons.set("custom", up);
    this.theme = theme;
  }

  setTheme(theme) {
    const current = this.config?.dataset;
    this.buildTiles(theme);
    if (current) this.markDataset(current);
  }

  buildFeatures() {
    this.featureButtons = new Map();
    for (const f of ALL_FEATURES) {
      const b = h("button", { type: "button", "aria-pressed": "false", "data-feature": f, title: `Input feature ${featureLabel(f)}` }, featureLabel(f));
      b.addEventListener("click", () => {
        const current = this.config?.features ?? [];
        const on = current.includes(f);
        if (on && current.length === 1) return;
        const next = ALL_FEATURES.filter((x) => (x === f ? !on : current.includes(x)));
        this.hooks.configure({ features: next });
      });
      this.el.features.append(b);
      this.featureButtons.set(f, b);
    }
  }

  bind() {
    const e = this.el;
    e.play.addEventListener("click", () => this.hooks.togglePlay());
    e.stepForward.addEventListener("click", () => this.hooks.step());
    e.stepBack.addEventListener("click", () => this.hooks.back());
    e.reset.addEventListener("click", () => this.hooks.reset());
    e.stepBy.addEventListener("change", () => this.hooks.setUnit(e.stepBy.value));
    e.speed.addEventListener("change", () => this.hooks.setSpeed(e.speed.value));
    let seekTimer = 0;
    e.timeline.addEventListener("input", () => {
      clearTimeout(seekTimer);
      seekTimer = setTimeout(() => this.hooks.seek(Number(e.timeline.value)), 120);
    });
    e.timeline.addEventListener("change", () => {
      clearTimeout(seekTimer);
      this.hooks.seek(Number(e.timeline.value));
    });
    const numberField = (input, key, { min = 0, max = Infinity, exclusiveMin = false } = {}) => {
      const commit = () => {
        const v = Number(input.value);
        const bad = input.value.trim() === "" || !Number.isFinite(v) || v < min || (exclusiveMin && v <= min) || v > max;
        if (bad) {
          input.setCustomValidity(`Enter a number ${exclusiveMin ? "above" : "from"} ${min} to ${max}`);
          input.reportValidity();
          return;
        }
        input.setCustomValidity("");
        if (this.config && this.config[key] === v) return;
        this.hooks.configure({ [key]: v });
      };
      input.addEventListener("change", commit);
      input.addEventListener("keydown", (ev) => {
        if (ev.key === "Enter") {
          ev.preventDefault();
          commit();
        }
        if (ev.key === "Escape") input.blur();
      });
      input.addEventListener("input", () => input.setCustomValidity(""));
    };
    numberField(e.lr, "learning_rate", { min: 0, max: 10, exclusiveMin: true });
    numberField(e.momentum, "momentum", { min: 0, max: 0.999 });
    numberField(e.l1, "l1", { min: 0, max: 1 });
    numberField(e.l2, "l2", { min: 0, max: 1 });
    const selectField = (sel, key, parse = (v) => v) => sel.addEventListener("change", () => this.hooks.configure({ [key]: parse(sel.value) }));
    selectField(e.optimizer, "optimizer");
    selectField(e.dropout, "dropout", Number);
    selectField(e.activation, "activation");
    selectField(e.init, "init");
    e.newWeights.addEventListener("click", () => this.hooks.newWeights());
    e.gradcheck.addEventListener("click", () => this.hooks.gradcheck());
    e.regenerate.addEventListener("click", () => this.hooks.regenerate());
    e.csv.addEventListener("change", () => {
      const file = e.csv.files?.[0];
      if (file) this.hooks.upload(file);
      e.csv.value = "";
    });
    const slider = (input, out, key, fmt, toConfig = (v) => v) => {
      input.addEventListener("input", () => {
        out.textContent = fmt(Number(input.value));
      });
      input.addEventListener("change", () => this.hooks.configure({ [key]: toConfig(Number(input.value)) }));
    };
    slider(e.noise, e.noiseOut, "noise", (v) => `${Math.round(v * 100)}%`);
    slider(e.ratio, e.ratioOut, "test_fraction", (v) => `${Math.round(v * 100)}%`, (v) => Math.round((1 - v) * 100) / 100);
    slider(e.batch, e.batchOut, "batch_size", (v) => String(v));
    e.showTest.addEventListener("change", () => this.hooks.setView({ test: e.showTest.checked }));
    e.discretize.addEventListener("change", () => this.hooks.setView({ discretize: e.discretize.checked }));
  }

  markDataset(id) {
    for (const [key, b] of this.tileButtons) b.setAttribute("aria-pressed", String(key === id));
  }

  /** Reflect the session's config, limits and data in the controls. */
  sync(config, limits, data) {
    this.config = config;
    const e = this.el;
    if (!config) return;
    this.markDataset(config.dataset);
    const set = (input, value) => {
      if (!isEditing(input) && value !== undefined && value !== null && input.value !== String(value)) input.value = String(value);
    };
    set(e.lr, config.learning_rate);
    if (limits?.max_learning_rate) e.lr.max = String(limits.max_learning_rate);
    set(e.optimizer, config.optimizer);
    set(e.momentum, config.momentum);
    e.momentumField.hidden = !(config.optimizer === "momentum" || config.optimizer === "nesterov");
    set(e.l1, config.l1);
    set(e.l2, config.l2);
    const drop = String(config.dropout);
    if (![...e.dropout.options].some((o) => o.value === drop)) e.dropout.append(h("option", { value: drop }, drop));
    set(e.dropout, drop);
    set(e.activation, config.activation);
    set(e.init, config.init);
    set(e.noise, config.noise);
    e.noiseOut.textContent = `${Math.round(config.noise * 100)}%`;
    const train = Math.round((1 - config.test_fraction) * 100) / 100;
    set(e.ratio, train);
    e.ratioOut.textContent = `${Math.round(train * 100)}%`;
    if (limits?.max_batch_size) e.batch.max = String(Math.min(limits.max_batch_size, 128));
    if (config.batch_size > Number(e.batch.max)) e.batch.max = String(config.batch_size);
    set(e.batch, config.batch_size);
    e.batchOut.textContent = String(config.batch_size);
    const twoD = !["digits", "custom"].includes(config.dataset) && (!data || Boolean(data.train?.points));
    for (const [f, b] of this.featureButtons) {
      b.setAttribute("aria-pressed", String(config.features.includes(f)));
      b.disabled = !twoD;
    }
    e.featuresNote.textContent = twoD ? "Inputs computed from each point (x₁, x₂)." : "This dataset gives its own inputs.";
    const generated = !["digits", "custom"].includes(config.dataset);
    e.noise.disabled = !generated;
    e.regenerate.disabled = !generated && config.dataset !== "digits";
    if (data) {
      e.problem.textContent = data.task === "classification" ? `Classification · ${data.n_classes} classes` : "Regression";
    }
  }

  /** Transport state: play label, counters, timeline. */
  syncTransport(model, ui, readOnly) {
    const e = this.el;
    const playing = model.playing;
    const label = playing ? "Pause" : "Play";
    const span = e.play.querySelector(".label");
    if (span.textContent !== label) {
      span.textContent = label;
      e.play.querySelector("use").setAttribute("href", playing ? "#i-pause" : "#i-play");
    }
    const step = formatCount(model.step);
    if (e.stepCount.textContent !== step) e.stepCount.textContent = step;
    const epoch = formatCount(model.epoch);
    if (e.epochCount.textContent !== epoch) e.epochCount.textContent = epoch;
    e.rateWrap.hidden = !playing || !model.stepsPerSecond;
    if (playing && model.stepsPerSecond) e.rate.textContent = formatNumber(model.stepsPerSecond, 3);
    const tl = e.timeline;
    const min = String(model.history.oldest);
    const max = String(Math.max(model.history.newest, model.step));
    if (tl.min !== min) tl.min = min;
    if (tl.max !== max) tl.max = max;
    if (!isEditing(tl) || playing) {
      if (tl.value !== String(model.step)) tl.value = String(model.step);
    }
    tl.setAttribute("aria-valuetext", `step ${model.step} of ${max}`);
    if (e.stepBy.value !== ui.unit) e.stepBy.value = ui.unit;
    if (e.speed.value !== ui.speed) e.speed.value = ui.speed;
    e.stepBack.disabled = readOnly || (model.step === 0 && model.revealed === 0);
    for (const b of [e.play, e.stepForward, e.reset]) b.disabled = readOnly;
    e.showTest.checked = ui.test;
    e.discretize.checked = ui.discretize;
  }

  uploadMessage(text, kind = "info") {
    const n = this.el.uploadNote;
    n.hidden = !text;
    n.textContent = text ?? "";
    n.dataset.kind = kind;
  }
}
