// What the diagram shows at the current moment, derived from the model (pure, unit-tested): for
// each layer (0 = the input) which quantity (activation a or gradient dZ) and its values for the
// displayed sample, which weights to draw, and the gradients / updates for the animations.

import { forward, featurize, inputFeatures } from "./nn.js";
import { layerCount } from "./store.js";
import { backwardIndex, forwardIndex, lossIndex, updateIndex } from "./protocol.js";

/** The network input of training sample `index` as the page knows it, or null. */
export function sampleInput(data, index, split = "train") {
  if (!data) return null;
  const set = data[split];
  if (!set) return null;
  if (set.x && set.x[index]) return set.x[index];
  const names = inputFeatures(data);
  if (set.points && set.points[index] && names) {
    const [x1, x2] = set.points[index];
    return featurize(x1, x2, names);
  }
  return null;
}

function rowOf(matrix, r) {
  if (!Array.isArray(matrix) || matrix.length === 0) return null;
  return matrix[Math.min(r, matrix.length - 1)] ?? null;
}

/**
 * True when the phase at `index` of the iteration is on screen: no walk is shown (`shown` null:
 * everything is), or the walk has reached that phase.
 */
function reached(shown, index) {
  return !shown || shown.index >= index;
}

/** True when the page follows a sample and has its `sample` message. */
function isFollowing(model) {
  return Boolean(model.sample) && model.follow !== null && model.follow !== undefined;
}

/** The followed sample's message is of the current step (while playing it is stale). */
function hasFreshSample(model) {
  return isFollowing(model) && !model.playing && (model.sample.step === undefined || model.sample.step === model.step);
}

/** Row `row` (clamped) of a batch of `size` rows: its sample index, label and input. */
function batchRow(batch, size, row, x) {
  const r = Math.min(row, Math.max(0, size - 1));
  return { size, row: r, index: batch?.indices?.[r] ?? null, y: batch?.y?.[r] ?? null, x: rowOf(x, r) };
}

/** The batch row shown during a phase walk (the first forward phase carries the batch). */
function walkRow(phases, row) {
  const f1 = phases[forwardIndex(1)];
  return batchRow(f1?.batch, f1?.batch?.indices?.length ?? f1?.A_prev?.length ?? 0, row, f1?.A_prev);
}

/** The batch row shown for an iteration record. */
function recordRow(record, row) {
  return batchRow(record.batch, record.batch?.indices?.length ?? 0, row, record.batch?.x);
}

/** The loss phase's numbers for `row`, or null before the loss phase. */
function walkLoss(phases, L, row) {
  const msg = phases[lossIndex(L)];
  if (!msg) return null;
  return { loss: msg.loss, regLoss: msg.reg_loss ?? null, probs: rowOf(msg.A, row), y: Array.isArray(msg.y) ? (msg.y[row] ?? null) : null };
}

/** The page's own forward pass of the followed sample, else of the probe: {index, split, x, y, pass} or null. */
function probePass(model, opts) {
  const following = isFollowing(model);
  const index = following ? model.follow : (opts.probe ?? 0);
  const split = following ? (model.followSplit ?? "train") : "train";
  const x = sampleInput(model.data, index, split);
  if (!x || !model.config || x.length !== model.layers[0].W[0]?.length) return null;
  const pass = forward(model.layers, x, model.config.activation, model.data?.task);
  return { index, split, x, y: model.data?.[split]?.y?.[index] ?? null, pass };
}

/**
 * Compute the display for the model.
 * @param {object} model the store's model
 * @param {{row?: number}} [opts] row of the batch to show (default 0)
 * @returns {{
 *   mode: string, shown: object|null, L: number,
 *   values: Array<{kind: "a"|"dz"|null, values: number[]|null}>,
 *   input: number[]|null, weights: Array|null, next: Array|null, glow: Array|null,
 *   grads: Array<number[][]|null>, source: string, sampleIndex: number|null, split: string,
 *   label: any, probs: number[]|null, loss: number|null, regLoss: number|null, batchSize: number, row: number
 *   (glow: per layer {W: dW, b: db}, the edges' glow at the update)
 * }}
 */
