// The watch page (`?watch=`): a read-only view of another tab's session. Every control that
// would send a message a spectator may not send (protocol.js WATCHER_MESSAGES) is disabled or
// hidden (app.css, body.watching), and the tagline says whose session this is.

const $ = (id) => document.getElementById(id);

/** Containers whose form controls a spectator sees but cannot use. */
const READ_ONLY = [".transport", ".hyper", ".data-panel"];

/** The tagline of a watching page: whose session it follows. */
export function watchTagline(session) {
  const short = String(session ?? "").slice(0, 8);
  return `Watching a session live, read-only (session ${short}): its owner steps, plays and changes the settings; this page follows.`;
}

/** Mark the page for a watching session (or not); called when a session starts. */
export function markSpectator(model) {
  const watching = model.role === "watch";
  document.body.classList.toggle("watching", watching);
  if (!watching) return;
  $("tagline").textContent = watchTagline(model.session);
  for (const sel of READ_ONLY) for (const el of document.querySelectorAll(`${sel} input, ${sel} select, ${sel} button`)) el.disabled = true;
}
