import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { API_PREFIX, SHARED_PROBE_DIR } from '@kawa/protocol';
import { createTestHost, type TestHost } from '../testing/test-host.js';

const name = 'a'.repeat(32);
const content = 'b'.repeat(64);
const url = `${API_PREFIX}/doctor/shared-probe`;

describe('POST /doctor/shared-probe', () => {
  let host: TestHost;
  beforeEach(() => {
    host = createTestHost();
  });
  afterEach(() => host.close());

  const probe = (payload: unknown) =>
    host.app.inject({ method: 'POST', url, headers: host.admin, payload: payload as object });

  it('says whether the host sees the probe file, and whether it holds the same content', async () => {
    expect((await probe({ name, content })).json()).toEqual({
      found: false,
      matches: false,
      sharedDir: host.config.shared_dir,
    });
    mkdirSync(join(host.config.shared_dir, SHARED_PROBE_DIR));
    writeFileSync(join(host.config.shared_dir, SHARED_PROBE_DIR, name), content);
    expect((await probe({ name, content })).json()).toMatchObject({ found: true, matches: true });
    expect((await probe({ name, content: 'c'.repeat(64) })).json()).toMatchObject({ found: true, matches: false });
  });

  it('refuses a name that is not 32 hex digits (no path can leave the probe dir) with a coded 400', async () => {
    for (const bad of ['../../etc/passwd', 'A'.repeat(32), 'a'.repeat(31), `${'a'.repeat(31)}/`]) {
      const response = await probe({ name: bad, content });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ error: { code: 'KAWA_ERR_BAD_REQUEST' } });
    }
  });
});
