// Every caption and every inspector line, for each optimizer × dropout on/off × regularisation
// (none, L2, L1 + L2) × task, on real phase walks of the server (fixtures/walks.json, recorded by
// fixtures/record_walks.py): the text says the formula of the configuration in use, and the
// numbers it shows multiply and add up to the result it shows, to display precision.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { applyMessage, createModel, followSample, layerCount } from "../../static/js/store.js";
import { computeDisplay, momentRecord } from "../../static/js/display.js";
import { phaseCaption, updateEquations } from "../../static/js/captions.js";
import { biasLines, edgeLines, lineText, neuronLines, partText } from "../../static/js/chain-lines.js";

const walks = JSON.parse(readFileSync(new URL("./fixtures/walks.json", import.meta.url)));
const ROW = 1;

/** A shown number as the learner reads it, with the largest error its rounding allows. */
function shown(p) {
  const v = Number(partText(p).replace(/[()]/g, "").replace("−", "-"));
  assert.ok(Number.isFinite(v), `a shown number: ${partText(p)}`);
  return { v, e: Math.abs(v) * 5 * 10 ** -p.digits * 1.0001 + 1e-15 };
}
const mul = (x, y) => ({ v: x.v * y.v, e: Math.abs(x.v) * y.e + Math.abs(y.v) * x.e + x.e * y.e });
const add = (x, y) => ({ v: x.v + y.v, e: x.e + y.e });
const div = (x, y) => ({ v: x.v / y.v, e: (x.e + Math.abs(x.v / y.v) * y.e) / (Math.abs(y.v) - y.e) });
const exact = (v) => ({ v, e: 0 });

/** The numbers of a line, each with the string just before it. */
function numbers(l) {
  const out = [];
  l.parts.forEach((p, k) => {
    if (typeof p !== "string") out.push({ ...shown(p), before: typeof l.parts[k - 1] === "string" ? l.parts[k - 1] : "" });
  });
  return out;
}

/** Σ x·y (+ the "k more" rest) over the numbers before the last, in pairs. */
function sumOfProducts(nums) {
  let acc = exact(0);
  let k = 0;
  while (k < nums.length) {
    if (nums[k].before.includes("more")) {
      acc = add(acc, nums[k]);
      k += 1;
    } else {
      acc = add(acc, mul(nums[k], nums[k + 1]));
      k += 2;
    }
  }
  return acc;
}

function assertClose(computed, result, what) {
  const err = computed.e + result.e;
  assert.ok(Math.abs(computed.v - result.v) <= err, `${what}: ${computed.v} vs shown ${result.v} (allowed ${err})`);
}

/** Check that the shown parts of `l` give its shown result (per line kind). */
function checkArithmetic(l, rec, ctx, ref) {
  const text = lineText(l);
  const nums = numbers(l);
  const res = nums[nums.length - 1];
  const body = nums.slice(0, -1);
  switch (l.key) {
    case "z": // Σ w·a + b
      return assertClose(add(sumOfProducts(body.slice(0, -1)), body[body.length - 1]), res, text);
    case "dA": // Σ dZ·W
      return assertClose(sumOfProducts(body), res, text);
    case "share":
    case "back":
    case "share_grad":
    case "dZ": // products
      return assertClose(body.reduce(mul), res, text);
    case "grad":
      if (!text.includes("Σᵣ")) return assertClose(mul(body[0], body[1]), res, text); // one sample: dZ·a
      if (body.length === 2) return assertClose(add(body[0], body[1]), res, text); // Σ + regularisation = dW
      return assertClose(exact(ref), res, `${text} (the server's dW)`); // Σ = dW
    case "softmax":
      return assertClose(div(body[0], body[1]), res, text);
    case "activation": {
      const z = body[0];
      const f = { v: Math.tanh(z.v), e: z.e };
      return assertClose(body.length === 2 ? mul(f, body[1]) : f, res, text);
    }
    case "dZ_out": {
      const m = rec.m || 1;
      if (body.length === 1) return assertClose(div(add(body[0], exact(-Number(text.match(/ − (\d)\)/)[1]))), exact(m)), res, text);
      if (body.length === 2) return assertClose(div(mul(exact(2), add(body[0], { v: -body[1].v, e: body[1].e })), exact(m * ctx.k)), res, text);
      return undefined;
    }
    default:
      return undefined;
  }
}

