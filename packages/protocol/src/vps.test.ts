import { describe, expect, it } from 'vitest';
import { parseOrThrow } from './errors.js';
import { canTransition } from './task.js';
import { CreateVpsRequestSchema, publicKeyProblem } from './vps.js';

const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk3mFcGZ7m2sL0m9bq2b4c1dQvJt8nM0wq8Yk7o1a2b user@laptop';

const codeOf = (body: unknown): string => {
  try {
    parseOrThrow(CreateVpsRequestSchema, body, 'vps');
    return 'ok';
  } catch (error) {
    return (error as { code: string }).code;
  }
};

describe('VPS contract', () => {
  it('accepts one OpenSSH public key line', () => {
    expect(publicKeyProblem(ED25519)).toBeNull();
    expect(publicKeyProblem(`${ED25519}\n`)).toBeNull();
  });

  it.each([
    ['', 'empty'],
    ['-----BEGIN OPENSSH PRIVATE KEY-----', 'a private key'],
    [`${ED25519}\n${ED25519}`, 'two keys'],
    [`command="rm -rf /" ${ED25519}`, 'an options prefix'],
    ['ssh-dss AAAAB3NzaC1kc3MAAACBAP' + 'A'.repeat(80), 'a refused key type'],
    ['ssh-ed25519 AAAA', 'a short body'],
  ])('refuses %j (%s)', (key) => {
    expect(publicKeyProblem(key)).toEqual(expect.any(String));
  });

  it.each([
    [{ publicKey: ED25519 }, 'ok'],
    [{ publicKey: ED25519, target: 'node1::0', cores: 2, memory: '4G', image: 'debian:12' }, 'ok'],
    [{ publicKey: 'nope' }, 'KAWA_ERR_BAD_PUBLIC_KEY'],
    [{ publicKey: ED25519, container: 'NULL' }, 'KAWA_ERR_BAD_REQUEST'],
    [{ publicKey: ED25519, container: 'env', image: 'debian:12' }, 'KAWA_ERR_BAD_REQUEST'],
    [{ publicKey: ED25519, target: 'node1::0', gpus: 1 }, 'KAWA_ERR_BAD_TARGET'],
    [{}, 'KAWA_ERR_BAD_REQUEST'],
  ])('create %j → %s', (body, code) => {
    expect(codeOf(body)).toBe(code);
  });

  it('lets a stopped VPS be restarted or killed, and stops only live tasks', () => {
    expect(canTransition('running', 'stopped')).toBe(true);
    expect(canTransition('paused', 'stopped')).toBe(true);
    expect(canTransition('stopped', 'assigned')).toBe(true);
    expect(canTransition('stopped', 'killed')).toBe(true);
    expect(canTransition('completed', 'stopped')).toBe(false);
    expect(canTransition('stopped', 'running')).toBe(false);
  });
});
