import { readFile } from 'node:fs/promises';

/** Reads a small text file; null when it is missing or unreadable (optional system files). */
export async function readTextOrNull(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}