/** What the lines must say for this configuration. */
function checkFormula(lines, cfg, where) {
  for (const l of lines) {
    const text = lineText(l);
    assert.doesNotMatch(text, /leaky_relu|linear\(|_/, `${where}: a raw key in "${text}"`);
    if (l.key === "activation") assert.match(text, cfg.dropout > 0 ? /^a\S+ = tanh\(z\)·d = tanh\(.+\)·\S+ = / : /^a\S+ = tanh\(z\) = tanh\(/, `${where}: ${text}`);
    if (l.key === "dZ") assert.match(text, cfg.dropout > 0 ? /= dA·d·tanh′\(z\) = / : /= dA·tanh′\(z\) = /, `${where}: ${text}`);
    if (l.key === "grad" && text.includes("Σᵣ")) {
      assert.equal(text.includes("λ₂·w"), cfg.l2 > 0, `${where}: ${text}`);
      assert.equal(text.includes("λ₁·sign(w)"), cfg.l1 > 0, `${where}: ${text}`);
    }
    if (l.key === "share_grad") assert.match(text, /^sample r's share dZᵣ\S+·aᵣ\S+ = /);
    if (l.key === "softmax") assert.match(text, /= e\^\(z\S+\)\/Σₖ e\^\(zₖ\) = /);
    if (l.key === "dZ_out") assert.match(text, /^dZ\S+ = (\(ŷ\S+ − y\S+\)\/m|2·\(ŷ\S+ − y\S+\)\/\(m·k\)) = /);
  }
}

/** Every neuron, edge and bias line of the moment on screen. */
function inspectAll(model, cfg, where) {
  const L = layerCount(model);
  const rec = momentRecord(model, { row: ROW });
  const ctx = { config: model.config, data: model.data, L, k: model.layers[L - 1].b.length };
  let count = 0;
  for (let c = 1; c <= L; c++) {
    const t = rec.layers[c - 1];
    for (let j = 0; j < t.W.length; j++) {
      const groups = [[neuronLines(c, j, rec, ctx)], [biasLines(c, j, rec)]];
      for (let i = 0; i < t.W[j].length; i++) groups.push([edgeLines(c, j, i, rec, ctx), t.dW?.[j]?.[i]]);
      for (const [lines, ref] of groups) {
        checkFormula(lines, { ...cfg, dropout: rec.source === "sample" ? 0 : cfg.dropout }, where); // a followed sample's pass has no dropout
        for (const l of lines) {
          checkArithmetic(l, rec, ctx, ref);
          count += 1;
        }
      }
      if (t.db && rec.source === "batch") {
        let s = 0;
        for (const row of t.dZ_all) s += row[j];
        assert.ok(Math.abs(s - t.db[j]) <= 1e-6 * (1 + Math.abs(s)), `${where}: db = Σ dZ`);
      }
    }
  }
  return count;
}

/** The caption of the phase on screen, checked against the configuration and the message. */
function checkCaption(model, msg, cfg, where) {
  const L = layerCount(model);
  const display = computeDisplay(model, { row: ROW });
  const task = model.data.task;
  const cap = phaseCaption({ phase: msg.phase, layer: msg.layer, L, activation: cfg.activation, task, optimizer: cfg.optimizer, dropout: cfg.dropout, l1: cfg.l1, l2: cfg.l2, loss: display.loss, regLoss: display.regLoss, t: msg.optimizer_t });
  const eq = cap.equations.join(" | ");
  const l = msg.layer;
  const sup = "⁰¹²³"[l] ?? "";
  if (msg.phase === "forward") {
    assert.equal(cap.equations[0], `Z${sup} = A${"⁰¹²³"[l - 1]}·W${sup}ᵀ + b${sup}`, where);
    if (l < L) {
      assert.equal(cap.equations[1], cfg.dropout > 0 ? `A${sup} = tanh(Z${sup}) ⊙ D${sup}` : `A${sup} = tanh(Z${sup})`, where);
      if (cfg.dropout > 0) assert.equal(cap.equations[2], `D${sup} = mask/(1 − p), p = 0.5`, where);
    } else if (task === "classification") assert.deepEqual(cap.equations.slice(1), [`Ŷ = A${sup} = softmax(Z${sup})`, "ŷᵣⱼ = e^(zᵣⱼ)/Σₖ e^(zᵣₖ)"], where);
    else assert.equal(cap.equations[1], `Ŷ = A${sup} = Z${sup}`, where);
  } else if (msg.phase === "loss") {
    assert.ok(cap.equations[0].startsWith(task === "classification" ? "L = −(1/m)·Σᵣ Σⱼ yᵣⱼ·log ŷᵣⱼ = " : "L = (1/(m·k))·Σᵣ Σⱼ (ŷᵣⱼ − yᵣⱼ)² = "), where);
    assert.equal(Number(cap.equations[0].split(" = ").pop()), Number(msg.loss.toPrecision(4)), where);
    if (cfg.l1 > 0 || cfg.l2 > 0) {
      const R = cfg.l1 > 0 ? "R = (λ₂/2)·Σₗ‖Wˡ‖² + λ₁·Σₗ|Wˡ|" : "R = (λ₂/2)·Σₗ‖Wˡ‖²";
      assert.ok(cap.equations[1].startsWith(`${R} = `), `${where}: ${eq}`);
      const [, Ls, Rs, Js] = cap.equations[2].match(/^J = L \+ R = (\S+) \+ (\S+) = (\S+)$/);
      assert.equal(Number(Rs), Number(msg.reg_loss.toPrecision(4)), where);
      assertClose(add(shown({ v: Number(Ls), digits: 4 }), shown({ v: Number(Rs), digits: 4 })), shown({ v: Number(Js), digits: 4 }), `${where}: J`);
    } else assert.equal(cap.equations.length, 1, where);
  } else if (msg.phase === "backward") {
    const reg = `${cfg.l2 > 0 ? ` + λ₂W${sup}` : ""}${cfg.l1 > 0 ? ` + λ₁·sign(W${sup})` : ""}`;
    assert.ok(cap.equations.includes(`dW${sup} = dZ${sup}ᵀ·A${"⁰¹²³"[l - 1]}${reg}`), `${where}: ${eq}`);
    if (l === L) assert.equal(cap.equations[0], task === "classification" ? `dZ${sup} = (Ŷ − Y)/m` : `dZ${sup} = 2·(Ŷ − Y)/(m·k)`, where);
    else assert.equal(cap.equations[1], `dZ${sup} = dA${sup}${cfg.dropout > 0 ? ` ⊙ D${sup}` : ""} ⊙ tanh′(Z${sup})`, where);
    if (l === L) assert.doesNotMatch(cap.note, /should change/);
  } else if (msg.phase === "update") {
    assert.deepEqual(cap.equations, updateEquations(cfg.optimizer), where);
    assert.equal(/Every weight takes a step/i.test(cap.note), false);
    if (cfg.optimizer !== "sgd") assert.match(cap.note, /b follows the same rule with db/);
    if (cfg.optimizer === "adam") {
      assert.match(cap.note, /t counts the updates/);
      assert.ok(Number.isInteger(msg.optimizer_t) && msg.optimizer_t > 0, `${where}: the update phase carries t`);
      assert.ok(cap.note.includes(`(t = ${msg.optimizer_t} here)`), `${where}: the note gives t's value: ${cap.note}`);
    } else assert.doesNotMatch(cap.note, /t = \d/);
    assert.doesNotMatch(eq, /dW²/);
  }
  assert.doesNotMatch(eq, /\(1\/m·k\)|leaky_relu/);
}

test("the table: every caption and inspector line of every configuration, on real walks", () => {
  assert.equal(walks.length, 60, "5 optimizers × dropout on/off × 3 regularisations × 2 tasks");
  let lines = 0;
  for (const walk of walks) {
    const model = createModel();
    const cfg = walk.config;
    let phases = 0;
    for (const msg of walk.messages) {
      if (msg.type === "sample") followSample(model, msg.index); // the page's click that asked for it
      applyMessage(model, msg);
      if (msg.type === "phase") {
        const where = `${walk.name} ${msg.phase}${msg.layer ?? ""}`;
        checkCaption(model, msg, { ...cfg, activation: "tanh" }, where);
        lines += inspectAll(model, cfg, where);
        phases += 1;
      }
    }
    assert.equal(phases, 8, walk.name);
    assert.equal(model.sample?.index, 2, walk.name);
    assert.equal(momentRecord(model, { row: ROW }).source, "sample", walk.name);
    lines += inspectAll(model, cfg, `${walk.name} followed sample`);
  }
  assert.ok(lines > 10000, `${lines} lines checked`);
});
