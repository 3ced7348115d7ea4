// Entry point: builds the views and wires them together; no state of its own. The options
// (`GET /api/options`) come first, because the controls are built from them. Then every server
// message goes through the store (store.js), whose list of changes goes to the notices and to
// the renderer; the renderer redraws once per animation frame (render.js).

import { Connection } from "./socket.js";
import { applyMessage, connectionChanged, createModel, isWatching, layerCount } from "./store.js";
import { computeDisplay } from "./display.js";
import { hideSelectors, parseUrl, toSearch } from "./state.js";
import { loadOptions } from "./options.js";
import { Diagram } from "./diagram/diagram.js";
import { Animator } from "./animator.js";
import { OutputView } from "./output/output-view.js";
import { Charts } from "./charts.js";
import { LossSliceView } from "./lossslice.js";
import { CompareCard } from "./compare/card.js";
import { Inspector } from "./inspector.js";
import { Controls } from "./controls.js";
import { Commands } from "./commands.js";
import { Notices } from "./notices.js";
import { Header } from "./header.js";
import { Renderer } from "./render.js";
import { showTooltip } from "./panels.js";
import { formatNumber, superscript, weightSymbol } from "./format.js";
import { bindKeyboard } from "./keyboard.js";
import { Experiments } from "./experiments/experiments.js";
import { TakeHome } from "./takehome.js";
import { WeightPicker } from "./weight-picker.js";

const $ = (id) => document.getElementById(id);
const options = await loadOptions();
const model = createModel();
const url = parseUrl(location.search, options);
const ui = { ...url.ui, row: 0, selection: null };
const stats = { model, ui, renders: 0, acks: 0, renderMs: [], lastStepLatency: null, display: () => computeDisplay(model, { row: ui.row }) };
window.__bpl = stats;

// ----- hide controls (?hide=…) -----
if (ui.hide.length) {
  // A constructed sheet, not a <style> element: the page's CSP refuses inline style elements.
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(`${hideSelectors(ui.hide).join(",")} { display: none !important; }`);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
  // Whole panels gone: the grid gives their columns to the diagram (app.css, "no-data" …).
  document.body.classList.toggle("no-data", ui.hide.includes("data"));
  document.body.classList.toggle("no-out", ui.hide.includes("output") && ui.hide.includes("charts"));
}

function writeUrl() {
  if (url.watch || !model.config) return;
  const search = toSearch(model.config, { ...ui, theme: url.ui.theme ? header.theme : null });
  if (search !== location.search) history.replaceState(null, "", `${location.pathname}${search}`);
}

// ----- views -----
const diagram = new Diagram($("diagram"), {
  onSelect: (sel) => select(sel),
  onHover: (sel, e) => {
    output.setPreview(sel && sel.type === "neuron" && sel.layer < layerCount(model) ? sel : null);
    showTooltip(sel ? hoverText(sel) : null, e);
  },
  onHidden: (hidden) => commands.configure({ hidden }),
  onSelectionDrawn: () => animator.drawIdle(),
  netControls: $("net-controls"),
});
const animator = new Animator(diagram);
// The page moving under a still pointer (a scroll, e.g. the inspector coming into view) ends
// the hover: its tooltip and the unit's picture in the output would describe something else.
window.addEventListener("scroll", () => diagram.hover(null), { passive: true });
// A spectator cannot choose the sample to follow (its owner does): no pick, and no "click to follow".
const output = new OutputView($("heatmap"), { onPick: (index, split) => commands.follow(index, split), canPick: () => !isWatching(model), tooltip: showTooltip }, $("output-checks"));
const charts = new Charts($("chart"), $("chart-tabs"), $("log-scale"), $("warnings"));
charts.setLogLoss(ui.log);
const lossSlice = new LossSliceView($("loss-slice"), $("loss-slice-open"), (msg) => commands.send(msg));
const compare = new CompareCard($("compare"), { send: (msg) => commands.send(msg), options });
const inspector = new Inspector($("inspector"), {
  onSetWeight: (p) => commands.send({ type: "set_weight", ...p }),
  onSetBias: (p) => commands.send({ type: "set_bias", ...p }),
});
const controls = new Controls(
  {
    configure: (partial) => commands.configure(partial),
    togglePlay: () => commands.togglePlay(),
    step: () => commands.step(),
    back: () => commands.back(),
    reset: () => commands.reset(),
    seek: (s) => commands.seek(s),
    setUnit: (u) => commands.setUnit(u),
    setSpeed: (sp) => commands.setSpeed(sp),
    newWeights: () => commands.newWeights(),
    regenerate: () => commands.regenerate(),
    upload: (file) => commands.upload(file),
    gradcheck: () => commands.gradcheck(),
    setView: (v) => {
      Object.assign(ui, v);
      output.setOptions({ showTest: ui.test, discretize: ui.discretize });
      writeUrl();
    },
  },
  options,
);
output.setOptions({ showTest: ui.test, discretize: ui.discretize });
$("log-scale").addEventListener("change", () => {
  if (charts.kind === "loss") {
    ui.log = $("log-scale").checked;
    writeUrl();
  }
});

