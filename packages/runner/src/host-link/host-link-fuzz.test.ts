import fc from 'fast-check';
import { HostFrameSchema, type NodeUsage } from '@kawa/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { FakeHost } from '../testing/fake-host.js';
import { waitFor } from '../testing/wait-for.js';
import { createHostLink, type HostLink, type HostWorkFrame } from './host-link.js';
import { runnerLinkUrl } from './link-url.js';

/**
 * Issue 6, "fuzz", the runner's side: malformed frames from the host reach the runner's link
 * handler over a real WebSocket on loopback. Each is refused with KAWA_ERR_PROTOCOL in the log,
 * none reaches the runner's work handler, and the link stays up and keeps working.
 */

const usage: NodeUsage = { cpuPercent: 1, memoryUsedBytes: 1, memoryTotalBytes: 2, temperatures: [], gpus: [] };
const resources = { hostname: 'box', cores: 2, memoryBytes: 1000, numa: [], gpus: [] };
const HOST_TYPES = ['welcome', 'task-start', 'task-control', 'stream-open', 'task-event-ack', 'hello', 'nope', ''];
const HOST_KEYS = ['heartbeatIntervalMs', 'task', 'requestId', 'taskId', 'action', 'streamId', 'kind', 'cols', 'rows'];
const validFrames: Record<string, unknown>[] = [
  { type: 'task-control', requestId: 1, taskId: 1, action: 'kill' },
  { type: 'welcome', heartbeatIntervalMs: 1000 },
  {
    type: 'stream-open',
    requestId: 2,
    streamId: 'a'.repeat(32),
    taskId: 1,
    kind: 'terminal',
    cols: 80,
    rows: 24,
    command: null,
  },
];
const nasty = fc.oneof(
  fc.constantFrom('', '..', '/etc/passwd', 'a\u0000b', '1e999', -1, 0, 2 ** 53 + 1, 1e308, null, true, [], {}, '😀'),
  fc.string({ maxLength: 30 }),
  fc.integer(),
  fc.double(),
  fc.jsonValue({ maxDepth: 2 }),
);
const frameText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.constantFrom('{', '[', '{"type":', 'null', '\u0000', '{"type":"task-start"}}'),
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
  fc
    .record({ type: fc.constantFrom(...HOST_TYPES), rest: fc.dictionary(fc.constantFrom(...HOST_KEYS), nasty) })
    .map(({ type, rest }) => JSON.stringify({ ...rest, type })),
  fc
    .record({ frame: fc.constantFrom(...validFrames), key: fc.constantFrom(...HOST_KEYS, 'type'), value: nasty })
    .map(({ frame, key, value }) => JSON.stringify({ ...frame, [key]: value })),
);
const frame = fc.oneof(
  { weight: 9, arbitrary: frameText.map((text) => ({ text })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((binary) => ({ binary: Buffer.from(binary) })) },
);

function isValidFrame(text: string): boolean {
  try {
    return HostFrameSchema.safeParse(JSON.parse(text)).success;
  } catch {
    return false;
  }
}

let host: FakeHost | null = null;
let link: HostLink | null = null;
afterEach(async () => {
  await link?.close();
  await host?.close();
  link = host = null;
});

async function connect(
  onFrame: (frame: HostWorkFrame) => void,
): Promise<{ host: FakeHost; link: HostLink; warnings: string[]; errors: string[] }> {
  host = new FakeHost();
  const url = await host.listen();
  const warnings: string[] = [];
  const errors: string[] = [];
  link = createHostLink({
    url: runnerLinkUrl(url),
    token: () => Promise.resolve('join-secret'),
    hello: () => ({ name: 'node-a', version: '1', resources, liveTasks: [] }),
    usage: () => Promise.resolve(usage),
    onFrame,
    reconnectMaxDelayMs: 200,
    reconnectBaseDelayMs: 10,
    logger: createLogger('warn', (line) => (line.includes(' error: ') ? errors : warnings).push(line)),
  });
  await link.connected;
  return { host, link, warnings, errors };
}

describe('fuzz: malformed frames from the host at the runner link', () => {
  it('refuses 250 malformed frames with KAWA_ERR_PROTOCOL, passes none on, and keeps the link', async () => {
    const received: HostWorkFrame[] = [];
    const { host, link, warnings } = await connect((work) => received.push(work));
    const socket = host.connections.at(-1)!;
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(frame, async (input) => {
        if ('text' in input) fc.pre(!isValidFrame(input.text));
        const before = warnings.length;
        if ('text' in input) socket.send(input.text);
        else socket.send(input.binary, { binary: true });
        sent += 1;
        await waitFor(() => warnings.length > before, 'the refusal');
      }),
      { numRuns: 250, seed: 6_2032, endOnFailure: true },
    );
    expect(sent).toBe(250);
    const refusals = warnings.filter((line) => line.includes('KAWA_ERR_PROTOCOL: ignored'));
    expect(refusals).toHaveLength(250);
    expect(received).toEqual([]);
    // Still the first connection, still answering: a valid frame gets through.
    expect(link.isConnected()).toBe(true);
    expect(host.connections).toHaveLength(1);
    socket.send(JSON.stringify(validFrames[0]));
    await waitFor(() => received.length === 1, 'the valid frame');
    expect(received[0]).toEqual(validFrames[0]);
  });

  it('survives a work handler that throws (regression: it took the runner down)', async () => {
    const received: HostWorkFrame[] = [];
    const { host, link, errors } = await connect((work) => {
      received.push(work);
      if (received.length === 1) throw new TypeError('handler bug');
    });
    const socket = host.connections.at(-1)!;
    socket.send(JSON.stringify(validFrames[0]));
    socket.send(JSON.stringify({ ...validFrames[0], requestId: 7 }));
    await waitFor(() => received.length === 2, 'both frames');
    expect(errors.some((line) => line.includes('KAWA_ERR_INTERNAL') && line.includes('handler bug'))).toBe(true);
    expect(link.isConnected()).toBe(true);
  });
});