export function computeDisplay(model, opts = {}) {
  const L = layerCount(model);
  const out = {
    mode: "idle",
    shown: model.shown,
    L,
    values: Array.from({ length: L + 1 }, () => ({ kind: null, values: null })),
    input: null,
    weights: model.layers,
    next: null,
    glow: null,
    grads: Array.from({ length: L }, () => null),
    source: "none",
    sampleIndex: null,
    split: "train",
    label: null,
    probs: null,
    loss: null,
    regLoss: null,
    batchSize: 0,
    row: 0,
  };
  if (!model.layers || L === 0) return out;
  const following = isFollowing(model);
  const walk = model.walk;
  const row = Math.max(0, opts.row ?? 0);

  if (model.playing) out.mode = "playing";

  // Values of the walk (per-phase messages) or of the record that produced this step.
  const phases = walk ? walk.phases : [];
  const shown = model.shown;
  if (shown && walk && !model.playing) {
    out.mode = shown.phase;
    const b = walkRow(phases, row);
    Object.assign(out, { batchSize: b.size, row: b.row, sampleIndex: b.index, label: b.y });
    if (following) {
      fillFromSample(out, model.sample, shown, L);
    } else {
      out.source = "batch";
      out.input = b.x;
      out.values[0] = { kind: "a", values: out.input };
      const upto = shown.phase === "forward" ? shown.layer : L;
      for (let l = 1; l <= upto; l++) {
        const msg = phases[forwardIndex(l)];
        out.values[l] = { kind: "a", values: rowOf(msg?.A, b.row) };
      }
      if (shown.phase === "backward" || shown.phase === "update") {
        const lowest = shown.phase === "backward" ? shown.layer : 1;
        for (let l = L; l >= lowest; l--) {
          const msg = phases[backwardIndex(l, L)];
          out.values[l] = { kind: "dz", values: rowOf(msg?.dZ, b.row) };
        }
      }
      const loss = walkLoss(phases, L, b.row);
      if (loss) {
        out.loss = loss.loss;
        out.regLoss = loss.regLoss;
        out.probs = loss.probs;
        if (out.label === null) out.label = loss.y;
      } else if (shown.phase === "forward" && shown.layer === L) {
        out.probs = out.values[L].values;
      }
    }
    for (let l = 1; l <= L; l++) {
      const msg = phases[backwardIndex(l, L)];
      if (msg && reached(shown, backwardIndex(l, L))) out.grads[l - 1] = msg.dW;
    }
    if (shown.phase === "update") {
      const up = phases[updateIndex(L)];
      if (up?.layers) {
        out.next = up.layers.map((x) => ({ W: x.W_next, b: x.b_next }));
        out.glow = up.layers.map((x) => ({ W: x.dW ?? x.update_W, b: x.db ?? x.update_b }));
      }
    }
    return out;
  }

  const record = model.records.get(model.step);
  // While playing, the followed sample's message is stale: the page computes its pass itself.
  if (hasFreshSample(model)) {
    out.mode = "sample";
    fillFromSample(out, model.sample, null, L);
    return out;
  }
  if (record && !model.playing && !following) {
    out.mode = "done";
    out.source = "record";
    const b = recordRow(record, row);
    Object.assign(out, { batchSize: b.size, row: b.row, sampleIndex: b.index, label: b.y, input: b.x });
    out.values[0] = { kind: "a", values: out.input };
    for (let l = 1; l <= L; l++) out.values[l] = { kind: "a", values: rowOf(record.layers[l - 1]?.A, b.row) };
    out.probs = out.values[L].values;
    out.loss = record.loss;
    out.regLoss = record.reg_loss ?? null;
    out.grads = record.layers.map((x) => x.dW);
    out.glow = record.layers.map((x) => ({ W: x.dW ?? x.update_W, b: x.db ?? x.update_b }));
    return out;
  }

  // At rest (or playing): the page's own forward pass of a probe sample with the current weights.
  const probe = probePass(model, opts);
  if (probe) {
    Object.assign(out, { source: "page", split: probe.split, sampleIndex: probe.index, label: probe.y, input: probe.x });
    out.values[0] = { kind: "a", values: probe.x };
    for (let l = 1; l <= L; l++) out.values[l] = { kind: "a", values: probe.pass[l - 1].A };
    out.probs = probe.pass[L - 1].A;
  }
  return out;
}

