// The paper's schedules: linear anneals of the pixel sigma and the learning rate, pure
// functions of the step.
/**
 * A linear anneal from `start` to `end` over `steps`, then held at `end` (the paper's form for
 * both the pixel sigma and the learning rate).
 */
export interface LinearAnneal {
  start: number;
  end: number;
  steps: number;
}

/** Paper: sigma 2.0 -> 0.7 over 2e5 steps. */
export const PAPER_SIGMA_SCHEDULE: Readonly<LinearAnneal> = Object.freeze({
  start: 2.0,
  end: 0.7,
  steps: 2e5,
});
/** Paper: learning rate 5e-4 -> 5e-5 over 1.6e6 steps. */
export const PAPER_LR_SCHEDULE: Readonly<LinearAnneal> = Object.freeze({
  start: 5e-4,
  end: 5e-5,
  steps: 1.6e6,
});

/** The annealed value at step t: `max(end + (start - end) * (1 - t / steps), end)`. */
export function annealed(schedule: LinearAnneal, step: number): number {
  const value = schedule.end + (schedule.start - schedule.end) * (1 - step / schedule.steps);
  return schedule.start >= schedule.end ? Math.max(value, schedule.end) : Math.min(value, schedule.end);
}
