// Guided experiments on the page: the catalogue (`GET /api/experiments`) behind the button named
// "Experiments", the card of the experiment the session follows, the view to watch highlighted,
// "Run" in chunks of 10 iterations (whole-set metrics after each, as the catalogue's claims
// were measured), and "predict, then see": stepping is locked while a question is asked.
// The server evaluates the check and answers predictions (the `experiment` message).

import { layerCount } from "../store.js";
import { Card, fillCatalogue } from "./card.js";
import { answerStep, feedback, shouldAsk } from "./predict.js";
import { watchElement, watchView } from "./watch.js";

const CHUNK = 10; // iterations per `step` message while running

export class Experiments {
  /**
   * @param {object} p model (store.js), commands (commands.js), ui (page state, `experiment`
   *   is the id in the URL), writeUrl(), select(selection) (the diagram's selection → the
   *   inspector), showChart(kind), invalidate(...changes), doc (document)
   */
  constructor({ model, commands, ui, writeUrl, select, showChart, invalidate, doc = document }) {
    Object.assign(this, { model, commands, ui, writeUrl, select, showChart, invalidate, doc });
    this.entries = [];
    this.entry = null;
    this.status = null;
    this.predict = null; // {state: waiting|asked|answered|done|skipped, choice, step}
    this.running = null; // {target} while "Run" steps
    this.highlighted = null;
    this.awaitingStart = false; // the `experiment` sent, its first reply not yet here
    this.dialog = doc.getElementById("experiments-dialog");
    this.card = new Card(doc.getElementById("experiment-card"), {
      run: () => this.run(),
      next: () => this.open(this.entry.next),
      close: () => this.close(),
      watch: () => this.highlight(true),
      choose: (c) => this.choose(c),
      skip: () => this.skip(),
    });
    doc.getElementById("experiments-open").addEventListener("click", () => this.openCatalogue());
    this.loaded = this.load();
  }

  async load() {
    const res = await fetch("/api/experiments");
    if (!res.ok) throw new Error(`GET /api/experiments: ${res.status}`);
    this.entries = await res.json();
    fillCatalogue(this.doc.getElementById("experiments-list"), this.entries, (id) => {
      this.dialog.close();
      this.open(id);
    });
  }

  byId(id) {
    return this.entries.find((e) => e.id === id) ?? null;
  }

  async openCatalogue() {
    await this.loaded;
    for (const b of this.dialog.querySelectorAll(".exp-entry")) b.setAttribute("aria-current", String(b.dataset.experiment === this.entry?.id));
    this.dialog.showModal();
    const current = this.entry && this.dialog.querySelector(`[data-experiment="${this.entry.id}"]`);
    (current ?? this.dialog.querySelector(".exp-entry"))?.focus();
  }

  /** Locked: a prediction is asked and not yet answered or skipped. */
  get locked() {
    return this.predict?.state === "asked";
  }

  // ----- choosing -----

  /** Start experiment `id` on the session (a new network) and show its card. */
  async open(id) {
    await this.loaded;
    const entry = this.byId(id);
    if (!entry) {
      console.warn(`Ignored unknown experiment: ${id}`);
      return;
    }
    this.commands.pauseIfPlaying();
    this.commands.send({ type: "experiment", experiment: id });
    this.show(entry, null);
    this.awaitingStart = true;
  }

  /** Show the card of `entry` (`status`: the session's last `experiment` message, if known). */
  show(entry, status) {
    this.entry = entry;
    this.status = status;
    this.running = null;
    this.predict = entry.predict ? { state: "waiting", choice: null, step: null } : null;
    this.ui.experiment = entry.id;
    this.writeUrl();
    const index = this.entries.indexOf(entry);
    this.card.show(entry, entry.next ? this.byId(entry.next) : null, { index, count: this.entries.length });
    const unit = entry.unit ?? "iteration"; // `steps` counts iterations unless the entry says otherwise
    if (unit !== this.ui.unit) {
      this.commands.setUnit(unit);
      this.invalidate("moment");
    }
    const inspect = entry.walk?.inspect ?? (entry.watch.view === "inspector" ? entry.watch : null);
    if (inspect) this.select({ type: "edge", layer: inspect.layer, row: inspect.row, col: inspect.col });
    this.highlight(false);
    this.refresh();
  }

  close() {
    this.commands.send({ type: "experiment", experiment: null });
    this.entry = this.status = this.predict = this.running = null;
    this.card.hide();
    this.unhighlight();
    this.ui.experiment = null;
    this.writeUrl();
    this.lock(false);
  }

