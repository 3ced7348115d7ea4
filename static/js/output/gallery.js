// The output view of an image task: a gallery of the first training images (click one to follow
// it) and the output probabilities of the displayed sample as bars. While a phase walk has not
// reached the output yet, the bars keep the last values they showed, dimmed, and say so.

import { h } from "../dom.js";
import { formatNumber } from "../format.js";
import { paintGray } from "../paint.js";

/** [lowest, highest] pixel value of the images the `data` message carries. */
export function pixelRange(data) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of data?.train?.x ?? []) {
    for (const v of x) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return [lo, hi];
}

export class Gallery {
  /** `onPick(index)` is called with the clicked image's index. */
  constructor(onPick) {
    this.onPick = onPick;
    this.el = h("div", { class: "gallery", role: "group", "aria-label": "Digit samples" });
    this.caption = h("p", { class: "probs-caption" });
    this.probs = h("div", { class: "probs", role: "group", "aria-label": "Output probabilities" });
    this.box = h("div", { class: "probs-box" }, this.caption, this.probs);
    this.buttons = [];
    this.last = null;
  }

  /** One button per image of `data` (a `data` message of an image task). */
  build(data, theme) {
    const xs = data.train.x ?? [];
    const [rows, cols] = data.image_shape;
    const range = pixelRange(data);
    this.last = null;
    this.el.replaceChildren();
    this.buttons = xs.map((x, i) => {
      const c = h("canvas", { width: cols, height: rows });
      paintGray(c.getContext("2d"), x, rows, cols, range, theme);
      const y = data.train.y[i];
      const b = h("button", { type: "button", "aria-label": `Digit sample ${i} (label ${y})`, "aria-pressed": "false", title: `Sample #${i}, label ${y}`, onclick: () => this.onPick(i) }, c);
      this.el.append(b);
      return b;
    });
  }

  /** Mark the followed image (index or null). */
  setFollow(index) {
    this.buttons.forEach((b, i) => b.setAttribute("aria-pressed", String(i === index)));
  }

  /**
   * Output probabilities `probs` of the displayed sample (`sample`: {index, split}), the label's
   * bar marked. Without probabilities (a forward pass not at the output yet) the last ones stay.
   */
  setProbs(probs, label, sample = {}) {
    const stale = !probs;
    if (probs) this.last = { probs, label, sample };
    this.probs.classList.toggle("stale", stale && Boolean(this.last));
    this.probs.replaceChildren();
    if (!this.last) {
      this.caption.textContent = "";
      return;
    }
    const { index, split } = this.last.sample;
    const who = `ŷ of ${split === "test" ? "test" : "training"} sample #${index ?? "?"}`;
    const shown = this.last.label;
    const marked = typeof shown === "number" && shown >= 0 && shown < this.last.probs.length ? `, label ${shown} (green bar)` : "";
    this.caption.textContent = stale ? `Last shown: ${who}. This forward pass has not reached the output yet.` : `${who}${marked}`;
    this.last.probs.forEach((p, c) => {
      const bar = h("div", { class: `bar${c === this.last.label ? " label" : ""}` });
      bar.style.width = `${Math.max(1, p * 100)}%`;
      this.probs.append(h("span", { text: String(c) }), h("div", {}, bar), h("span", { class: "prob-value", text: formatNumber(p, 2) }));
    });
  }
}
