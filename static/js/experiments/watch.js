// Where an experiment tells the learner to look: the catalogue's `watch.view` → the element to
// highlight, the chart tab to open and the label of the view. One table; the first selector that
// exists on the page wins (a gradient-flow view, once the page has one, before the chart tab).

export const WATCH_VIEWS = {
  // The card's label names both: the highlighted view plots RMS(dZ) per layer with the vanishing
  // and exploding flags, the chart tab opened beside it ‖dW‖ per layer. `tag` (on the outline,
  // one line over a ~260 px wide view) names only the outlined view.
  "gradient-flow": { label: "Gradient flow (RMS of dZ per layer) and the Gradients chart (‖dW‖)", tag: "Gradient flow", selectors: ["#gradient-flow", ".charts"], tab: "grad" },
  "loss-chart": { label: "Loss chart (train and test)", selectors: [".charts"], tab: "loss" },
  "decision-boundary": { label: "Output: the decision boundary", selectors: ["#heatmap"], tab: null },
  inspector: { label: "Inspector (the selected weight)", selectors: [".inspector-wrap"], tab: null },
  weights: { label: "Network diagram: each hidden unit's weight picture", selectors: [".diagram-wrap"], tab: null },
};

/** The table's row for `view` (a generic one for a view the page does not know); `tag` is the
 * outline's name, the label unless the row has a shorter one. */
export function watchView(view) {
  const row = WATCH_VIEWS[view] ?? { label: view, selectors: [], tab: null };
  return { ...row, tag: row.tag ?? row.label };
}

/** The element to highlight for `view` in `doc` (null when none is on the page). */
export function watchElement(doc, view) {
  for (const sel of watchView(view).selectors) {
    const el = doc.querySelector(sel);
    if (el) return el;
  }
  return null;
}
