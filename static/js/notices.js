// What the page tells the learner about the session and the connection: the status indicator in
// the header and the banner (lost connection, server full, divergence, another tab took the
// session over, a refused message, a session the server no longer had).

import { isWatching } from "./store.js";
import { Banner } from "./panels.js";
import { formatCount, formatNumber, superscript } from "./format.js";
import { healthyStep } from "./recovery.js";

const $ = (id) => document.getElementById(id);

/** How long a reconnect may take before the banner says the connection was lost (ms). */
const BLIP_MS = 1200;

export class Notices {
  /**
   * @param {object} p model, reconnect(), and the actions its buttons offer: configure(partial),
   *   seek(step), reset(); uploadNote(text, kind) for errors about an uploaded file
   */
  constructor({ model, reconnect, configure, seek, reset, uploadNote }) {
    Object.assign(this, { model, reconnect, configure, seek, reset, uploadNote });
    this.banner = new Banner();
    this.lastStatus = { state: "connecting", attempt: 0 };
    this.lostTimer = 0;
    this.lostReason = "";
  }

  /** React to the names of what a server message changed (store.js). */
  react(changes) {
    const m = this.model;
    if (changes.includes("session")) {
      if (isWatching(m)) this.status(this.lastStatus);
      this.banner.hide("connection");
    }
    if (changes.includes("diverged") && m.diverged) this.diverged(m.diverged);
    if (changes.includes("state") && !m.diverged) this.banner.hide("diverged");
    if (changes.includes("taken_over")) this.banner.show("taken", "info", "This session was opened in another tab.", "Training continues there; this tab stopped.", [["Use it here", () => this.reconnect()]]);
    if (changes.includes("error")) this.error(m.lastError);
  }

  /** The server started a new session with the settings of one it no longer had. */
  replaced() {
    this.banner.show("session", "info", "The server no longer had this session.", "A new session started with the same settings (seeds included), from step 0.", [], 12000);
  }

  error(msg) {
    if (msg.code === "invalid_session") return; // a fresh hello follows
    if (msg.code === "unknown_dataset") this.uploadNote("That uploaded dataset is no longer on the server: upload it again.", "error");
    this.banner.show("error", "warn", "Not applied:", msg.message ?? msg.code, [], 7000);
  }

  /** The connection's state (socket.js): the header's indicator, and the banner when it matters. */
  status(st) {
    this.lastStatus = st;
    const el = $("conn");
    el.dataset.state = st.state;
    const label = st.state === "open" ? (isWatching(this.model) ? "Connected · watching" : "Connected") : st.state === "connecting" ? "Connecting…" : st.state === "reconnecting" ? `Reconnecting${st.attempt > 1 ? ` (attempt ${st.attempt})` : ""}…` : "Disconnected";
    el.querySelector(".conn-text").textContent = label;
    el.title = st.message ?? label;
    const retry = (text) => [[text, () => this.reconnect()]];
    if (st.state === "closed" && st.code !== 4001) this.banner.show("connection", "warn", "Disconnected.", st.message ?? "", retry("Reconnect"));
    if (st.state === "reconnecting" && st.code === 1013) this.banner.show("connection", "warn", "Server full.", st.message ?? "", retry("Retry now"));
    if (st.state === "reconnecting" && st.code !== 1013) {
      if (st.message && !this.lostReason) this.lostReason = st.message; // why the outage began
      // A blip (a reconnect within a second) shows only in the status; a longer outage says so.
      if (this.banner.key === "connection") this.connectionLost();
      else if (!this.lostTimer) this.lostTimer = setTimeout(() => this.connectionLost(), BLIP_MS);
    }
    if (st.state === "open") {
      clearTimeout(this.lostTimer);
      this.lostTimer = 0;
      this.lostReason = "";
    }
  }

  connectionLost() {
    this.lostTimer = 0;
    const st = this.lastStatus;
    if (st.state !== "reconnecting" || st.code === 1013) return;
    const restarting = this.lostReason.startsWith("The server is restarting");
    const attempt = st.attempt > 1 ? ` (attempt ${st.attempt})` : "";
    this.banner.show(
      "connection",
      "warn",
      restarting ? "The server is restarting." : "Connection to the server lost.",
      `Reconnecting${attempt}… The page picks this session up again (step ${formatCount(this.model.step)}) as soon as the server answers.`,
      [["Reconnect now", () => this.reconnect()]],
    );
  }

  /** Seek to `step`, then set the learning rate `lr` (the banner's recovery). */
  rewind(step, lr) {
    this.banner.hide("diverged");
    this.seek(step);
    this.configure({ learning_rate: lr });
  }

  diverged(msg) {
    const m = this.model;
    const lr = m.config.learning_rate;
    const lower = Number((lr / 10).toPrecision(2));
    const target = healthyStep(m.chart, msg.step, m.history.oldest);
    // The page's own sentence from the fields (the server's message starts "diverged at …").
    const what = msg.quantity === "loss" || !msg.quantity ? "The loss" : `${msg.quantity}${msg.layer ? superscript(msg.layer) : ""}`;
    const why = lr >= 1 ? ` A learning rate of ${formatNumber(lr)} is very high.` : "";
    this.banner.show("diverged", "error", "Training diverged.", `${what} stopped being a finite number at step ${formatCount(msg.step)}, so that update was not applied: the network stays at step ${formatCount(Math.max(0, msg.step - 1))}, its last finite state.${why}`, [
      // Both rewind to healthy weights and keep (or set) the learning rate: a seek restores the
      // settings recorded at that step, so the chosen rate is sent again after it.
      [`Lower the learning rate to ${lower}`, () => this.rewind(target, lower), `Lower the learning rate to ${lower} and go back to step ${formatCount(target)}`],
      [`Go back to step ${target}`, () => this.rewind(target, this.model.config.learning_rate)],
      ["Reset", () => this.reset()],
    ]);
  }
}
