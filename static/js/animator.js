// Animations on the diagram's effects canvas, for the displayed sample: forward pulses travel
// left → right along a layer's edges (size ∝ |w·a|, the term each adds to z), backward pulses
// right → left (size ∝ |w·dZ|, the term each adds to dA of the unit it reaches), and the update
// morphs every edge from W to W + ΔW with each edge glowing by its |dW| (dW is the edge's own
// property, the batch's gradient, not something that flows).
// One animation at a time; a new one first finishes the running one, so nothing piles up.

import { diverging } from "./colors.js";
import { traceEdge } from "./diagram/edges.js";

const REDUCED = globalThis.matchMedia?.("(prefers-reduced-motion: reduce)").matches ?? false;

export const DURATIONS = { forward: 480, backward: 480, update: 650 };

function ease(t) {
  return t < 0.5 ? 2 * t * t : 1 - (-2 * t + 2) ** 2 / 2;
}

export class Animator {
  constructor(diagram) {
    this.diagram = diagram;
    this.current = null;
    this.raf = 0;
    this.speed = 1;
  }

  get running() {
    return this.current !== null;
  }

  /** Run `anim` = {duration, draw(t), end()}; finishes any running animation first. */
  start(anim) {
    this.finish();
    const duration = REDUCED ? 0 : anim.duration / this.speed;
    if (duration <= 0) {
      anim.draw?.(1);
      this.clear();
      anim.end?.();
      this.drawIdle();
      return;
    }
    this.current = { ...anim, duration, t0: performance.now() };
    const tick = (now) => {
      const cur = this.current;
      if (!cur) return;
      const t = Math.min(1, (now - cur.t0) / cur.duration);
      this.clear();
      cur.draw(t);
      if (t >= 1) {
        this.current = null;
        this.clear();
        cur.end?.();
        this.drawIdle();
        return;
      }
      this.raf = requestAnimationFrame(tick);
    };
    this.raf = requestAnimationFrame(tick);
  }

  /** Jump to the end of the running animation. */
  finish() {
    const cur = this.current;
    if (!cur) return;
    cancelAnimationFrame(this.raf);
    this.current = null;
    cur.draw(1);
    this.clear();
    cur.end?.();
  }

  clear() {
    const g = this.diagram.geom;
    if (!g) return;
    this.diagram.fxCanvas.getContext("2d").clearRect(0, 0, g.width, g.height);
  }

  /** Static overlay when nothing animates: the selected edge's outline. */
  drawIdle() {
    if (this.current) return;
    this.clear();
    const sel = this.diagram.selection;
    if (!sel || sel.type !== "edge" || !this.diagram.geom || !this.diagram.weights) return;
    const ctx = this.diagram.fxCanvas.getContext("2d");
    ctx.beginPath();
    traceEdge(ctx, this.diagram.edgeEnds(sel.layer, sel.row, sel.col));
    ctx.strokeStyle = this.diagram.theme === "dark" ? "rgba(255,255,255,0.9)" : "rgba(20,30,50,0.85)";
    ctx.lineWidth = 2;
    ctx.setLineDash([5, 3]);
    ctx.stroke();
    ctx.setLineDash([]);
  }

  /**
   * Pulses along the edges of layer l. `amounts[j][i]` sets each pulse's size (normalised),
   * `signs` its colour; direction +1 forward (left → right), −1 backward.
   */
  pulses(l, amounts, direction, t) {
    const d = this.diagram;
    if (!d.geom || !amounts) return;
    const ctx = d.fxCanvas.getContext("2d");
    let max = 0;
    for (const row of amounts) for (const v of row) if (Number.isFinite(v) && Math.abs(v) > max) max = Math.abs(v);
    if (!(max > 0)) max = 1;
    const theme = d.theme;
    const p = ease(t);
    const pos = direction > 0 ? p : 1 - p;
    const fade = t > 0.85 ? (1 - t) / 0.15 : 1;
    const outline = theme === "dark" ? "rgba(10,12,16,0.8)" : "rgba(255,255,255,0.9)";
    ctx.lineWidth = 1;
    for (let j = 0; j < amounts.length; j++) {
      const row = amounts[j];
      for (let i = 0; i < row.length; i++) {
        const v = row[i];
        if (!Number.isFinite(v)) continue;
        const size = Math.abs(v) / max;
        const [x, y] = d.edgePoint(l, j, i, pos);
        ctx.beginPath();
        ctx.arc(x, y, 1.4 + 5.6 * Math.sqrt(size), 0, Math.PI * 2);
        ctx.globalAlpha = fade * (0.35 + 0.65 * size);
        ctx.fillStyle = diverging(v < 0 ? -0.95 : 0.95, theme);
        ctx.fill();
        ctx.strokeStyle = outline;
        ctx.stroke();
      }
    }
    ctx.globalAlpha = 1;
  }

