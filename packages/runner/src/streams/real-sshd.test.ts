import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { dockerReady, startDockerHarness, uniqueTaskId, type DockerHarness } from '../testing/docker-harness.js';
import { taskSpec } from '../testing/executor-harness.js';
import { FakeHost } from '../testing/fake-host.js';
import { REAL_VPS_IMAGE, realVpsImageExists } from '../testing/fake-sshd-image.js';
import { createStreamService, type StreamService } from './stream-service.js';

const run = promisify(execFile);
const ready = (await dockerReady()) && (await realVpsImageExists());

/**
 * A real OpenSSH server in the VPS test image (scripts/test-images.sh) and the real OpenSSH
 * client, with the reverse stream in between: ssh → a loopback TCP port of the test → the fake
 * host's end of a stream → the runner → the VPS's published port. Every byte of the SSH
 * protocol crosses the stream, so a lost or reordered byte fails the login.
 */
describe.skipIf(!ready)('a real sshd through the reverse stream', () => {
  let harness: DockerHarness;
  let host: FakeHost;
  let service: StreamService;
  let bridge: Server;
  let keyDir: string;
  let vpsId: number;

  beforeAll(async () => {
    keyDir = await mkdtemp(join(tmpdir(), 'kawa-ssh-'));
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'kawa-test', '-f', join(keyDir, 'id')]);
    harness = await startDockerHarness();
    host = new FakeHost();
    const hostUrl = await host.listen();
    const h = harness;
    service = createStreamService({
      hostUrl,
      token: () => Promise.resolve('join-secret'),
      nodeName: h.nodeName,
      engine: h.engine,
      subject: (taskId) => h.executor.lookup(taskId),
      logger: createLogger('silent'),
    });
    const spec = taskSpec(uniqueTaskId(), ['not-run'], {
      kind: 'vps',
      image: REAL_VPS_IMAGE,
      publicKey: await readFile(join(keyDir, 'id.pub'), 'utf8'),
    });
    vpsId = spec.id;
    h.executor.start(spec);
    await h.event(spec.id, ['running', 'failed'], 40_000);

    // What `kawa ssh --stdio` and the host do, in little: each connection gets a stream.
    bridge = createServer((client) => {
      const streamId = randomBytes(12).toString('base64url');
      const frame = { type: 'stream-open' as const, requestId: 1, streamId, taskId: vpsId, kind: 'ssh' as const };
      void service.open({ ...frame, cols: 80, rows: 24, command: null, raw: false }).then(async (outcome) => {
        if (!outcome.ok) {
          client.destroy();
          return;
        }
        const stream = await host.stream(streamId);
        stream.socket.on('message', (data: Buffer) => client.write(data));
        stream.socket.on('close', () => client.end());
        client.on('data', (data) => stream.socket.send(data, { binary: true }));
        client.on('close', () => stream.socket.close());
        // Bytes that came before these listeners were recorded; send them first.
        client.write(stream.bytes());
      });
    });
    await new Promise<void>((resolve) => bridge.listen(0, '127.0.0.1', resolve));
  }, 60_000);

  afterAll(async () => {
    await new Promise((resolve) => bridge?.close(resolve));
    await service?.close();
    await harness?.close();
    await host?.close();
    await rm(keyDir, { recursive: true, force: true });
  });

  const ssh = (...args: string[]) =>
    run(
      'ssh',
      [
        '-p',
        String((bridge.address() as AddressInfo).port),
        '-i',
        join(keyDir, 'id'),
        '-o',
        'StrictHostKeyChecking=no',
        '-o',
        'UserKnownHostsFile=/dev/null',
        '-o',
        'BatchMode=yes',
        '-o',
        'ConnectTimeout=10',
        '-o',
        'LogLevel=ERROR',
        ...args,
      ],
      { timeout: 30_000 },
    );

  it('logs in as root with the key and runs a command', async () => {
    expect(harness.events.find((event) => event.taskId === vpsId)?.status).toBe('running');
    const { stdout } = await ssh('root@127.0.0.1', 'echo "$(id -un) in $(hostname)"; cat /root/.ssh/authorized_keys');
    expect(stdout).toMatch(/^root in [0-9a-f]{12}\nssh-ed25519 \S+ kawa-test\n$/);
  });

  it('sees the OpenSSH banner through the stream and offers no password login', async () => {
    const streamId = randomBytes(12).toString('base64url');
    const outcome = await service.open({
      type: 'stream-open',
      requestId: 2,
      streamId,
      taskId: vpsId,
      kind: 'ssh',
      cols: 80,
      rows: 24,
      command: null,
      raw: false,
    });
    expect(outcome).toEqual({ ok: true });
    await (await host.stream(streamId)).until('SSH-2.0-OpenSSH');
    // With no key to offer, the server has nothing else: publickey is the only method.
    const refused = await ssh(
      '-o',
      'PubkeyAuthentication=no',
      '-o',
      'PreferredAuthentications=password,keyboard-interactive',
      'root@127.0.0.1',
      'true',
    ).then(
      () => 'logged in',
      (error: { stderr?: string }) => error.stderr ?? '',
    );
    expect(refused).toMatch(/Permission denied \(publickey\)/);
  });
});