// ----- connection, commands, notices, drawing -----
const conn = new Connection({
  location,
  storage: globalThis.sessionStorage,
  watch: url.watch,
  onMessage: (msg) => onMessage(msg),
  onStatus: (st) => {
    notices.status(st);
    renderer.invalidate(...connectionChanged(model, st.state));
  },
});
stats.conn = conn;
const uploadNote = (text, kind) => controls.uploadMessage(text, kind);
const commands = new Commands({
  model,
  conn,
  ui,
  urlConfig: url.watch || url.ui.experiment ? null : url.config, // an experiment brings its config
  views: { animator, output },
  invalidate: (...changes) => renderer.invalidate(...changes),
  writeUrl,
  uploadNote,
  replaced: () => notices.replaced(),
});
const notices = new Notices({
  model,
  reconnect: () => conn.reconnectNow(),
  configure: (partial) => commands.configure(partial),
  seek: (step) => commands.seek(step),
  reset: () => commands.reset(),
  uploadNote,
});
const header = new Header({
  model,
  theme: ui.theme ?? (document.documentElement.dataset.theme === "dark" ? "dark" : "light"),
  writeUrl,
  onTheme: (theme) => {
    for (const view of [diagram, output, controls, charts, lossSlice, compare]) view.setTheme(theme);
    if (ui.theme) {
      ui.theme = theme;
      writeUrl();
    }
    renderer.invalidate("moment");
  },
});
const takeHome = new TakeHome({ model, note: (text) => notices.banner.show("takehome", "warn", "Not opened:", text, [], 9000) });
const renderer = new Renderer({ model, ui, views: { diagram, animator, output, charts, inspector, controls, lossSlice, compare }, theme: () => header.theme, commands, writeUrl, stats });
Object.assign(stats, { diagram, output });
const experiments = new Experiments({ model, commands, ui, writeUrl, select: (sel) => select(sel), showChart: (kind) => charts.show(kind), invalidate: (...changes) => renderer.invalidate(...changes) });
stats.experiments = experiments;

function onMessage(msg) {
  const changes = applyMessage(model, msg);
  if (changes.includes("session")) {
    header.sessionStarted();
    takeHome.sessionStarted();
    commands.sessionStarted();
  }
  notices.react(changes);
  renderer.invalidate(...changes);
  experiments.react(changes);
}

function hoverText(sel) {
  if (sel.type === "edge") {
    const w = model.layers?.[sel.layer - 1]?.W?.[sel.row]?.[sel.col];
    return `${weightSymbol(sel.layer, sel.row, sel.col)} = ${formatNumber(w, 4)} · click to inspect and edit`;
  }
  if (sel.type === "bias") return `b${superscript(sel.layer)}[${sel.unit + 1}] = ${formatNumber(model.layers?.[sel.layer - 1]?.b?.[sel.unit], 4)}`;
  const g = diagram.neurons[sel.layer]?.[sel.unit]?.g;
  return g?.getAttribute("aria-label") ?? (sel.layer === layerCount(model) ? "Output" : `Layer ${sel.layer}`);
}

// Double-clicking a weight or a bias (as the help says) puts the cursor in its edit box, once
// the inspector drew it (two frames: the click's selection renders in the next one).
$("diagram").addEventListener("dblclick", () => {
  requestAnimationFrame(() =>
    requestAnimationFrame(() => {
      const input = $("inspector").querySelector("form.edit input");
      if (!input || !ui.selection || ui.selection.type === "neuron") return;
      input.focus();
      input.select();
    }),
  );
});

const weightPicker = new WeightPicker($("weight-pick"), (sel) => select(sel));

function select(sel) {
  ui.selection = sel;
  const sizes = diagram.net?.sizes;
  weightPicker.update(sel, sizes, sizes ? sizes.length - 1 : 0);
  diagram.setSelection(sel);
  animator.drawIdle();
  renderer.invalidate("moment");
  // What was chosen is read in the inspector: bring its heading into view once it is drawn.
  if (sel) requestAnimationFrame(() => requestAnimationFrame(() => $("inspector").querySelector("h3")?.scrollIntoView({ block: "nearest" })));
}

// ----- keyboard -----
const dialog = $("shortcuts");
$("help").addEventListener("click", () => dialog.showModal());
bindKeyboard(
  document,
  {
    "toggle-play": () => commands.togglePlay(),
    step: () => commands.step(),
    back: () => commands.back(),
    reset: () => commands.reset(),
    help: () => dialog.showModal(),
    escape: () => (ui.selection ? select(null) : false),
  },
  () => dialog.open,
);

// ----- start -----
header.setTheme(header.theme);
for (const err of url.errors) console.warn(`Ignored URL parameter: ${err}`);
conn.connect();
document.addEventListener("visibilitychange", () => {
  if (!document.hidden && conn.open) commands.send({ type: "sync" });
});
