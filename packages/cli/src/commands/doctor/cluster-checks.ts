import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KawaClient } from '@kawa/client';
import { KawaError, SHARED_PROBE_DIR } from '@kawa/protocol';
import { probeHost, type HostAnswer } from '../join/probe-host.js';
import { fail, ok, reasonOf, warn, type CheckResult } from './check.js';

/** Reaches the host without a token: any Kawa answer (a 401 too) proves it is there. */
export async function checkHost(
  url: string,
  fetchImpl: typeof fetch | undefined,
  now: () => number,
): Promise<{ result: CheckResult; answer: HostAnswer | null }> {
  try {
    const answer = await probeHost(url, null, { ...(fetchImpl ? { fetch: fetchImpl } : {}), now });
    return { result: ok('host', `a Kawa host answers at ${url} (${answer.roundTripMs} ms)`), answer };
  } catch (error) {
    const message = error instanceof KawaError ? error.message : reasonOf(error);
    return {
      result: fail(
        'host',
        message,
        `check host_url (${url}) in the config; on the host: systemctl status kawa-host, and that [host] listen is an address this node reaches (not 127.0.0.1), and the firewall lets the port through`,
      ),
      answer: null,
    };
  }
}

/** Clock skew against the host's Date header (1 s resolution), taken at the request's midpoint. */
export function checkClock(answer: HostAnswer | null, receivedAt: number): CheckResult {
  if (answer === null) return warn('clock', 'not checked: the host did not answer', 'fix the host check first');
  if (answer.date === null)
    return warn(
      'clock',
      'not checked: the host sent no Date header',
      'check for a proxy between this node and the host',
    );
  const local = receivedAt - answer.roundTripMs / 2;
  // The Date header drops the milliseconds, so up to 1 s of difference is only rounding.
  const skewSeconds = Math.round((local - answer.date.getTime()) / 1000);
  const fix = 'turn on time sync on both machines: timedatectl set-ntp true (or install chrony)';
  const text = `this clock is ${Math.abs(skewSeconds)} s ${skewSeconds >= 0 ? 'ahead of' : 'behind'} the host`;
  if (Math.abs(skewSeconds) <= 2) return ok('clock', `in step with the host (within 2 s)`);
  if (Math.abs(skewSeconds) <= 30) return warn('clock', text, fix);
  return fail('clock', `${text}: task times and heartbeats will be wrong`, fix);
}

/**
 * Writes a probe file into this node's shared dir, asks the host whether it sees the same file
 * in its own, and removes it. Without an API token (or a host) only the write is checked.
 */
export async function checkSharedDir(
  sharedDir: string,
  host: { client: KawaClient } | { notAsked: string; fix: string },
): Promise<CheckResult> {
  const dir = join(sharedDir, SHARED_PROBE_DIR);
  const name = randomBytes(16).toString('hex');
  const content = randomBytes(32).toString('hex');
  const path = join(dir, name);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path, content);
  } catch (error) {
    return fail(
      'shared-dir',
      `cannot write into ${sharedDir}: ${reasonOf(error)}`,
      `mount the shared storage at ${sharedDir} (the same path on every node, see docs/install.md) and make it writable by the user that runs kawa`,
    );
  }
  try {
    if (!('client' in host))
      return warn('shared-dir', `${sharedDir} is writable; not compared with the host: ${host.notAsked}`, host.fix);
    const answer = await host.client.call('doctorSharedProbe', { body: { name, content } });
    if (answer.matches) return ok('shared-dir', `${sharedDir} is writable, and the host sees the same files`);
    return fail(
      'shared-dir',
      `the host does not see what this node writes into ${sharedDir} (host shared_dir: ${answer.sharedDir}${answer.found ? ', a file of that name has other content' : ''})`,
      `mount the same shared storage at the same path on the host and on every node (NFS: see docs/install.md), and set [host] shared_dir and [runner] shared_dir to that path`,
    );
  } catch (error) {
    const message = error instanceof KawaError ? `${error.message} (${error.code})` : reasonOf(error);
    return warn(
      'shared-dir',
      `${sharedDir} is writable; the host could not be asked: ${message}`,
      'fix the host check first',
    );
  } finally {
    rmSync(path, { force: true });
  }
}
