// Entry point: wires the modules together. The store holds the session as the server describes
// it; every message goes through applyMessage, and one requestAnimationFrame pass redraws what
// changed. In play mode each frame is acknowledged after it is drawn (one frame in flight).

import { Connection } from "./socket.js";
import { applyMessage, createModel, layerCount } from "./store.js";
import { computeDisplay, momentRecord } from "./display.js";
import { diffConfig, hideSelectors, parseUrl, toSearch } from "./state.js";
import { Diagram } from "./diagram.js";
import { Animator } from "./animator.js";
import { OutputView } from "./heatmap.js";
import { Charts } from "./charts.js";
import { Inspector } from "./inspector.js";
import { Controls } from "./controls.js";
import { Banner, inputExtent, networkShape, paintWeights, renderCaption, renderLegend, renderSampleNav, renderStats, showTooltip } from "./panels.js";
import { formatCount, formatNumber, superscript } from "./format.js";
import { bindKeyboard } from "./keyboard.js";

const $ = (id) => document.getElementById(id);
const model = createModel();
const url = parseUrl(location.search);
const ui = { ...url.ui, row: 0 };
let pendingUrlConfig = url.watch ? null : url.config;
let selection = null;
let theme = document.documentElement.dataset.theme === "dark" ? "dark" : "light";
if (ui.theme) theme = ui.theme;
document.documentElement.dataset.theme = theme;
const readOnly = () => model.role === "watch";

// ----- hide controls (?hide=…) -----
if (ui.hide.length) {
  const style = document.createElement("style");
  style.textContent = `${hideSelectors(ui.hide).join(",")} { display: none !important; }`;
  document.head.append(style);
}

// ----- views -----
const diagram = new Diagram($("diagram"), {
  onSelect: (sel) => select(sel),
  onHover: (sel, e) => {
    output.setPreview(sel && sel.type === "neuron" && sel.layer < layerCount(model) ? sel : null);
    showTooltip(sel ? hoverText(sel) : null, e);
  },
  onHidden: (hidden) => send({ type: "configure", config: { hidden } }),
  onSelectionDrawn: () => animator.drawIdle(),
  netControls: $("net-controls"),
});
const animator = new Animator(diagram);
const output = new OutputView($("heatmap"), {
  onPick: (index, split) => follow(index, split),
  tooltip: showTooltip,
});
output.wantThumbs = (l) => Boolean(diagram.geom && diagram.geom.columns[l] && diagram.thumbSize(l) >= 12);
const charts = new Charts($("chart"), $("chart-tabs"), $("log-scale"), $("warnings"));
charts.setLogLoss(ui.log);
const inspector = new Inspector($("inspector"), {
  onSetWeight: (p) => send({ type: "set_weight", ...p }),
  onSetBias: (p) => send({ type: "set_bias", ...p }),
});
const controls = new Controls({
  configure: (partial) => configure(partial),
  togglePlay: () => togglePlay(),
  step: () => step(),
  back: () => back(),
  reset: () => reset(),
  seek: (s) => {
    if (model.playing) send({ type: "pause" });
    send({ type: "seek", step: s });
  },
  setUnit: (u) => {
    ui.unit = u;
    writeUrl();
  },
  setSpeed: (sp) => {
    ui.speed = sp;
    writeUrl();
    if (model.playing) send(playMessage());
  },
  newWeights: () => send({ type: "reset", seed: Math.floor(Math.random() * 2 ** 31) }),
  regenerate: () => configure({ data_seed: Math.floor(Math.random() * 2 ** 31) }),
  upload: (file) => upload(file),
  gradcheck: () => send({ type: "gradcheck" }),
  setView: (v) => {
    Object.assign(ui, v);
    output.setOptions({ showTest: ui.test, discretize: ui.discretize });
    writeUrl();
  },
});
output.setOptions({ showTest: ui.test, discretize: ui.discretize });
$("log-scale").addEventListener("change", () => {
  if (charts.kind === "loss") {
    ui.log = $("log-scale").checked;
    writeUrl();
  }
});

// ----- connection -----
const conn = new Connection({
  location,
  storage: globalThis.sessionStorage,
  watch: url.watch,
  onMessage: (msg) => onMessage(msg),
  onStatus: (st) => onStatus(st),
});

function send(msg) {
  if (readOnly() && !["ack", "ping", "sync"].includes(msg.type)) return false;
  return conn.send(msg);
}

function configure(partial) {
  if (!Object.keys(partial).length) return;
  send({ type: "configure", config: partial });
}

