// The experiment card (question, what to do, where to watch, the check's status, the
// predict-then-see question and the explanation behind a button) and the catalogue's list.
// DOM only: experiments.js decides what they show.

import { h, text } from "../dom.js";
import { watchView } from "./watch.js";

/** What the learner does, in one sentence, for a catalogue entry. */
export function todoText(entry) {
  const ask = entry.predict ? ` Answer the question before the ${entry.predict.before === "iteration" ? "next step" : `${entry.predict.before} pass`}.` : "";
  if (entry.unit === "phase") {
    return `Step forward one phase at a time (→ or “Next phase”): forward, loss, backward, update; ${entry.steps} phases make one iteration.${ask}`;
  }
  return `Press “Run to step ${entry.steps}” (it steps 10 iterations at a time), or step and play yourself.${ask}`;
}

export class Card {
  /**
   * @param {HTMLElement} root the card's section
   * @param {object} on run(), explain(open), next(), close(), watch(), choose(choice), skip()
   */
  constructor(root, on) {
    this.root = root;
    this.on = on;
  }

  /** Build the card for `entry` (`nextEntry`: the catalogue entry its Next goes to). */
  show(entry, nextEntry, position) {
    const view = watchView(entry.watch.view);
    const el = (this.el = {});
    el.status = h("p", { class: "exp-status", role: "status", "aria-live": "polite", "data-seen": "false" }, "Not seen yet.");
    el.explanation = h("div", { class: "exp-explanation", id: "exp-explanation", hidden: true }, h("p", { text: entry.explanation }));
    el.explain = h("button", { type: "button", id: "exp-explain", "aria-expanded": "false", "aria-controls": "exp-explanation", onclick: () => this.toggleExplanation() }, "Show explanation");
    el.run = h("button", { type: "button", id: "exp-run", class: "primary", onclick: () => this.on.run() }, entry.unit === "phase" ? "Next phase" : `Run ${entry.steps} steps`);
    el.ask = h("p", { class: "exp-ask", id: "exp-ask", "aria-live": "polite" });
    el.choices = h("div", { class: "exp-choices", role: "group", "aria-labelledby": "exp-ask" });
    el.feedback = h("p", { class: "exp-feedback", role: "status", "aria-live": "polite", hidden: true });
    el.predict = h("div", { class: "exp-predict", hidden: true }, el.ask, el.choices, el.feedback);
    const watchLink = h("button", { type: "button", class: "linklike", title: "Show where to look", onclick: () => this.on.watch() }, view.label);
    const actions = h(
      "div",
      { class: "exp-actions" },
      el.run,
      el.explain,
      nextEntry ? h("button", { type: "button", id: "exp-next", title: `Next: ${nextEntry.title}`, onclick: () => this.on.next() }, "Next experiment") : null,
      h("button", { type: "button", class: "ghost", id: "exp-close", onclick: () => this.on.close() }, "Close"),
    );
    this.root.replaceChildren(
      h("div", { class: "exp-head" }, h("h2", { id: "exp-title" }, h("span", { class: "exp-kicker" }, `Experiment ${position.index + 1} of ${position.count}`), h("span", { text: entry.title })), actions),
      h("p", { class: "exp-question", text: entry.question }),
      h("dl", { class: "exp-facts" }, h("dt", {}, "Do"), h("dd", { text: todoText(entry) }), h("dt", {}, "Watch"), h("dd", {}, watchLink, ` — ${entry.watch.detail}`)),
      h("div", { class: "exp-row" }, el.status, el.predict),
      el.explanation,
    );
    this.root.hidden = false;
  }

  hide() {
    this.root.hidden = true;
    this.root.replaceChildren();
    this.el = null;
  }

  toggleExplanation(open = this.el.explanation.hidden) {
    this.el.explanation.hidden = !open;
    this.el.explain.setAttribute("aria-expanded", String(open));
    text(this.el.explain, open ? "Hide explanation" : "Show explanation");
  }

  /** The check's status line: seen or not, with the server's detail. */
  status(seen, detail) {
    if (!this.el) return;
    this.el.status.dataset.seen = String(Boolean(seen));
    text(this.el.status, seen ? `Seen: ${detail}` : `Not seen yet${detail ? `: ${detail}` : "."}`);
  }

  /** Run button: its label and whether it may be pressed. */
  runButton(label, disabled) {
    if (!this.el) return;
    text(this.el.run, label);
    this.el.run.disabled = Boolean(disabled);
  }

  /** Ask `predict.ask` with a button per choice and a Skip. */
  ask(predict) {
    const el = this.el;
    el.predict.hidden = false;
    el.feedback.hidden = true;
    el.predict.dataset.state = "asked";
    text(el.ask, `Predict, then see: ${predict.ask}`);
    const label = (c) => (predict.answer_from.kind === "largest_grad_layer" ? `Layer ${c}` : c);
    el.choices.replaceChildren(
      ...predict.choices.map((c) => h("button", { type: "button", class: "choice", "data-choice": c, onclick: () => this.on.choose(c) }, label(c))),
      h("button", { type: "button", class: "ghost", onclick: () => this.on.skip() }, "Skip"),
    );
    el.choices.querySelector("button")?.focus({ preventScroll: true });
  }

  /** The learner chose: wait for the real step. */
  waiting(choice, note) {
    const el = this.el;
    el.predict.dataset.state = "answered";
    for (const b of el.choices.querySelectorAll("button")) {
      b.disabled = true;
      b.setAttribute("aria-pressed", String(b.dataset.choice === String(choice)));
    }
    el.feedback.hidden = false;
    el.feedback.dataset.right = "";
    text(el.feedback, note);
  }

  /** The real step's answer: "Right" or "Not quite", with its numbers. */
  answered({ right, text: sentence }) {
    const el = this.el;
    el.predict.dataset.state = "done";
    el.feedback.hidden = false;
    el.feedback.dataset.right = String(right);
    text(el.feedback, sentence);
  }

  hidePredict() {
    if (this.el) this.el.predict.hidden = true;
  }
}

/** Fill the catalogue dialog's list: one button per entry (title + question). */
export function fillCatalogue(list, entries, choose) {
  list.replaceChildren(
    ...entries.map((e) =>
      h("li", {}, h("button", { type: "button", class: "exp-entry", "data-experiment": e.id, onclick: () => choose(e.id) }, h("span", { class: "exp-entry-title", text: e.title }), h("span", { class: "exp-entry-question", text: e.question }))),
    ),
  );
}
