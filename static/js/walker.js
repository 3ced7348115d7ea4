// Slow play by phase: with "Step by" on Phase and a speed a person can follow (≤ 5/s), Play
// walks the phases here, one `step` (unit phase) per tick, instead of asking the server to train
// whole iterations; the speed then counts phases per second. The server's play stays for
// iterations, epochs and faster speeds.

/** The fastest speed (per second) at which Play walks the phases. */
export const WALK_MAX_SPEED = 5;

/** Whether Play should walk phases in the page for this step unit and speed ("max" or a number). */
export function walksPhases(unit, speed) {
  return unit === "phase" && speed !== "max" && Number(speed) <= WALK_MAX_SPEED;
}

export class PhaseWalker {
  /** @param {object} p model, send(msg), invalidate(...changes) */
  constructor({ model, send, invalidate }) {
    Object.assign(this, { model, send, invalidate });
    this.timer = 0;
  }

  get active() {
    return this.timer !== 0;
  }

  start(speed) {
    this.stop();
    const ms = 1000 / Math.max(0.1, Number(speed));
    this.model.walking = true;
    this.tick();
    this.timer = setInterval(() => this.tick(), ms);
    this.invalidate("status", "moment");
  }

  tick() {
    if (!this.send({ type: "step", unit: "phase", count: 1 })) this.stop();
  }

  stop() {
    if (!this.timer && !this.model.walking) return;
    clearInterval(this.timer);
    this.timer = 0;
    this.model.walking = false;
    this.invalidate("status", "moment");
  }
}
