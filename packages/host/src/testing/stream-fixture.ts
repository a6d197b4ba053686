import { FakeRunner } from './fake-runner.js';
import { FakeStreams } from './fake-streams.js';
import { StreamClient } from './stream-client.js';
import { createTestHost, listen, type TestHost, type TestHostOptions } from './test-host.js';

/** A listening host with one runner (node1) whose streams a FakeStreams answers. */
export interface StreamFixture {
  host: TestHost;
  /** The ws:// base URL. */
  base: string;
  runner: FakeRunner;
  streams: FakeStreams;
  /** Opens a stream as the admin unless `options` say otherwise; closed by `close`. */
  open(url: string, options?: { headers?: Record<string, string>; protocols?: string[] }): Promise<StreamClient>;
  close(): Promise<void>;
}

export async function streamFixture(options: TestHostOptions): Promise<StreamFixture> {
  const host = createTestHost(options);
  const base = (await listen(host)).ws;
  const runner = await FakeRunner.connect(base, host.tokens.joinToken);
  await runner.hello('node1');
  const streams = new FakeStreams(runner);
  const clients: StreamClient[] = [];
  return {
    host,
    base,
    runner,
    streams,
    open: async (url, openOptions = {}) => {
      const client = await StreamClient.open(url, { headers: host.admin, ...openOptions });
      clients.push(client);
      return client;
    },
    close: async () => {
      for (const client of clients.splice(0)) client.socket.terminate();
      streams.terminateAll();
      await runner.terminate();
      await host.close();
    },
  };
}