function playMessage() {
  return ui.speed === "max" ? { type: "play" } : { type: "play", speed: Number(ui.speed) };
}

function togglePlay() {
  if (model.playing) send({ type: "pause" });
  else send(playMessage());
}

function step() {
  if (model.playing) send({ type: "pause" });
  animator.finish();
  stepClickedAt = performance.now();
  send({ type: "step", unit: ui.unit, count: 1 });
}

function back() {
  if (!model.playing && model.step <= model.history.oldest && model.revealed === 0) return; // nothing earlier
  if (model.playing) send({ type: "pause" });
  animator.finish();
  send({ type: "back", unit: ui.unit, count: 1 });
}

function reset() {
  animator.finish();
  send({ type: "reset" });
}

function follow(index, split = "train") {
  model.follow = index;
  model.followSplit = split;
  if (index === null) model.sample = null;
  output.followSplit = split;
  output.setFollow(index);
  send({ type: "follow", index, split });
  invalidate("moment", "sample");
}

async function upload(file) {
  controls.uploadMessage(`Uploading ${file.name}…`);
  const body = new FormData();
  body.append("file", file);
  try {
    const res = await fetch("/api/datasets", { method: "POST", body });
    const payload = await res.json().catch(() => ({}));
    if (!res.ok) {
      const detail = typeof payload.detail === "string" ? payload.detail : payload.detail?.message ?? payload.message ?? JSON.stringify(payload.detail ?? payload);
      controls.uploadMessage(res.status === 413 ? `The file is too large (limit ${formatNumber((model.limits?.max_csv_bytes ?? 1048576) / 1048576, 2)} MB).` : `Could not use ${file.name}: ${detail}`, "error");
      return;
    }
    controls.uploadMessage(`${file.name}: ${payload.rows} rows, ${payload.features?.length ?? "?"} features, ${payload.task}${payload.task === "classification" ? ` (${payload.n_classes} classes)` : ""}.`);
    configure({ dataset: "custom", dataset_id: payload.dataset_id });
  } catch (err) {
    controls.uploadMessage(`Upload failed: ${err.message}`, "error");
  }
}

// ----- messages -----
let dirty = new Set();
let rafPending = false;
let ackFrame = null;
let stepClickedAt = null;
let lastPhaseMsg = null;
let lastIterationMsg = null;
let lastDrawnWeights = null;

function invalidate(...changes) {
  for (const c of changes) dirty.add(c);
  if (!rafPending) {
    rafPending = true;
    requestAnimationFrame(render);
  }
}

let resumedData = false;
function onMessage(msg) {
  const before = model.layers;
  const changes = applyMessage(model, msg);
  switch (msg.type) {
    case "hello":
      resumedData = Boolean(msg.resumed);
      document.body.classList.toggle("watching", msg.role === "watch");
      $("watch-link").hidden = msg.role === "watch" || !msg.watch_key;
      if (msg.role === "watch") onStatus(lastStatus);
      if (lostSessionConfig && !msg.resumed) {
        const previous = lostSessionConfig;
        lostSessionConfig = null;
        const diff = diffConfig(previous, msg.config);
        if (previous.dataset === "custom") {
          // The uploaded file may be gone with the old process: keep the new session's data.
          delete diff.dataset;
          delete diff.dataset_id;
        }
        if (Object.keys(diff).length) configure(diff);
        banner("session", "info", "The server no longer had this session.", "A new session started with the same settings (seeds included), from step 0.", [], 12000);
      }
      if (pendingUrlConfig) {
        const diff = diffConfig(pendingUrlConfig, msg.config);
        pendingUrlConfig = null;
        if (Object.keys(diff).length) configure(diff);
      }
      // A session restored from a checkpoint (server restart) no longer follows: ask again.
      if (msg.resumed && model.follow !== null && model.follow !== undefined) send({ type: "follow", index: model.follow, split: model.followSplit ?? "train" });
      hideBanner("connection");
      break;
    case "data":
      $("output-checks").hidden = Boolean(msg.image_shape);
      // New data (a rebuild) ends following; the same session's data after a resume keeps it.
      if (!resumedData) model.follow = null;
      resumedData = false;
      output.setData(msg);
      output.followSplit = model.followSplit ?? "train";
      output.setFollow(model.follow ?? null);
      diagram.pixelRange = output.pixelRange;
      break;
    case "phase":
      lastPhaseMsg = msg;
      lastPhaseMsg.prevWeights = before;
      break;
    case "iteration":
      lastIterationMsg = msg;
      break;
    case "frame":
      ackFrame = msg.frame;
      break;
    case "diverged":
      showDiverged(msg);
      break;
    case "state":
      // While a sample is followed the server re-sends it after every state (protocol.md).
      if (!model.diverged) hideBanner("diverged");
      break;
    case "taken_over":
      banner("taken", "info", "This session was opened in another tab.", "Training continues there; this tab stopped.", [["Use it here", () => conn.reconnectNow()]]);
      break;
    case "error":
      onError(msg);
      break;
    default:
      break;
  }
  invalidate(...changes);
}

