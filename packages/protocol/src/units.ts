import { z } from 'zod';
import { codedIssue } from './errors.js';

const memoryPattern = /^(\d+(?:\.\d+)?)\s*([kKmMgGtT]i?)?[bB]?$/;
const multipliers: Record<string, number> = {
  k: 1e3,
  m: 1e6,
  g: 1e9,
  t: 1e12,
  ki: 1024,
  mi: 1024 ** 2,
  gi: 1024 ** 3,
  ti: 1024 ** 4,
};

/** The largest memory size Kawa accepts: 1 PB, far above any node, well inside 2^53. */
export const MAX_MEMORY_BYTES = 1e15;

/**
 * Parses a memory size. Plain units are 1000-based (`512M`), `Ki`/`Mi`/`Gi`/`Ti` are
 * 1024-based, as in DESIGN.md. A bare number is bytes. Returns null when it does not parse.
 */
export function parseMemory(text: string): number | null {
  const match = memoryPattern.exec(text.trim());
  if (!match) return null;
  const value = Number(match[1]);
  const unit = (match[2] ?? '').toLowerCase();
  const bytes = Math.round(value * (unit === '' ? 1 : (multipliers[unit] ?? Number.NaN)));
  if (!Number.isFinite(bytes) || bytes <= 0 || bytes > MAX_MEMORY_BYTES) return null;
  return bytes;
}

/** Formats bytes with a 1000-based unit, the inverse of parseMemory's plain units. */
export function formatMemory(bytes: number): string {
  const units = ['B', 'K', 'M', 'G', 'T', 'P'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const digits = value >= 100 || unit === 0 ? 0 : 1;
  return `${value.toFixed(digits)}${units[unit]}`;
}

/** A memory size as given by a client: `"512M"`, `"4Gi"`, or a number of bytes. */
export const MemoryInputSchema = z.union([z.string().max(32), z.number()]).transform((value, ctx) => {
  const bytes = typeof value === 'number' ? value : parseMemory(value);
  if (bytes === null || !Number.isSafeInteger(bytes) || bytes <= 0 || bytes > MAX_MEMORY_BYTES) {
    codedIssue(ctx, 'KAWA_ERR_BAD_MEMORY', `memory "${String(value)}" is not a size like 512M, 4G or 2Gi`);
    return z.NEVER;
  }
  return bytes;
});

/** The largest core count Kawa accepts for one task. */
export const MAX_CORES = 1024;

export const CoresSchema = z.number().superRefine((value, ctx) => {
  if (!Number.isFinite(value) || value < 0 || value > MAX_CORES) {
    codedIssue(ctx, 'KAWA_ERR_BAD_CORES', `cores must be between 0 and ${MAX_CORES}, got ${value}`);
  }
});
