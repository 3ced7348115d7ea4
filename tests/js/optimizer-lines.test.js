// The inspector's optimizer lines on real engine steps (fixtures/optimizer_steps.json, written
// by fixtures/record_optimizer_steps.py: 3 steps of each optimizer on a 2-3-2 network with L1
// and L2). For every weight and bias: each line's shown numbers, taken at the precision they
// are shown with, recombine to the number the line ends with; the shown Δw contains the
// streamed W_next − W; and the state computed from the state before equals the streamed one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { SLOTS, TERM_DIGITS, WEIGHT_DIGITS, entryInputs, optimizerLines } from "../../static/js/optimizer-lines.js";

const fixture = JSON.parse(readFileSync(new URL("./fixtures/optimizer_steps.json", import.meta.url)));
const OPTIMIZERS = ["sgd", "momentum", "nesterov", "rmsprop", "adam"];

// ── numbers as shown: intervals ───────────────────────────────────────────────────────────

/** The number a shown text stands for: "(−0.01234)" → -0.01234. */
function parseShown(text) {
  return Number(text.replace(/[()]/g, "").replace("−", "-"));
}

/** Every value that displays as `s` ({text, digits}; digits null = exact). */
function interval(s) {
  const x = parseShown(s.text);
  assert.ok(Number.isFinite(x), `"${s.text}" is a number`);
  if (s.digits === null || x === 0) return [x, x];
  const half = 0.5 * 10 ** (Math.floor(Math.log10(Math.abs(x))) - s.digits + 1) * (1 + 1e-9);
  return [x - half, x + half];
}

const I = {
  add: (a, b) => [a[0] + b[0], a[1] + b[1]],
  neg: (a) => [-a[1], -a[0]],
  mul(a, b) {
    const p = [a[0] * b[0], a[0] * b[1], a[1] * b[0], a[1] * b[1]];
    return [Math.min(...p), Math.max(...p)];
  },
  div(a, b) {
    assert.ok(b[0] > 0 || b[1] < 0, "no division by an interval holding 0");
    return I.mul(a, [1 / b[1], 1 / b[0]].sort((x, y) => x - y));
  },
  sqrt: (a) => [Math.sqrt(Math.max(0, a[0])), Math.sqrt(a[1])],
  sq: (a) => (a[0] <= 0 && a[1] >= 0 ? [0, Math.max(a[0] ** 2, a[1] ** 2)] : [Math.min(a[0] ** 2, a[1] ** 2), Math.max(a[0] ** 2, a[1] ** 2)]),
  pow: (a, t) => [a[0] ** t, a[1] ** t], // a > 0
  meets(a, b) {
    const slack = 1e-12 * Math.max(...a.map(Math.abs), ...b.map(Math.abs)); // the intervals' own rounding
    return a[0] <= b[1] + slack && b[0] <= a[1] + slack;
  },
};
const one = [1, 1];

/** What a line's shown terms recombine to (an interval), by the line's key. */
function recombine(line, optimizer, t) {
  const v = Object.fromEntries(line.terms.map((s) => [s.symbol, interval(s)]));
  switch (line.key) {
    case "g":
      return line.terms.length ? I.add(v.data, v.reg) : null;
    case "momentum_buffer":
      return "μ" in v ? I.add(I.mul(v["μ"], v["vₜ₋₁"]), v.g) : v.g;
    case "square_avg":
      return I.add(I.mul(v["α"], v["sₜ₋₁"]), I.mul(v["1−α"], I.sq(v.g)));
    case "exp_avg":
      return I.add(I.mul(v["β₁"], v["mₜ₋₁"]), I.mul(v["1−β₁"], v.g));
    case "exp_avg_sq":
      return I.add(I.mul(v["β₂"], v["vₜ₋₁"]), I.mul(v["1−β₂"], I.sq(v.g)));
    case "m_hat":
      return I.div(v["mₜ"], I.add(one, I.neg(I.pow(v["β₁"], t))));
    case "v_hat":
      return I.div(v["vₜ"], I.add(one, I.neg(I.pow(v["β₂"], t))));
    case "delta": {
      const eta = I.neg(v["η"]);
      if (optimizer === "sgd") return I.mul(eta, v.g);
      if (optimizer === "momentum") return I.mul(eta, v["vₜ"]);
      if (optimizer === "nesterov") return I.mul(eta, I.add(v.g, I.mul(v["μ"], v["vₜ"])));
      if (optimizer === "rmsprop") return I.div(I.mul(eta, v.g), I.add(I.sqrt(v["sₜ"]), v["ε"]));
      return I.div(I.mul(eta, v["m̂ₜ"]), I.add(I.sqrt(v["v̂ₜ"]), v["ε"]));
    }
    case "next":
      return I.add(v.w ?? v.b, v["Δw"] ?? v["Δb"]);
    default:
      return null;
  }
}

