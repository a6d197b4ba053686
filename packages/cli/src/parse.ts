import { TaskIdParamsSchema, envNameProblem, parseOrThrow } from '@kawa/protocol';
import { UsageError, checkLocally } from './errors.js';

/** Commander collector for repeatable options (-t A -t B). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Task ids from the command line, each checked as the API checks it. */
export function parseTaskIds(texts: readonly string[]): number[] {
  return texts.map((text) => {
    if (!/^\d+$/.test(text.trim()))
      throw new UsageError('KAWA_ERR_BAD_REQUEST', `task id "${text}" is not a positive whole number`);
    return checkLocally(() => parseOrThrow(TaskIdParamsSchema, { id: text.trim() }, `task id "${text}"`).id);
  });
}

/** A batch id (--batch B), checked as the API checks ids. */
export function parseBatchId(text: string): number {
  if (!/^\d+$/.test(text.trim()))
    throw new UsageError('KAWA_ERR_BAD_REQUEST', `batch id "${text}" is not a positive whole number`);
  return checkLocally(() => parseOrThrow(TaskIdParamsSchema, { id: text.trim() }, `batch id "${text}"`).id);
}

/** A number flag that must parse as a finite number; `what` names it in the error. */
export function parseNumber(
  text: string,
  what: string,
  code: ConstructorParameters<typeof UsageError>[0] = 'KAWA_ERR_USAGE',
): number {
  const value = text.trim() === '' ? Number.NaN : Number(text);
  if (!Number.isFinite(value)) throw new UsageError(code, `${what} must be a number, got "${text}"`);
  return value;
}

/** A whole, non-negative number flag (--tail, --offset, --limit). */
export function parseCount(text: string, what: string): number {
  const value = parseNumber(text, what);
  if (!Number.isSafeInteger(value) || value < 0)
    throw new UsageError('KAWA_ERR_USAGE', `${what} must be a whole number of 0 or more, got "${text}"`);
  return value;
}

/** An env name (host container, tarball), checked as the API checks it. */
export function parseEnvName(text: string): string {
  const problem = envNameProblem(text);
  if (problem !== null) throw new UsageError('KAWA_ERR_BAD_ENV_NAME', problem);
  return text;
}

/** A whole number flag within [min, max] (--priority, --gpus, --retry); the error names the range. */
export function parseWholeNumber(text: string, flag: string, min: number, max: number): number {
  const value = text.trim() === '' ? Number.NaN : Number(text);
  if (!Number.isSafeInteger(value) || value < min || value > max)
    throw new UsageError('KAWA_ERR_USAGE', `${flag} takes a whole number from ${min} to ${max}, got "${text}"`);
  return value;
}
