import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Node } from '@kawa/protocol';
import { kawa, startDaemon, tempHome, uniqueNodeName } from '../test-support.js';

describe('kawa host and kawa runner', () => {
  it('start separately, join up, and stop cleanly', async () => {
    const home = tempHome();
    const env = { HOME: home };
    const host = startDaemon(['host', '--port', '0', '--log-level', 'warn'], env);
    try {
      const url = (await host.line(/^Kawa host listening at (\S+)$/))[1] ?? '';
      expect(host.stdout.text()).toContain(join(home, '.kawa', 'host', 'join-token'));
      const name = uniqueNodeName('runner');
      const runner = startDaemon(
        ['runner', '--name', name, '--host-url', url, '--state-dir', join(home, 'runner-state'), '--log-level', 'warn'],
        env,
      );
      try {
        await runner.line(new RegExp(`^Kawa runner ${name} connected$`));
        const nodes = await kawa(env, '--host-url', url, 'node', 'list', '--json');
        expect(nodes.code, nodes.stderr).toBe(0);
        expect((JSON.parse(nodes.stdout) as { nodes: Node[] }).nodes.map((node) => node.name)).toEqual([name]);
      } finally {
        expect(await runner.stop()).toBe(0);
      }
    } finally {
      expect(await host.stop()).toBe(0);
      rmSync(home, { recursive: true, force: true });
    }
  }, 60_000);
});