  /** A glow on the neurons of column c as the pulses arrive. */
  arrive(c, t) {
    const d = this.diagram;
    if (!d.geom || t < 0.7) return;
    const ctx = d.fxCanvas.getContext("2d");
    const a = (t - 0.7) / 0.3;
    const col = d.geom.columns[c];
    ctx.strokeStyle = d.theme === "dark" ? `rgba(255,255,255,${0.7 * (1 - a)})` : `rgba(30,40,60,${0.55 * (1 - a)})`;
    ctx.lineWidth = 3;
    for (let j = 0; j < col.ys.length; j++) {
      if (col.xs) continue;
      ctx.beginPath();
      ctx.arc(col.x, col.ys[j], col.r + 2 + 6 * a, 0, Math.PI * 2);
      ctx.stroke();
    }
  }

  /** Forward pass of layer l: pulses carry w·a from column l−1 to column l. */
  forward(l, W, aPrev, end) {
    let amounts = null;
    if (W) {
      amounts = W.map((row) => {
        if (l === 1 && this.diagram.geom?.image) {
          let z = 0;
          for (let i = 0; i < row.length; i++) z += row[i] * (aPrev?.[i] ?? 0);
          return [z];
        }
        return row.map((w, i) => w * (aPrev?.[i] ?? 1));
      });
    }
    this.start({
      duration: DURATIONS.forward,
      draw: (t) => {
        this.pulses(l, amounts, +1, t);
        this.arrive(l, t);
      },
      end,
    });
  }

  /**
   * Backward pass of layer l for the displayed sample: pulses carry w·dZⱼ from unit j of column l
   * back to unit i of column l−1 (the terms of dAᵢ = Σⱼ dZⱼ·wⱼᵢ). An image input gets one pulse
   * per hidden unit, sized by ‖Wⱼ‖·dZⱼ.
   */
  backward(l, W, dZ, end) {
    let amounts = null;
    if (W && dZ) {
      if (l === 1 && this.diagram.geom?.image) amounts = W.map((row, j) => [Math.sqrt(row.reduce((a, w) => a + w * w, 0)) * dZ[j]]);
      else amounts = W.map((row, j) => row.map((w) => w * dZ[j]));
    }
    this.start({
      duration: DURATIONS.backward,
      draw: (t) => {
        this.pulses(l, amounts, -1, t);
        this.arrive(l - 1, t);
      },
      end,
    });
  }

  /** The update: every edge morphs from `from` to `to`, glowing by `glow` (per layer {W: dW}). */
  morph(from, to, glow, end, keepGlow = false) {
    const d = this.diagram;
    if (!from || !to) {
      end?.();
      return;
    }
    if (!d.fits(from) || !d.fits(to)) {
      end?.();
      return;
    }
    const lerp = (t) =>
      from.map((layer, k) => ({
        W: layer.W.map((row, j) => row.map((w, i) => w + (to[k].W[j][i] - w) * t)),
        b: layer.b.map((b, j) => b + (to[k].b[j] - b) * t),
      }));
    d.beginMorph();
    this.start({
      duration: DURATIONS.update,
      draw: (t) => {
        const e = ease(t);
        d.drawEdges(t >= 1 ? to : lerp(e), glow, Math.max(0.45, Math.sin(Math.PI * Math.min(1, t * 1.4))));
      },
      end: () => {
        d.endMorph(to, glow, keepGlow);
        end?.();
      },
    });
  }
}
