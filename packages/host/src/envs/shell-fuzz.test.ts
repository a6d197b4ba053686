import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_PREFIX, TerminalClientFrameSchema, buildPath, errorCodes, wsRoutes } from '@kawa/protocol';
import { nastyObject, nastyValue } from '../fuzz/arbitraries.js';
import { createHostContainer } from '../testing/api.js';
import { TEST_IMAGE, dropEnv, uniqueEnv } from '../testing/docker.js';
import { TerminalClient } from '../testing/terminal-client.js';
import { createTestHost, listen, type TestHost } from '../testing/test-host.js';

/**
 * Issue 6, "fuzz": malformed text frames at the host-container shell WebSocket (a real
 * `docker exec` behind it). Each is refused with an `error` frame carrying a KAWA_ERR code and
 * a 4400 close; the host stays up. Runs under the Docker lock.
 */
const textFrame: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('{', '{"type":"resize"', 'null', '\u0000', '{"type":"resize","cols":0,"rows":1}'),
  nastyValue.map((value) => JSON.stringify(value) ?? 'null'),
  fc
    .record({ type: fc.constantFrom('resize', 'paste', 'exit', ''), rest: nastyObject(['cols', 'rows', 'data']) })
    .map(({ type, rest }) => JSON.stringify({ ...rest, type })),
);

function isValidFrame(text: string): boolean {
  try {
    return TerminalClientFrameSchema.safeParse(JSON.parse(text)).success;
  } catch {
    return false;
  }
}

describe('fuzz: malformed frames at the host-container shell', () => {
  let host: TestHost;
  let base: string;
  const name = uniqueEnv();

  beforeAll(async () => {
    host = createTestHost();
    base = (await listen(host)).ws;
    await createHostContainer(host, name, TEST_IMAGE);
  });
  afterAll(async () => {
    await host.close();
    await dropEnv(name);
  });

  it('answers 30 malformed text frames with a coded error frame and 4400', async () => {
    const url = `${base}${buildPath(wsRoutes.hostContainerShell.path, { name })}`;
    const failures: string[] = [];
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(
        textFrame.filter((text) => !isValidFrame(text)),
        async (text) => {
          const shell = await TerminalClient.open(url, host.admin);
          shell.sendText(text);
          sent += 1;
          const closed = await shell.closed;
          const error = shell.frames.find((frame) => frame.type === 'error');
          const code = error && 'code' in error ? String(error.code) : '';
          if (closed.code !== 4400 || !(code in errorCodes)) {
            failures.push(`${JSON.stringify(text).slice(0, 120)} → ${closed.code} ${code}`);
          }
        },
      ),
      { numRuns: 30, seed: 6_2034, endOnFailure: true },
    );
    expect(failures).toEqual([]);
    expect(sent).toBe(30);
    const whoami = await host.app.inject({ method: 'GET', url: `${API_PREFIX}/whoami`, headers: host.admin });
    expect(whoami.statusCode).toBe(200);
  });
});
