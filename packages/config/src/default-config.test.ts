import { describe, expect, it } from 'vitest';
import { ClientConfigSchema, HostConfigSchema, RunnerConfigSchema } from '@kawa/protocol';
import { renderDefaultConfig } from './default-config.js';

/** The keys a section of the rendered default config mentions, commented or not. */
function keysOf(text: string, section: string): string[] {
  const body = text.split(`[${section}]`)[1]?.split(/^\[/m)[0] ?? '';
  return [...body.matchAll(/^#? ?([a-z_]+) = /gm)].map((match) => match[1] as string);
}

describe('the default config', () => {
  it.each([
    ['host', HostConfigSchema],
    ['runner', RunnerConfigSchema],
    ['client', ClientConfigSchema],
  ] as const)('documents every [%s] key the schema knows, and no other', (section, schema) => {
    expect(keysOf(renderDefaultConfig(), section).sort()).toEqual(Object.keys(schema.shape).sort());
  });
});