function fillFromSample(out, sample, shown, L) {
  out.source = "sample";
  out.sampleIndex = sample.index;
  out.split = sample.split ?? "train";
  out.label = sample.y;
  out.input = sample.x;
  out.loss = sample.loss;
  out.values[0] = { kind: "a", values: sample.x };
  const layers = sample.layers ?? [];
  for (let l = 1; l <= L; l++) {
    const s = layers[l - 1];
    if (!s) continue;
    const kind = shown && reached(shown, backwardIndex(l, L)) ? "dz" : reached(shown, forwardIndex(l)) ? "a" : null;
    out.values[l] = { kind, values: kind === "a" ? s.A : kind === "dz" ? s.dZ : null };
  }
  out.probs = layers[L - 1]?.A ?? null;
  out.loss = reached(shown, lossIndex(L)) ? sample.loss : null;
  for (let l = 1; l <= L; l++) {
    const s = layers[l - 1];
    if (s?.dW && shown && reached(shown, backwardIndex(l, L))) out.grads[l - 1] = s.dW;
  }
}

/**
 * Every number of the current moment for the inspector: per layer the weights used, and for the
 * displayed sample the vectors Z, A, dA, dZ (null until that phase was shown), the batch
 * gradients dW, db and the update. Layer 0 of `layers` is layer 1.
 */