// ── every entry of every recorded step ────────────────────────────────────────────────────

/** Every weight and bias entry of every recorded step. */
function collect() {
  const out = [];
  for (const optimizer of OPTIMIZERS) {
    const run = fixture.runs[optimizer];
    for (const { before, iteration } of run.steps) {
      iteration.layers.forEach((layer, l) => {
        const common = { optimizer, run, before, iteration, layer: l + 1 };
        layer.W.forEach((row, r) => row.forEach((_, c) => out.push({ ...common, param: "W", row: r, col: c })));
        layer.b.forEach((_, r) => out.push({ ...common, param: "b", row: r }));
      });
    }
  }
  return out;
}
const ALL = collect();

function inputsOf(e) {
  return entryInputs({ iteration: e.iteration, before: e.before, config: e.run.config, constants: fixture.constants, layer: e.layer, param: e.param, row: e.row, col: e.col });
}

function where(e, line) {
  return `${e.optimizer} step ${e.iteration.step} ${e.param}${e.layer}[${e.row}${e.col === undefined ? "" : `,${e.col}`}] line "${line?.text}"`;
}

test("the fixture holds 3 real steps of each optimizer, with the state streamed before and after", () => {
  for (const optimizer of OPTIMIZERS) {
    const steps = fixture.runs[optimizer].steps;
    assert.equal(steps.length, 3, optimizer);
    steps.forEach(({ before, iteration }, k) => {
      assert.equal(iteration.step, k + 1);
      assert.equal(iteration.optimizer_t, k + 1, "t counts the updates since the start");
      assert.equal(before.optimizer_t, k);
      const opt = iteration.layers[0].opt;
      if (optimizer === "sgd") assert.equal(opt, null, "SGD streams no state");
      else assert.deepEqual(Object.keys(opt.W).sort(), [...SLOTS[optimizer]].sort(), "torch's slot names");
    });
  }
  assert.ok(ALL.length >= 5 * 3 * 17, "every weight and bias of the 2-3-2 network");
});

