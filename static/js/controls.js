// The page's controls: transport (play, step, back, reset, step unit, speed, timeline), the
// training and network settings, the data panel (dataset tiles, CSV upload, noise, ratio, batch
// size, regenerate, features). Each control calls a hook; `sync` writes the session's config back
// into the controls (never into the one being edited).

import { h } from "./dom.js";
import { drawTile } from "./tiles.js";
import { featureLabel, formatCount, formatNumber } from "./format.js";
import { choices, describeRange, optionKeys, optionLabel, rangeError, rangeOf } from "./options.js";
import { isClassification } from "./protocol.js";

/** The network the digits need (wider than the 2-D sets'): the tiles switch to it and back. */
const DIGITS_HIDDEN = [32];

/** Selects filled from the server's option lists: element id → kind of option. */
const SELECTS = { activation: "activation", init: "init", optimizer: "optimizer", "step-by": "unit" };

/** Number fields checked in the page before they are sent: element → config key. */
const NUMBER_FIELDS = { lr: "learning_rate", momentum: "momentum", l1: "l1", l2: "l2" };

const $ = (id) => document.getElementById(id);

function isEditing(el) {
  return document.activeElement === el;
}

export class Controls {
  /**
   * @param {object} hooks what each control does (configure, step, back, …)
   * @param {object|null} options `GET /api/options` (options.js); null builds only what the
   *   session's config shows
   */
  constructor(hooks, options = null) {
    this.hooks = hooks;
    this.options = options;
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
    this.buildSelects();
    this.applyRanges();
    this.bind();
  }

  /** The server's option keys of `kind`, or [] without options. */
  keys(kind) {
    return optionKeys(this.options, kind) ?? [];
  }

  buildSelects() {
    for (const [id, kind] of Object.entries(SELECTS)) {
      const sel = $(id);
      sel.replaceChildren(...choices(this.options, kind).map((c) => h("option", { value: c.value }, c.label)));
    }
  }

  /** The server's ranges as the inputs' own min and max (the template's stay without them). */
  applyRanges() {
    const e = this.el;
    const bound = (input, key) => {
      const r = rangeOf(this.options, key);
      if (r?.min !== null && r?.min !== undefined) input.min = String(r.min);
      if (r?.max !== null && r?.max !== undefined) input.max = String(r.max);
    };
    for (const [name, key] of Object.entries(NUMBER_FIELDS)) bound(e[name], key);
    bound(e.noise, "noise");
    // The ratio slider shows the training share, 1 − test_fraction: its ends swap.
    const share = (v) => String(Math.round((1 - v) * 100) / 100);
    const tf = rangeOf(this.options, "test_fraction");
    if (tf?.max !== null && tf?.max !== undefined) e.ratio.min = share(tf.max);
    if (tf?.min !== null && tf?.min !== undefined) e.ratio.max = share(tf.min);
    const batch = rangeOf(this.options, "batch_size");
    if (batch?.min !== null && batch?.min !== undefined) e.batch.min = String(batch.min);
  }

  /** The allowed range of number field `input` for config `key`: the server's, else the input's own. */
  rangeFor(input, key) {
    const own = (v) => (v === "" ? null : Number(v));
    return rangeOf(this.options, key) ?? { min: own(input.min), max: own(input.max), min_exclusive: false, max_exclusive: false, integer: false };
  }