export function momentRecord(model, opts = {}) {
  const L = layerCount(model);
  const rec = { source: "none", row: 0, sampleIndex: null, split: "train", x: null, y: null, loss: null, probs: null, m: 0, truncated: false, layers: [], mode: "idle", shownIndex: -1 };
  if (!model.layers) return rec;
  const blank = () => ({ W: null, b: null, Z: null, A: null, dA: null, dZ: null, dW: null, db: null, dW_reg: null, update_W: null, update_b: null, W_next: null, b_next: null, mask: null, A_prev_all: null, dZ_all: null, sampleDW: null });
  rec.layers = Array.from({ length: L }, blank);
  model.layers.forEach((layer, k) => {
    rec.layers[k].W = layer.W;
    rec.layers[k].b = layer.b;
  });
  const following = isFollowing(model);
  const row = Math.max(0, opts.row ?? 0);
  const walk = model.walk;
  const record = model.records.get(model.step);
  const shownIndex = model.shown && walk ? model.shown.index : -1;
  rec.shownIndex = shownIndex;
  const applyUpdate = (up) => {
    rec.learningRate = up.learning_rate;
    rec.optimizer = up.optimizer;
    up.layers.forEach((u, k) => Object.assign(rec.layers[k], { update_W: u.update_W, update_b: u.update_b, W_next: u.W_next, b_next: u.b_next }));
  };

  if (hasFreshSample(model)) {
    // The followed sample's own numbers, revealed as far as the phase walk has gone.
    const smp = model.sample;
    const shown = shownIndex >= 0 ? model.shown : null;
    rec.mode = shown ? shown.phase : "sample";
    rec.source = "sample";
    rec.sampleIndex = smp.index;
    rec.split = smp.split ?? "train";
    rec.x = smp.x;
    rec.y = smp.y;
    rec.m = 1;
    const L2 = rec.layers.length;
    (smp.layers ?? []).forEach((s, k) => {
      if (!rec.layers[k]) return;
      const l = k + 1;
      const fwd = reached(shown, forwardIndex(l));
      const bwd = reached(shown, backwardIndex(l, L2));
      if (fwd) Object.assign(rec.layers[k], { Z: s.Z, A: s.A });
      if (bwd) Object.assign(rec.layers[k], { dZ: s.dZ, dW: s.dW, db: s.db, sampleDW: s.dW });
    });
    const lossShown = reached(shown, lossIndex(L2));
    rec.loss = lossShown ? smp.loss : null;
    rec.probs = lossShown || (shown?.phase === "forward" && shown.layer === L2) ? (smp.layers?.[L2 - 1]?.A ?? null) : null;
    const up = shown?.phase === "update" ? walk.phases[updateIndex(L2)] : null;
    if (up?.layers) applyUpdate(up);
  } else if (shownIndex >= 0 && !model.playing) {
    rec.mode = model.shown.phase;
    const phases = walk.phases;
    const b = walkRow(phases, row);
    Object.assign(rec, { m: b.size, row: b.row, source: "batch", sampleIndex: b.index, y: b.y, x: b.x });
    rec.truncated = Boolean(phases[forwardIndex(1)]?.batch?.truncated ?? false);
    const r = b.row;
    for (let l = 1; l <= L; l++) {
      const f = phases[forwardIndex(l)];
      const t = rec.layers[l - 1];
      if (f) {
        t.W = f.W ?? t.W;
        t.b = f.b ?? t.b;
        t.Z = rowOf(f.Z, r);
        t.A = rowOf(f.A, r);
        t.mask = rowOf(f.mask, r);
        t.A_prev_all = f.A_prev;
      }
      const bw = phases[backwardIndex(l, L)];
      if (bw) {
        t.dA = rowOf(bw.dA, r);
        t.dZ = rowOf(bw.dZ, r);
        t.dZ_all = bw.dZ;
        t.dW = bw.dW;
        t.db = bw.db;
        t.dW_reg = bw.dW_reg ?? null;
      }
    }
    const loss = walkLoss(phases, L, r);
    if (loss) {
      rec.loss = loss.loss;
      rec.probs = loss.probs;
      if (rec.y === null) rec.y = loss.y;
    }
    const up = phases[updateIndex(L)];
    if (up?.layers) applyUpdate(up);
  } else if (record && !model.playing && !following) {
    rec.mode = "done";
    rec.source = "record";
    const b = recordRow(record, row);
    Object.assign(rec, { m: b.size, row: b.row, sampleIndex: b.index, y: b.y, x: b.x });
    rec.truncated = Boolean(record.truncated);
    const r = b.row;
    rec.loss = record.loss;
    rec.learningRate = record.learning_rate;
    rec.optimizer = record.optimizer;
    record.layers.forEach((layer, k) => {
      Object.assign(rec.layers[k], {
        W: layer.W,
        b: layer.b,
        Z: rowOf(layer.Z, r),
        A: rowOf(layer.A, r),
        dA: rowOf(layer.dA, r),
        dZ: rowOf(layer.dZ, r),
        dZ_all: layer.dZ,
        dW: layer.dW,
        db: layer.db,
        dW_reg: layer.dW_reg ?? null,
        update_W: layer.update_W,
        update_b: layer.update_b,
        W_next: layer.W_next,
        b_next: layer.b_next,
        mask: rowOf(layer.mask, r),
      });
      rec.layers[k].A_prev_all = k === 0 ? record.batch?.x : record.layers[k - 1].A;
    });
    rec.probs = rec.layers[L - 1].A;
    // The weights drawn now are W_next; the numbers above were computed with W (the step before).
    rec.weightsNote = "before this update";
  }
  const probe = rec.source === "none" && model.data ? probePass(model, opts) : null;
  if (probe) {
    Object.assign(rec, { source: "page", sampleIndex: probe.index, split: probe.split, x: probe.x, y: probe.y });
    probe.pass.forEach((p, k) => Object.assign(rec.layers[k], { Z: p.Z, A: p.A }));
    rec.probs = probe.pass[L - 1].A;
  }
  return rec;
}
