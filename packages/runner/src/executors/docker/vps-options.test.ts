import { isKawaError } from '@kawa/protocol';
import { describe, expect, it } from 'vitest';
import { taskSpec } from '../../testing/executor-harness.js';
import { TEST_PUBLIC_KEY } from '../../testing/fake-sshd-image.js';
import { listTar } from '../../testing/tar-entries.js';
import type { ContainerContext } from './container-options.js';
import { authorizedKeysArchive } from './vps-key.js';
import { buildVpsContainerOptions, SSHD_SCRIPT } from './vps-options.js';

const TEST_KEY = TEST_PUBLIC_KEY;

const context: ContainerContext = {
  image: 'sha256:abc',
  nodeName: 'node-a',
  sharedDir: '/srv/shared',
  localTempDir: '/var/kawa/temp',
  numaZones: [
    { id: 0, cpus: [0, 1], memoryBytes: null },
    { id: 1, cpus: [2, 3], memoryBytes: null },
  ],
};

const vps = (id: number, overrides: Parameters<typeof taskSpec>[2] = {}) =>
  taskSpec(id, ['ignored'], { kind: 'vps', publicKey: TEST_KEY, container: 'dev', ...overrides });

describe('buildVpsContainerOptions', () => {
  it('runs sshd as kawa-vps-<id>, restarting unless stopped, with port 22 on loopback only', () => {
    const options = buildVpsContainerOptions(vps(42, { batchId: 7 }), context);
    expect(options.name).toBe('kawa-vps-42');
    expect(options.Image).toBe('sha256:abc');
    expect(options.Entrypoint).toEqual(['/bin/sh', '-c', SSHD_SCRIPT]);
    expect(options.Cmd).toEqual([]);
    expect(options.ExposedPorts).toEqual({ '22/tcp': {} });
    expect(options.HostConfig?.PortBindings).toEqual({ '22/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] });
    expect(options.HostConfig?.RestartPolicy).toEqual({ Name: 'unless-stopped', MaximumRetryCount: 0 });
    expect(options.Labels).toEqual({
      'kawa.task-id': '42',
      'kawa.batch-id': '7',
      'kawa.node': 'node-a',
      'kawa.kind': 'vps',
    });
    expect(options.Env).toContain('KAWA_TASK_ID=42');
  });

  it('turns password and keyboard-interactive login off, whatever the image configures', () => {
    expect(SSHD_SCRIPT).toMatch(/^ssh-keygen -A >\/dev\/null && mkdir -p \/run\/sshd && exec \/usr\/sbin\/sshd -D -e /);
    for (const option of [
      'PasswordAuthentication=no',
      'KbdInteractiveAuthentication=no',
      'PermitRootLogin=prohibit-password',
      'AuthenticationMethods=publickey',
    ])
      expect(SSHD_SCRIPT).toContain(`-o ${option}`);
  });

  it('applies limits, cpuset, GPUs and the task mounts; cores 0 is no CPU limit', () => {
    const limited = buildVpsContainerOptions(vps(3, { cores: 1.5, memoryBytes: 4e9, numa: 1, gpus: [1] }), context);
    expect(limited.HostConfig).toMatchObject({
      NanoCpus: 1_500_000_000,
      Memory: 4e9,
      MemorySwap: 4e9,
      CpusetCpus: '2,3',
      CpusetMems: '1',
      DeviceRequests: [{ Driver: 'nvidia', DeviceIDs: ['1'], Capabilities: [['gpu']] }],
    });
    expect(limited.HostConfig?.Mounts).toEqual([
      { Type: 'bind', Source: '/srv/shared/data', Target: '/shared', ReadOnly: false },
      { Type: 'bind', Source: '/var/kawa/temp/task-3', Target: '/local_temp', ReadOnly: false },
    ]);
    const unlimited = buildVpsContainerOptions(vps(4, { cores: 0 }), context);
    for (const key of ['NanoCpus', 'Memory', 'CpusetCpus', 'DeviceRequests', 'NetworkMode'])
      expect(unlimited.HostConfig).not.toHaveProperty(key);
  });

  it('refuses a private network, which would cut the published port off', () => {
    expect(() => buildVpsContainerOptions(vps(5, { privateNetwork: true }), context)).toThrow(/private network/);
  });
});

describe('authorizedKeysArchive', () => {
  it('installs the key alone as root, 0700 dirs and a 0600 file', () => {
    expect(listTar(authorizedKeysArchive(1, `${TEST_KEY}\n`))).toEqual([
      { path: 'root/', type: 'dir', mode: 0o700, uid: 0, gid: 0, content: Buffer.alloc(0) },
      { path: 'root/.ssh/', type: 'dir', mode: 0o700, uid: 0, gid: 0, content: Buffer.alloc(0) },
      {
        path: 'root/.ssh/authorized_keys',
        type: 'file',
        mode: 0o600,
        uid: 0,
        gid: 0,
        content: Buffer.from(`${TEST_KEY}\n`),
      },
    ]);
  });

  it.each([
    ['no key', null],
    ['a second key riding along', `${TEST_KEY}\n${TEST_KEY}`],
    ['an options prefix', `command="/bin/sh" ${TEST_KEY}`],
    ['a private key', '-----BEGIN OPENSSH PRIVATE KEY-----'],
  ])('refuses %s with KAWA_ERR_BAD_PUBLIC_KEY', (_what, key) => {
    let code: string | null = null;
    try {
      authorizedKeysArchive(9, key);
    } catch (error) {
      code = isKawaError(error) ? error.code : 'not coded';
    }
    expect(code).toBe('KAWA_ERR_BAD_PUBLIC_KEY');
  });
});