let lostSessionConfig = null;
function onError(msg) {
  if (msg.code === "invalid_session") {
    // A fresh hello follows: give the new session this one's settings (not its weights).
    if (model.config && !url.watch) lostSessionConfig = model.config;
    return;
  }
  if (msg.code === "unknown_dataset") controls.uploadMessage("That uploaded dataset is no longer on the server: upload it again.", "error");
  banner("error", "warn", "Not applied:", msg.message ?? msg.code, [], 7000);
}

let lastStatus = { state: "connecting", attempt: 0 };
function onStatus(st) {
  lastStatus = st;
  const el = $("conn");
  el.dataset.state = st.state;
  const label = st.state === "open" ? (readOnly() ? "Connected · watching" : "Connected") : st.state === "connecting" ? "Connecting…" : st.state === "reconnecting" ? `Reconnecting${st.attempt > 1 ? ` (attempt ${st.attempt})` : ""}…` : "Disconnected";
  el.querySelector(".conn-text").textContent = label;
  el.title = st.message ?? label;
  if (st.state === "closed" && st.code !== 4001) banner("connection", "warn", "Disconnected.", st.message ?? "", [["Reconnect", () => conn.reconnectNow()]]);
  if (st.state === "reconnecting" && st.code === 1013) banner("connection", "warn", "Server full.", st.message ?? "", [["Retry now", () => conn.reconnectNow()]]);
  if (st.state === "reconnecting" && st.code !== 1013) {
    if (st.message && !lostReason) lostReason = st.message; // why the outage began
    // A blip (a reconnect within a second) shows only in the status; a longer outage says so.
    if (bannerView.key === "connection") showConnectionLost();
    else if (!lostTimer) lostTimer = setTimeout(showConnectionLost, 1200);
  }
  if (st.state === "open") {
    clearTimeout(lostTimer);
    lostTimer = 0;
    lostReason = "";
  }
  if (st.state !== "open") model.playing = false;
  invalidate("status");
}

let lostTimer = 0;
let lostReason = "";
function showConnectionLost() {
  lostTimer = 0;
  if (lastStatus.state !== "reconnecting" || lastStatus.code === 1013) return;
  const restarting = lostReason.startsWith("The server is restarting");
  const attempt = lastStatus.attempt > 1 ? ` (attempt ${lastStatus.attempt})` : "";
  banner(
    "connection",
    "warn",
    restarting ? "The server is restarting." : "Connection to the server lost.",
    `Reconnecting${attempt}… The page picks this session up again (step ${formatCount(model.step)}) as soon as the server answers.`,
    [["Reconnect now", () => conn.reconnectNow()]],
  );
}

// ----- banner -----
const bannerView = new Banner();
const banner = (...args) => bannerView.show(...args);
const hideBanner = (key) => bannerView.hide(key);

function showDiverged(msg) {
  const lr = model.config?.learning_rate ?? 0.03;
  const lower = Number((lr / 10).toPrecision(2));
  const target = Math.max(model.history.oldest, msg.step - 10);
  // The page's own sentence from the fields (the server's message starts "diverged at …").
  const what = msg.quantity === "loss" || !msg.quantity ? "The loss" : `${msg.quantity}${msg.layer ? superscript(msg.layer) : ""}`;
  const why = lr >= 1 ? ` A learning rate of ${formatNumber(lr)} is very high.` : "";
  banner("diverged", "error", "Training diverged.", `${what} stopped being a finite number at step ${formatCount(msg.step)}, so that update was not applied: the network stays at step ${formatCount(Math.max(0, msg.step - 1))}, its last finite state.${why}`, [
    [`Lower the learning rate to ${lower}`, () => configure({ learning_rate: lower })],
    [`Go back to step ${target}`, () => send({ type: "seek", step: target })],
    ["Reset", () => reset()],
  ]);
}

