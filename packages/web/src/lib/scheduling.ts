import type { SubmitTaskInput, Target } from '@kawa/protocol';
import { wholeNumber } from './resources';

/** The scheduling fields of the submit form, as typed (number inputs give '' when empty). */
export interface Scheduling {
  priority: number | '';
  gpus: number | '';
  numaAuto: boolean;
  maxParallel: number | '';
  retry: number | '';
  retryOnFail: boolean;
}

export const defaultScheduling = (): Scheduling => ({
  priority: 0,
  gpus: 0,
  numaAuto: false,
  maxParallel: '',
  retry: 0,
  retryOnFail: false,
});

/** Field name → what is wrong with it, for the form to show next to the field. */
export type SchedulingProblems = Partial<Record<keyof Scheduling, string>>;

const within = (value: number | '', min: number, max: number, empty: boolean): boolean => {
  if (value === '') return empty;
  const whole = wholeNumber(value);
  return whole !== null && whole >= min && whole <= max;
};

/** The problems the host would refuse (SubmitTaskRequestSchema), worded for the form. */
export function schedulingProblems(choice: Scheduling, targets: readonly Target[]): SchedulingProblems {
  const problems: SchedulingProblems = {};
  if (!within(choice.priority, -1000, 1000, true)) problems.priority = 'a whole number from -1000 to 1000';
  if (!within(choice.gpus, 0, 64, true)) problems.gpus = 'a whole number from 0 to 64';
  else if (wholeNumber(choice.gpus) !== 0 && targets.some((target) => target.gpus.length > 0))
    problems.gpus = 'a target names GPU ids: give ids in the targets or a count here, not both';
  if (choice.numaAuto && targets.some((target) => target.numa !== null))
    problems.numaAuto = 'a target names a NUMA zone: pick the zone there or let the scheduler pick, not both';
  if (!within(choice.maxParallel, 1, 10_000, true)) problems.maxParallel = 'empty (no limit) or 1 to 10000';
  if (!within(choice.retry, 0, 100, true)) problems.retry = 'a whole number from 0 to 100';
  else if (choice.retryOnFail && (wholeNumber(choice.retry) ?? 0) === 0)
    problems.retryOnFail = 'retrying failed tasks needs at least one retry';
  return problems;
}

/** The scheduling part of a submit body; call only when schedulingProblems found nothing. */
export function schedulingBody(choice: Scheduling): Partial<SubmitTaskInput> {
  return {
    priority: wholeNumber(choice.priority) ?? 0,
    gpus: wholeNumber(choice.gpus) ?? 0,
    numa: choice.numaAuto ? 'auto' : null,
    maxParallel: wholeNumber(choice.maxParallel),
    retry: wholeNumber(choice.retry) ?? 0,
    retryOnFail: choice.retryOnFail,
  };
}