for (const optimizer of OPTIMIZERS) {
  test(`${optimizer}: the shown numbers of each line recombine to the number it ends with`, () => {
    let checked = 0;
    for (const e of ALL.filter((x) => x.optimizer === optimizer)) {
      const p = inputsOf(e);
      const lines = optimizerLines(p);
      for (const line of lines) {
        if (line.result === null) continue;
        for (const s of line.terms) assert.ok(line.text.includes(s.text), `${where(e, line)} shows ${s.text}`);
        assert.ok(line.text.endsWith(line.result.text) || line.text.includes(`= ${line.result.text}`), `${where(e, line)} shows its result`);
        const got = recombine(line, optimizer, p.hyper.t);
        if (got === null) continue;
        const want = interval(line.result);
        assert.ok(I.meets(got, want), `${where(e, line)}: terms give [${got}], shown result is [${want}]`);
        checked++;
      }
      assert.ok(lines.some((l) => l.key === "delta"), "a Δ line");
    }
    assert.ok(checked > 0);
  });

  test(`${optimizer}: the shown Δ is the streamed W_next − W, and its full value is the streamed update`, () => {
    for (const e of ALL.filter((x) => x.optimizer === optimizer)) {
      const p = inputsOf(e);
      const lines = optimizerLines(p);
      const delta = lines.find((l) => l.key === "delta");
      const moved = p.wNext - p.w;
      const shownDelta = interval(delta.result);
      const slack = 1e-15 * Math.max(Math.abs(p.w), Math.abs(p.wNext)); // the subtraction's own rounding
      assert.ok(shownDelta[0] - slack <= moved && moved <= shownDelta[1] + slack, `${where(e, delta)}: W_next − W = ${moved}`);
      const rec = e.iteration.layers[e.layer - 1];
      const update = e.param === "b" ? rec.update_b[e.row] : rec.update_W[e.row][e.col];
      assert.ok(Math.abs(delta.value - update) <= 1e-12 * Math.abs(update) + 1e-300, `${where(e, delta)}: ${delta.value} vs the applied ${update}`);
      // The lines chain: each shown result is the number the next lines use.
      const byKey = Object.fromEntries(lines.map((l) => [l.key, l]));
      const next = byKey.next;
      assert.equal(parseShown(next.terms[1].text), parseShown(delta.result.text), "w ← w + Δw uses the Δw shown");
      const gTerm = lines.flatMap((l) => l.terms).find((s) => s.symbol === "g");
      if (gTerm) assert.equal(parseShown(gTerm.text), parseShown(byKey.g.result.text), "g is the g shown");
      for (const [slot, sym] of [["momentum_buffer", "vₜ"], ["square_avg", "sₜ"], ["exp_avg", "mₜ"], ["exp_avg_sq", "vₜ"], ["m_hat", "m̂ₜ"], ["v_hat", "v̂ₜ"]]) {
        const used = lines.filter((l) => l.key !== slot).flatMap((l) => l.terms).find((s) => s.symbol === sym);
        if (byKey[slot] && used) assert.equal(parseShown(used.text), parseShown(byKey[slot].result.text), `${sym} used as shown`);
      }
    }
  });

  test(`${optimizer}: the state computed from the state before equals the streamed state`, () => {
    for (const e of ALL.filter((x) => x.optimizer === optimizer)) {
      const p = inputsOf(e);
      if (optimizer === "sgd") {
        assert.equal(p.next, undefined, "no state for SGD");
        continue;
      }
      assert.ok(p.next, "the streamed state of the entry");
      const computed = optimizerLines({ ...p, next: undefined });
      for (const slot of SLOTS[optimizer]) {
        const line = computed.find((l) => l.key === slot);
        const want = p.next[slot];
        assert.ok(Math.abs(line.value - want) <= 1e-12 * Math.abs(want) + 1e-300, `${where(e, line)}: ${line.value} vs streamed ${want}`);
      }
    }
  });
}

