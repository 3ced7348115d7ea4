// Where the divergence banner's recovery rewinds to: the last step whose weights were healthy.
// The weights just before a divergence are finite but often already huge (a loss of 1e200), so
// rewinding to them and lowering the learning rate diverges again.

/** A batch loss above this multiple of the first recorded one counts as blowing up. */
export const BLOWUP_FACTOR = 2;

/**
 * The latest step before `divergedStep` whose weights gave a finite batch loss no larger than
 * BLOWUP_FACTOR × the first recorded loss, within the kept history [oldest, divergedStep − 1].
 * A chart row at step s holds the loss of the weights at step s − 1 (the loss of iteration s).
 * @param {{steps: number[], loss: (number|null)[]}} chart
 * @param {number} divergedStep the step whose update was not applied
 * @param {number} oldest the oldest step the server keeps
 */
export function healthyStep(chart, divergedStep, oldest) {
  const steps = chart?.steps ?? [];
  const loss = chart?.loss ?? [];
  let first = null;
  for (let i = 0; i < steps.length && first === null; i++) if (steps[i] >= oldest && Number.isFinite(loss[i])) first = loss[i];
  let best = oldest;
  if (first !== null) {
    for (let i = 0; i < steps.length; i++) {
      const weightsStep = steps[i] - 1;
      if (weightsStep < oldest || steps[i] >= divergedStep) continue;
      if (Number.isFinite(loss[i]) && loss[i] <= BLOWUP_FACTOR * Math.max(first, 1e-12)) best = Math.max(best, weightsStep);
    }
  }
  return Math.max(oldest, Math.min(best, divergedStep - 1));
}
