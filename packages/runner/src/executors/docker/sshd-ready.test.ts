import { describe, expect, it } from 'vitest';
import type { ContainerState } from './docker-engine.js';
import { sshEndpoints } from './sshd-ready.js';

const state = (over: Partial<ContainerState>): ContainerState => ({
  running: true,
  paused: false,
  oomKilled: false,
  restarting: false,
  restartCount: 0,
  exitCode: 0,
  labels: {},
  ports: {},
  addresses: [],
  ...over,
});

describe('sshEndpoints', () => {
  it("puts the container's own addresses (port 22) before the loopback published port", () => {
    const endpoints = sshEndpoints(
      state({
        addresses: ['172.17.0.5'],
        ports: {
          '22/tcp': [
            { hostIp: '::1', hostPort: 41000 },
            { hostIp: '127.0.0.1', hostPort: 40022 },
          ],
        },
      }),
    );
    expect(endpoints).toEqual([
      { host: '172.17.0.5', port: 22 },
      { host: '127.0.0.1', port: 40022 },
    ]);
  });

  it('has only the published port without an address, and nothing for a stopped container', () => {
    expect(sshEndpoints(state({ ports: { '22/tcp': [{ hostIp: '127.0.0.1', hostPort: 40022 }] } }))).toEqual([
      { host: '127.0.0.1', port: 40022 },
    ]);
    expect(sshEndpoints(state({ running: false }))).toEqual([]);
  });
});