test("Adam's lines name torch's slots, define t and keep mₜ apart from the batch size m", () => {
  const e = ALL.find((x) => x.optimizer === "adam" && x.iteration.step === 3 && x.param === "W");
  const lines = optimizerLines(inputsOf(e));
  assert.deepEqual(
    lines.map((l) => l.key),
    ["t", "g", "exp_avg", "exp_avg_sq", "m_hat", "v_hat", "delta", "next", "bias"],
  );
  assert.match(lines[0].text, /^t = 3: updates since Adam \(re\)started; mₜ, vₜ are torch's exp_avg, exp_avg_sq/);
  assert.match(lines[0].text, /not the batch size m/);
  assert.match(lines[1].text, /^g = dW¹₁,₁ = data gradient \+ regularization = /, "g includes L1/L2, said so");
  assert.match(lines[2].text, /^mₜ = β₁·mₜ₋₁ \+ \(1−β₁\)·g = 0\.9·\S+ \+ 0\.1·\S+ = \S+$/);
  assert.match(lines[3].text, /^vₜ = β₂·vₜ₋₁ \+ \(1−β₂\)·g² = 0\.999·\S+ \+ 0\.001·\S+² = \S+$/);
  assert.match(lines[4].text, /^m̂ₜ = mₜ\/\(1−β₁ᵗ\) = \S+\/\(1−0\.9³\) = \S+$/);
  assert.match(lines[6].text, /^Δw = −η·m̂ₜ\/\(√v̂ₜ \+ ε\) = −0\.02·\S+\/\(√\S+ \+ 1e-8\) = \S+$/);
  assert.match(lines[7].text, /^w ← w \+ Δw = /);
  assert.match(lines[8].text, /bias .*g = db/);
});

test("the other rules read as torch writes them", () => {
  const first = (optimizer, step, param = "W") => optimizerLines(inputsOf(ALL.find((x) => x.optimizer === optimizer && x.iteration.step === step && x.param === param)));
  const text = (lines, key) => lines.find((l) => l.key === key).text;
  assert.match(text(first("momentum", 1), "momentum_buffer"), /^vₜ = g = \S+ \(at t = 1 torch starts the buffer at g\)$/);
  assert.match(text(first("momentum", 2), "momentum_buffer"), /^vₜ = μ·vₜ₋₁ \+ g = 0\.9·\S+ \+ \S+ = \S+$/);
  assert.match(text(first("momentum", 2), "delta"), /^Δw = −η·vₜ = −0\.2·\S+ = \S+$/);
  assert.match(text(first("nesterov", 2), "delta"), /^Δw = −η·\(g \+ μ·vₜ\) = −0\.2·\(\S+ \+ 0\.9·\S+\) = \S+$/);
  assert.match(text(first("rmsprop", 2), "square_avg"), /^sₜ = α·sₜ₋₁ \+ \(1−α\)·g² = 0\.99·\S+ \+ 0\.01·\S+² = \S+$/);
  assert.match(text(first("rmsprop", 2), "delta"), /^Δw = −η·g\/\(√sₜ \+ ε\) = −0\.01·\S+\/\(√\S+ \+ 1e-8\) = \S+$/);
  assert.match(text(first("sgd", 2), "delta"), /^Δw = −η·g = −0\.5·\S+ = \S+$/);
  const bias = first("adam", 2, "b");
  assert.match(text(bias, "delta"), /^Δb = /);
  assert.match(text(bias, "next"), /^b ← b \+ Δb = /);
  assert.match(text(bias, "g"), /^g = db¹₁ = \S+$/, "no regularization term on a bias");
  assert.equal(bias.find((l) => l.key === "bias"), undefined);
});

test("without the state before (t > 1, not streamed) the state lines keep the formula and the result only", () => {
  const e = ALL.find((x) => x.optimizer === "adam" && x.iteration.step === 3 && x.param === "W");
  const p = entryInputs({ iteration: e.iteration, before: null, config: e.run.config, constants: fixture.constants, layer: e.layer, param: "W", row: e.row, col: e.col });
  assert.equal(p.prev, undefined, "unknown, not zero");
  const lines = optimizerLines(p);
  assert.match(lines.find((l) => l.key === "exp_avg").text, /^mₜ = β₁·mₜ₋₁ \+ \(1−β₁\)·g = \S+$/);
  const withBefore = optimizerLines(inputsOf(e));
  assert.equal(lines.find((l) => l.key === "delta").text, withBefore.find((l) => l.key === "delta").text, "Δw from the streamed state all the same");
  const stale = entryInputs({ iteration: e.iteration, before: { ...e.before, optimizer_t: 7 }, config: e.run.config, constants: fixture.constants, layer: e.layer, param: "W", row: e.row, col: e.col });
  assert.equal(stale.prev, undefined, "a state of another run of the optimizer is not used");
});

test("the digits shown follow format.js: 4 for state and Δ, 6 for the weight", () => {
  assert.equal(TERM_DIGITS, 4);
  assert.equal(WEIGHT_DIGITS, 6);
  const lines = optimizerLines({ optimizer: "sgd", g: -0.123456789, hyper: { eta: 0.1, t: 5 }, w: 0.5, wNext: 0.5123456789 });
  assert.equal(lines.find((l) => l.key === "delta").text, "Δw = −η·g = −0.1·(−0.1235) = 0.01235");
  assert.equal(lines.find((l) => l.key === "next").text, "w ← w + Δw = 0.5 + 0.01235 = 0.512346");
  const tiny = optimizerLines({ optimizer: "sgd", g: 2.5e-7, hyper: { eta: 0.1, t: 1 }, w: -1, wNext: -1.000000025 });
  assert.equal(tiny.find((l) => l.key === "delta").text, "Δw = −η·g = −0.1·2.500e-7 = −2.500e-8");
});