// ----- URL -----
function writeUrl() {
  if (url.watch || !model.config) return;
  const search = toSearch(model.config, { ...ui, theme: url.ui.theme ? theme : null });
  if (search !== location.search) history.replaceState(null, "", `${location.pathname}${search}`);
}

// ----- rendering -----


function render() {
  const started = performance.now();
  try {
    renderNow();
  } finally {
    const times = window.__bpl.renderMs;
    times.push(performance.now() - started);
    if (times.length > 600) times.splice(0, times.length - 600);
  }
}

function renderNow() {
  rafPending = false;
  const changes = dirty;
  dirty = new Set();
  if (!model.layers || !model.config) {
    controls.syncTransport(model, ui, readOnly());
    return;
  }
  const L = layerCount(model);
  if (changes.has("config") || changes.has("data") || changes.has("network") || changes.has("session")) {
    controls.sync(model.config, model.limits, model.data);
    charts.setTask(model.data?.task);
    const net = networkShape(model, !readOnly());
    // Between a rebuild's `data` and its `state` the weights still have the old shape: wait.
    if (net.sizes.length === L + 1 && (!model.data || model.data.input_dim === net.sizes[0])) {
      diagram.setNetwork(net);
      diagram.inputExtent = inputExtent(model.data);
      diagram.pixelRange = output.pixelRange;
    }
    writeUrl();
  }
  const display = computeDisplay(model, { row: ui.row, probe: model.follow ?? 0 });
  // Weights drawn now: during an update phase the morph goes from W to W_next.
  const weightsChanged = model.layers !== lastDrawnWeights;
  if (weightsChanged || changes.has("data") || changes.has("config")) {
    output.setWeights(model.layers, model.config, { playing: model.playing });
    diagram.setThumbnails(output.thumbCanvases);
    lastDrawnWeights = model.layers;
  }
  if (changes.has("phase") && lastPhaseMsg && !model.playing) {
    animatePhase(lastPhaseMsg, display);
    lastPhaseMsg = null;
  } else if (changes.has("iteration") && lastIterationMsg && !model.playing) {
    const rec = lastIterationMsg;
    lastIterationMsg = null;
    diagram.update(display);
    const from = rec.layers.map((l) => ({ W: l.W, b: l.b }));
    const to = rec.layers.map((l) => ({ W: l.W_next, b: l.b_next }));
    const delta = rec.layers.map((l) => ({ W: l.update_W, b: l.update_b }));
    if (!changes.has("phase")) animator.morph(from, to, delta);
  } else if (changes.has("moment") || changes.has("weights") || changes.has("sample") || changes.has("status")) {
    if (!animator.running) diagram.update(display);
    else diagram.lastDisplay = display;
  }
  if (changes.has("sample") || changes.has("moment")) output.setProbs(display.probs, display.label);
  renderCaption(model, display, L);
  renderLegend(display, theme, diagram.edgeMax);
  renderSampleNav(display, { follow, setRow });
  renderStats(model);
  controls.syncTransport(model, ui, readOnly());
  if (changes.has("chart") || changes.has("network")) charts.update(model.chart, L);
  if (changes.has("iteration") || changes.has("frame") || changes.has("state")) charts.setWarnings(model.diagnostics);
  const throttle = model.playing && performance.now() - (render.lastInspector ?? 0) < 250;
  if (!throttle || changes.has("gradcheck")) {
    inspector.render(selection, momentRecord(model, { row: ui.row, probe: model.follow ?? 0 }), {
      config: model.config,
      data: model.data,
      L,
      readOnly: readOnly(),
      gradcheck: model.gradcheck,
      classNames: diagram.net?.classNames,
      paintWeights: (canvas, row) => paintWeights(canvas, row, theme),
    });
    render.lastInspector = performance.now();
  }
  if (stepClickedAt !== null && (changes.has("phase") || changes.has("iteration") || changes.has("state"))) {
    window.__bpl.lastStepLatency = performance.now() - stepClickedAt;
    stepClickedAt = null;
  }
  window.__bpl.renders += 1;
  if (ackFrame !== null) {
    const f = ackFrame;
    ackFrame = null;
    send({ type: "ack", frame: f });
    window.__bpl.acks += 1;
  }
}