  /** After a `hello`: the URL's experiment (a resumed session that follows it keeps its run). */
  async sessionStarted(resumed, following) {
    const id = this.ui.experiment;
    if (!id) return;
    await this.loaded;
    if (resumed && following === id && this.byId(id)) this.show(this.byId(id), null);
    else this.open(id);
  }

  // ----- what the view shows -----

  highlight(scroll) {
    this.unhighlight();
    const view = watchView(this.entry.watch.view);
    if (view.tab) this.showChart(view.tab);
    const el = watchElement(this.doc, this.entry.watch.view);
    if (!el) return;
    el.classList.add("exp-watched");
    el.dataset.watchLabel = `Watch: ${view.tag}`;
    this.highlighted = el;
    if (scroll) el.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  unhighlight() {
    if (!this.highlighted) return;
    this.highlighted.classList.remove("exp-watched");
    delete this.highlighted.dataset.watchLabel;
    this.highlighted = null;
  }

  lock(on) {
    if (Boolean(this.model.stepLocked) === on) return;
    this.model.stepLocked = on;
    this.invalidate("moment");
  }

  // ----- messages -----

  /** What the store says changed (store.js's names), after each server message. */
  react(changes) {
    const has = (...names) => names.some((n) => changes.includes(n));
    if (has("session")) {
      this.sessionStarted(this.model.resumed, this.model.helloExperiment);
      return;
    }
    if (!this.entry) return;
    const msg = this.model.experiment;
    if (has("experiment") && msg?.experiment === this.entry.id) {
      this.awaitingStart = false;
      this.status = msg;
      this.card.status(msg.seen, msg.detail);
      this.checkAnswer(msg.answer);
    }
    if (has("iteration")) this.continueRun(true);
    else if (has("diverged", "error")) this.continueRun(false);
    if (has("experiment", "moment", "phase", "iteration", "config")) this.refresh();
  }

  /** Re-decide the prediction and the Run button for the moment shown. */
  refresh() {
    if (!this.entry || !this.model.layers) return;
    const m = this.model;
    const p = this.predict;
    if (m.playing) this.running = null; // play took over
    const now = p && !this.awaitingStart && shouldAsk(this.entry.predict, { step: m.step, revealed: m.revealed, L: layerCount(m) });
    if (p?.state === "waiting" && now && !m.playing && !this.running) {
      p.state = "asked";
      p.step = answerStep(m.step);
      this.card.ask(this.entry.predict);
    } else if (p?.state === "asked" && !now) {
      p.state = "waiting"; // moved away (back, seek): asked again when the moment comes
      this.card.hidePredict();
    }
    this.lock(this.locked);
    const target = this.entry.steps;
    if (this.running) this.card.runButton(`Stop (step ${m.step} of ${target})`, false);
    else if (this.entry.unit === "phase") this.card.runButton("Next phase", this.locked);
    else this.card.runButton(m.step >= target ? `Run ${target} more steps` : `Run to step ${target}`, this.locked);
  }

  // ----- predict, then see -----

  choose(choice) {
    const p = this.predict;
    if (!p || p.state !== "asked") return;
    p.state = "answered";
    p.choice = choice;
    const phase = this.entry.predict.before !== "iteration";
    this.card.waiting(choice, phase ? `You said ${choice}. Now step on through the ${this.entry.predict.before} pass and the update.` : `You said ${choice}. Taking the step…`);
    this.lock(false);
    if (!phase) this.commands.send({ type: "step", unit: "iteration", count: 1 });
    this.refresh();
  }

  skip() {
    if (!this.predict) return;
    this.predict.state = "skipped";
    this.card.hidePredict();
    this.lock(false);
    this.refresh();
  }

  checkAnswer(answer) {
    const p = this.predict;
    if (!p || p.state !== "answered" || !answer || answer.step !== p.step) return;
    p.state = "done";
    this.card.answered(feedback(this.entry.predict, p.choice, answer));
  }

  // ----- run -----

  run() {
    if (this.locked) return;
    if (this.running) {
      this.running = null;
      this.refresh();
      return;
    }
    if (this.entry.unit === "phase") {
      this.commands.step();
      return;
    }
    const m = this.model;
    const target = m.step >= this.entry.steps ? m.step + this.entry.steps : this.entry.steps;
    this.commands.pauseIfPlaying();
    this.running = { target };
    this.sendChunk();
  }

  sendChunk() {
    const left = this.running.target - this.model.step;
    if (left <= 0) {
      this.running = null;
      this.refresh();
      return;
    }
    this.commands.send({ type: "step", unit: "iteration", count: Math.min(CHUNK, left) });
  }

  /** After an `iteration` (`done`) the next chunk; after `diverged` or an error, stop. */
  continueRun(done) {
    if (!this.running) return;
    if (done) this.sendChunk();
    else this.running = null;
  }
}
