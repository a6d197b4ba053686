import { parseMemory } from '@kawa/protocol';

/** Why a memory field's text is not a size (empty means no limit), or null. */
export function memoryProblem(text: string): string | null {
  return text.trim() === '' || parseMemory(text) !== null ? null : 'write a size like 512M, 4G or 2Gi';
}

/** A whole number typed into a number field, or null when the field is empty or not a whole number. */
export function wholeNumber(value: unknown): number | null {
  return typeof value === 'number' && Number.isInteger(value) ? value : null;
}
