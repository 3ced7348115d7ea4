// What the page asks of the server: every client message goes through `send` (a spectator sends
// only what the protocol lets it), and each button or key maps to one method here. After a
// `hello` it also carries settings over: the URL's config, and the settings of a session the
// server no longer had.

import { followSample, isWatching } from "./store.js";
import { diffConfig } from "./state.js";
import { WATCHER_MESSAGES, isClassification } from "./protocol.js";
import { PhaseWalker, walksPhases } from "./walker.js";

/** The largest `count` of one `step` message (app/protocol/client.py MAX_STEP_COUNT). */
const MAX_STEP_COUNT = 1000;
import { formatNumber } from "./format.js";

export class Commands {
  /**
   * @param {object} p model, conn (socket.js Connection), ui (the page's own state), urlConfig
   *   (the URL's config, applied after the first hello), views {animator, output}, and the
   *   hooks invalidate(...changes), writeUrl(), uploadNote(text, kind), replaced()
   */
  constructor({ model, conn, ui, urlConfig, views, invalidate, writeUrl, uploadNote, replaced }) {
    Object.assign(this, { model, conn, ui, views, invalidate, writeUrl, uploadNote, replaced });
    this.walker = new PhaseWalker({ model, send: (msg) => this.send(msg), invalidate: (...c) => this.invalidate(...c) });
    this.urlConfig = urlConfig;
    this.stepClickedAt = null;
  }

  send(msg) {
    if (isWatching(this.model) && !WATCHER_MESSAGES.includes(msg.type)) return false;
    return this.conn.send(msg);
  }

  configure(partial) {
    if (!Object.keys(partial).length) return;
    this.send({ type: "configure", config: partial });
  }

  playMessage() {
    return this.ui.speed === "max" ? { type: "play" } : { type: "play", speed: Number(this.ui.speed) };
  }

  pauseIfPlaying() {
    this.walker.stop();
    if (this.model.playing) this.send({ type: "pause" });
  }

  togglePlay() {
    if (this.walker.active) this.walker.stop();
    else if (this.model.playing) this.send({ type: "pause" });
    else if (this.model.stepLocked) return; // a prediction is asked first (experiments/)
    else if (walksPhases(this.ui.unit, this.ui.speed)) this.walker.start(this.ui.speed);
    else this.send(this.playMessage());
  }

  step() {
    if (this.model.stepLocked) return; // a prediction is asked first (experiments/)
    this.pauseIfPlaying();
    this.views.animator.finish();
    this.stepClickedAt = performance.now();
    this.send({ type: "step", unit: this.ui.unit, count: 1 });
  }

  back() {
    const m = this.model;
    if (!m.playing && m.step <= m.history.oldest && m.revealed === 0) return; // nothing earlier
    this.pauseIfPlaying();
    this.views.animator.finish();
    this.send({ type: "back", unit: this.ui.unit, count: 1 });
  }

  reset() {
    this.walker.stop();
    this.views.animator.finish();
    this.send({ type: "reset" });
  }

  seek(step) {
    this.pauseIfPlaying();
    this.send({ type: "seek", step });
  }

  setUnit(unit) {
    this.ui.unit = unit;
    this.writeUrl();
  }

  setSpeed(speed) {
    this.ui.speed = speed;
    this.writeUrl();
    if (this.model.playing) this.send(this.playMessage());
  }

  newWeights() {
    this.send({ type: "reset", seed: Math.floor(Math.random() * 2 ** 31) });
  }

  regenerate() {
    this.configure({ data_seed: Math.floor(Math.random() * 2 ** 31) });
  }

  gradcheck() {
    this.send({ type: "gradcheck" });
  }

  /** Follow sample `index` of `split` (null stops). */
  follow(index, split = "train") {
    // A spectator follows what its owner follows (store.js onSample); a click changes nothing.
    if (isWatching(this.model)) return;
    const changes = followSample(this.model, index, split);
    this.views.output.setFollow(index, split);
    this.send({ type: "follow", index, split });
    this.invalidate(...changes);
  }

  /** After a `hello`: apply the URL's config once, carry a lost session's settings over, follow again. */
  sessionStarted() {
    const m = this.model;
    const previous = m.replacedConfig;
    if (previous) {
      m.replacedConfig = null;
      const diff = diffConfig(previous, m.config);
      if (previous.dataset === "custom") {
        // The uploaded file may be gone with the old process: keep the new session's data.
        delete diff.dataset;
        delete diff.dataset_id;
      }
      this.configure(diff);
      this.replaced();
    }
    if (this.urlConfig) {
      const diff = diffConfig(this.urlConfig, m.config);
      this.urlConfig = null;
      this.configure(diff);
    }
    // A shared link's step: a new session replays training from its seed up to it (training
    // is deterministic: the same weights as when the link was copied). A resumed session is
    // already where it was.
    const target = this.ui.step;
    this.ui.step = 0;
    if (target > 0 && !m.resumed && m.step === 0) this.replayTo(target);
    // A session restored from a checkpoint (server restart) no longer follows: ask again.
    if (m.resumed && m.follow !== null && m.follow !== undefined) this.send({ type: "follow", index: m.follow, split: m.followSplit ?? "train" });
  }

  /** Train `target` iterations from step 0, in `step` messages of at most MAX_STEP_COUNT; never
   * past the server's kept history (max_seek_history, 10,000 by default): a hand-edited link
   * must not queue millions of steps. */
  replayTo(target) {
    const most = this.model.limits?.max_seek_history ?? 10000;
    for (let left = Math.min(target, most); left > 0; left -= MAX_STEP_COUNT) this.send({ type: "step", unit: "iteration", count: Math.min(left, MAX_STEP_COUNT) });
  }

  async upload(file) {
    this.uploadNote(`Uploading ${file.name}…`);
    const body = new FormData();
    body.append("file", file);
    try {
      const res = await fetch("/api/datasets", { method: "POST", body });
      const payload = await res.json().catch(() => ({}));
      if (!res.ok) {
        const detail = typeof payload.detail === "string" ? payload.detail : payload.detail?.message ?? payload.message ?? JSON.stringify(payload.detail ?? payload);
        this.uploadNote(res.status === 413 ? `The file is too large (limit ${formatNumber((this.model.limits?.max_csv_bytes ?? 1048576) / 1048576, 2)} MB).` : `Could not use ${file.name}: ${detail}`, "error");
        return;
      }
      const classes = isClassification(payload.task) ? ` (${payload.n_classes} classes)` : "";
      this.uploadNote(`${file.name}: ${payload.rows} rows, ${payload.features?.length ?? "?"} features, ${payload.task}${classes}.`);
      this.configure({ dataset: "custom", dataset_id: payload.dataset_id });
    } catch (err) {
      this.uploadNote(`Upload failed: ${err.message}`, "error");
    }
  }
}