  buildTiles(theme = "light") {
    const tiles = this.el.tiles;
    tiles.replaceChildren();
    this.tileButtons = new Map();
    // Every dataset the server offers except "custom", which is the upload tile.
    for (const id of this.keys("dataset").filter((k) => k !== "custom")) {
      const name = optionLabel("dataset", id);
      const canvas = h("canvas", { "aria-hidden": "true" });
      drawTile(canvas, id, theme);
      const b = h("button", { type: "button", class: "tile", "aria-pressed": "false", "data-dataset": id, title: `${name} dataset` }, canvas, h("span", {}, name));
      b.addEventListener("click", () => {
        if (this.config?.dataset === id) return;
        // Digits need a wider network than the 2-D sets: switch presets with the data.
        const fromDigits = this.config?.dataset === "digits";
        const back = this.options?.defaults?.hidden;
        const preset = id === "digits" ? { hidden: DIGITS_HIDDEN } : fromDigits && back ? { hidden: back } : {};
        this.hooks.configure({ dataset: id, ...preset });
      });
      tiles.append(b);
      this.tileButtons.set(id, b);
    }
    const up = h(
      "button",
      { type: "button", class: "tile", "aria-pressed": "false", "data-dataset": "custom", "data-hide": "upload", title: "Upload a CSV: numeric columns, the last one is the label or target" },
      h("span", { class: "upload-glyph", "aria-hidden": "true" }, h("span", { class: "icon-wrap" })),
      h("span", {}, optionLabel("dataset", "custom")),
    );
    up.querySelector(".icon-wrap").innerHTML = '<svg class="icon" aria-hidden="true"><use href="#i-upload"/></svg>';
    up.setAttribute("aria-label", `${optionLabel("dataset", "custom")}: upload a CSV file`);
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
    const all = this.keys("feature");
    for (const f of all) {
      const b = h("button", { type: "button", "aria-pressed": "false", "data-feature": f, title: `Input feature ${featureLabel(f)}` }, featureLabel(f));
      b.addEventListener("click", () => {
        const current = this.config?.features ?? [];
        const on = current.includes(f);
        if (on && current.length === 1) return;
        const next = all.filter((x) => (x === f ? !on : current.includes(x)));
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
    const numberField = (input, key) => {
      const commit = () => {
        const v = Number(input.value);
        const range = this.rangeFor(input, key);
        const bad = input.value.trim() === "" || !Number.isFinite(v) || rangeError(v, range) !== null;
        if (bad) {
          input.setCustomValidity(`Enter a number ${describeRange(range)}`);
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
    for (const [name, key] of Object.entries(NUMBER_FIELDS)) numberField(e[name], key);
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
    // A select shows the config's value even when it is not among its options (then as its key).
    const choose = (sel, value, kind) => {
      if (value === undefined || value === null) return;
      const v = String(value);
      if (![...sel.options].some((o) => o.value === v)) sel.append(h("option", { value: v }, kind ? optionLabel(kind, v) : v));
      set(sel, v);
    };
    set(e.lr, config.learning_rate);
    if (limits?.max_learning_rate) e.lr.max = String(limits.max_learning_rate);
    choose(e.optimizer, config.optimizer, "optimizer");
    set(e.momentum, config.momentum);
    e.momentumField.hidden = !(config.optimizer === "momentum" || config.optimizer === "nesterov");
    set(e.l1, config.l1);
    set(e.l2, config.l2);
    choose(e.dropout, config.dropout);
    choose(e.activation, config.activation, "activation");
    choose(e.init, config.init, "init");
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
      e.problem.textContent = isClassification(data.task) ? `Classification · ${data.n_classes} classes` : "Regression";
    }
  }

  /** Transport state: play label, counters, timeline. */
  syncTransport(model, ui, readOnly) {
    const e = this.el;
    const playing = model.playing || Boolean(model.walking);
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
    e.rateWrap.hidden = !model.playing || !model.stepsPerSecond;
    if (model.playing && model.stepsPerSecond) e.rate.textContent = formatNumber(model.stepsPerSecond, 3);
    const tl = e.timeline;
    const min = String(model.history.oldest);
    const max = String(Math.max(model.history.newest, model.step));
    if (tl.min !== min) tl.min = min;
    if (tl.max !== max) tl.max = max;
    if (!isEditing(tl) || playing) {
      if (tl.value !== String(model.step)) tl.value = String(model.step);
    }
    tl.setAttribute("aria-valuetext", `step ${model.step} of ${max}`);
    if (e.stepBy.value !== ui.unit) {
      if (![...e.stepBy.options].some((o) => o.value === ui.unit)) e.stepBy.append(h("option", { value: ui.unit }, optionLabel("unit", ui.unit)));
      e.stepBy.value = ui.unit;
    }
    if (e.speed.value !== ui.speed) e.speed.value = ui.speed;
    e.stepBack.disabled = readOnly || (model.step === 0 && model.revealed === 0);
    for (const b of [e.play, e.stepForward, e.reset]) b.disabled = readOnly;
    if (model.stepLocked) e.play.disabled = e.stepForward.disabled = true; // a prediction is asked first
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