function animatePhase(msg, display) {
  const L = layerCount(model);
  if (msg.phase === "forward") {
    const pending = new Set([msg.layer]);
    diagram.update(display, false, pending);
    const aPrev = msg.A_prev?.[Math.min(ui.row, (msg.A_prev?.length ?? 1) - 1)];
    animator.forward(msg.layer, msg.W, aPrev, () => diagram.update(diagram.lastDisplay ?? display));
  } else if (msg.phase === "backward") {
    diagram.update(display);
    animator.backward(msg.layer, msg.dW, () => diagram.update(diagram.lastDisplay ?? display));
  } else if (msg.phase === "update") {
    diagram.update(display);
    const from = msg.prevWeights ?? model.layers;
    const to = msg.layers.map((l) => ({ W: l.W_next, b: l.b_next }));
    const delta = msg.layers.map((l) => ({ W: l.update_W, b: l.update_b }));
    animator.morph(from, to, delta, null, true);
  } else {
    diagram.update(display);
  }
  void L;
}




function setRow(r) {
  ui.row = Math.max(0, r);
  invalidate("moment");
}


function hoverText(sel) {
  const L = layerCount(model);
  if (sel.type === "edge") {
    const w = model.layers?.[sel.layer - 1]?.W?.[sel.row]?.[sel.col];
    return `W${superscript(sel.layer)}[${sel.row + 1},${sel.col + 1}] = ${formatNumber(w, 4)} · click to inspect and edit`;
  }
  if (sel.type === "bias") return `b${superscript(sel.layer)}[${sel.unit + 1}] = ${formatNumber(model.layers?.[sel.layer - 1]?.b?.[sel.unit], 4)}`;
  const g = diagram.neurons[sel.layer]?.[sel.unit]?.g;
  return g?.getAttribute("aria-label") ?? (sel.layer === L ? "Output" : `Layer ${sel.layer}`);
}


function select(sel) {
  selection = sel;
  diagram.setSelection(sel);
  animator.drawIdle();
  invalidate("moment");
}

// ----- theme -----
function applyTheme(next) {
  theme = next;
  document.documentElement.dataset.theme = theme;
  try {
    localStorage.setItem("backprop-lab.theme", theme);
  } catch {
    /* ignore */
  }
  const btn = $("theme-toggle");
  btn.setAttribute("aria-label", theme === "dark" ? "Light theme" : "Dark theme");
  btn.querySelector("use").setAttribute("href", theme === "dark" ? "#i-sun" : "#i-moon");
  diagram.setTheme(theme);
  output.setTheme(theme);
  controls.setTheme(theme);
  charts.setTheme(theme);
  if (ui.theme) {
    ui.theme = theme;
    writeUrl();
  }
  $("legend").dataset.key = "";
  invalidate("moment");
}
$("theme-toggle").addEventListener("click", () => applyTheme(theme === "dark" ? "light" : "dark"));

// ----- share -----
$("share").addEventListener("click", async () => {
  writeUrl();
  const link = location.href;
  const label = $("share").querySelector("span");
  try {
    await navigator.clipboard.writeText(link);
    label.textContent = "Link copied";
  } catch {
    window.prompt("Copy this link:", link);
  }
  setTimeout(() => (label.textContent = "Copy link"), 1800);
});

$("watch-link").addEventListener("click", async () => {
  if (!model.session || !model.watchKey) return;
  const link = `${location.origin}${location.pathname}?watch=${encodeURIComponent(model.session)}&key=${encodeURIComponent(model.watchKey)}`;
  const label = $("watch-link").querySelector("span");
  try {
    await navigator.clipboard.writeText(link);
    label.textContent = "Link copied";
  } catch {
    window.prompt("Copy this spectator link:", link);
  }
  setTimeout(() => (label.textContent = "Watch link"), 1800);
});

// ----- keyboard -----
const dialog = $("shortcuts");
$("help").addEventListener("click", () => dialog.showModal());
bindKeyboard(
  document,
  {
    "toggle-play": () => togglePlay(),
    step: () => step(),
    back: () => back(),
    reset: () => reset(),
    help: () => dialog.showModal(),
    escape: () => (selection ? select(null) : false),
  },
  () => dialog.open,
);

// ----- start -----
window.__bpl = { model, ui, conn, diagram, output, renders: 0, acks: 0, renderMs: [], lastStepLatency: null, display: () => computeDisplay(model, { row: ui.row }) };
applyTheme(theme);
for (const err of url.errors) console.warn(`Ignored URL parameter: ${err}`);
conn.connect();
document.addEventListener("visibilitychange", () => {
  if (!document.hidden && conn.open) send({ type: "sync" });
});
