/**
 * Sweeps: an argument that is exactly `span:{a..b}` (integers, inclusive, either direction) or
 * `span:[x,y,…]` (list items, split on commas) stands for each of its values; a command with
 * several spans stands for the Cartesian product, the first span varying slowest. `kawa task
 * submit` (host-side, with `sweep: true`) and `kawarun` share this syntax.
 */

/** Most commands one sweep may expand to. */
export const MAX_SWEEP_SIZE = 10_000;

const RANGE = /^span:\{(-?\d{1,15})\.\.(-?\d{1,15})\}$/;
const LIST = /^span:\[(.*)\]$/s;

/** Why a span argument is malformed. */
export class SweepSyntaxError extends Error {
  override readonly name = 'SweepSyntaxError';
}

/** The values an argument stands for: one value for a plain argument, several for a span. */
export function spanValues(argument: string): string[] {
  if (!argument.startsWith('span:')) return [argument];
  const range = RANGE.exec(argument);
  if (range) {
    const from = Number(range[1]);
    const to = Number(range[2]);
    const count = Math.abs(to - from) + 1;
    if (count > MAX_SWEEP_SIZE)
      throw new SweepSyntaxError(`${argument} has ${count} values; a sweep has at most ${MAX_SWEEP_SIZE}`);
    const step = to >= from ? 1 : -1;
    return Array.from({ length: count }, (_, index) => String(from + index * step));
  }
  const list = LIST.exec(argument);
  if (list) {
    const items = (list[1] ?? '').split(',');
    if (items.some((item) => item === ''))
      throw new SweepSyntaxError(`${argument} has an empty item: write span:[a,b,c]`);
    return items;
  }
  throw new SweepSyntaxError(`${argument} is not a span: write span:{1..3} (integers) or span:[a,b,c] (items)`);
}

/** True when some argument is a span. */
export function hasSpans(argv: readonly string[]): boolean {
  return argv.some((argument) => argument.startsWith('span:'));
}

/** How many commands `argv` expands to, without building them. */
export function sweepSize(argv: readonly string[]): number {
  return argv.reduce((product, argument) => product * spanValues(argument).length, 1);
}

/** Every command `argv` stands for, in order (the first span varies slowest). */
export function expandSweep(argv: readonly string[]): string[][] {
  const choices = argv.map(spanValues);
  const size = choices.reduce((product, values) => product * values.length, 1);
  if (size > MAX_SWEEP_SIZE)
    throw new SweepSyntaxError(`the sweep expands to ${size} commands; at most ${MAX_SWEEP_SIZE}`);
  let commands: string[][] = [[]];
  for (const values of choices) commands = commands.flatMap((prefix) => values.map((value) => [...prefix, value]));
  return commands;
}
