// The output view of an image task: a gallery of the first training images (click one to follow
// it) and the output probabilities of the displayed sample as bars.

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
    this.probs = h("div", { class: "probs", "aria-label": "Output probabilities" });
    this.buttons = [];
  }

  /** One button per image of `data` (a `data` message of an image task). */
  build(data, theme) {
    const xs = data.train.x ?? [];
    const [rows, cols] = data.image_shape;
    const range = pixelRange(data);
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

  /** Output probabilities of the displayed sample, the label's bar marked. */
  setProbs(probs, label) {
    this.probs.replaceChildren();
    if (!probs) return;
    probs.forEach((p, c) => {
      const bar = h("div", { class: `bar${c === label ? " label" : ""}` });
      bar.style.width = `${Math.max(1, p * 100)}%`;
      this.probs.append(h("span", { text: String(c) }), h("div", {}, bar), h("span", { text: formatNumber(p, 2) }));
    });
  }
}
