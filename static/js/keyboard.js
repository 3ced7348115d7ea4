// Keyboard shortcuts: Space play/pause, → step forward, ← step back, R reset, ? the list,
// Esc clears the selection. Typing in a field is never a shortcut.

/** True when keys typed at `target` belong to it (text fields, selects, editable content). */
export function isTypingTarget(target) {
  if (!target) return false;
  const tag = target.tagName;
  return tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || Boolean(target.isContentEditable);
}

/**
 * The action for a key event, or null: "toggle-play" | "step" | "back" | "reset" | "help" | "escape".
 * Pure (unit-tested): looks only at key, code, modifiers and the target.
 */
export function shortcutFor(e) {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  if (isTypingTarget(e.target)) return null;
  const onNode = e.target?.closest?.(".neuron, .bias");
  if (onNode && (e.key === "Enter" || e.key === " ")) return null;
  if (e.key === " " || e.code === "Space") return "toggle-play";
  if (e.key === "ArrowRight") return "step";
  if (e.key === "ArrowLeft") return "back";
  if (e.key === "r" || e.key === "R") return "reset";
  if (e.key === "?") return "help";
  if (e.key === "Escape") return "escape";
  return null;
}

/** Listen on `doc`; `actions` maps each action name to a function returning false if unhandled. */
export function bindKeyboard(doc, actions, isBlocked = () => false) {
  doc.addEventListener("keydown", (e) => {
    if (isBlocked()) return;
    if (isTypingTarget(e.target) && e.key === "Escape") {
      e.target.blur();
      return;
    }
    const action = shortcutFor(e);
    if (!action || !actions[action] || actions[action]() === false) return;
    e.preventDefault();
    e.stopPropagation();
  });
  // A focused button must not also be "clicked" by the Space that toggled play.
  doc.addEventListener("keyup", (e) => {
    if ((e.key === " " || e.code === "Space") && e.target?.tagName === "BUTTON") e.preventDefault();
  });
}
