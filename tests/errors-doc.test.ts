import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { errorCodes } from '@kawa/protocol';

const doc = readFileSync(fileURLToPath(new URL('../docs/errors.md', import.meta.url)), 'utf8');

/** Rows of the table: | `CODE` | status | meaning | */
function documentedCodes(): Map<string, number> {
  const rows = new Map<string, number>();
  for (const match of doc.matchAll(/^\|\s*`(KAWA_ERR_[A-Z_]+)`\s*\|\s*(\d{3})\s*\|/gm)) {
    rows.set(match[1] as string, Number(match[2]));
  }
  return rows;
}

describe('docs/errors.md', () => {
  it('lists exactly the codes the protocol defines', () => {
    expect([...documentedCodes().keys()].sort()).toEqual(Object.keys(errorCodes).sort());
  });

  it('gives each code the HTTP status the protocol gives it', () => {
    const documented = documentedCodes();
    for (const [code, info] of Object.entries(errorCodes)) {
      expect({ code, status: documented.get(code) }).toEqual({ code, status: info.status });
    }
  });
});
