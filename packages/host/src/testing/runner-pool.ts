import type { HelloFrame, NodeResources } from '@kawa/protocol';
import { FakeRunner } from './fake-runner.js';
import type { TestHost } from './test-host.js';

/** The fake runners of a test: each connects with the join token; `dropAll` ends them after it. */
export class RunnerPool {
  private readonly runners: FakeRunner[] = [];

  /** `where` is read at connect time: tests make a new host (and URL) per test. */
  constructor(private readonly where: () => { host: TestHost; url: string }) {}

  /** Opens a link without saying hello. */
  async link(): Promise<FakeRunner> {
    const { host, url } = this.where();
    const runner = await FakeRunner.connect(url, host.tokens.joinToken);
    this.runners.push(runner);
    return runner;
  }

  /** Opens a link and says hello as `name`. */
  async connect(name: string, resources?: NodeResources, liveTasks: HelloFrame['liveTasks'] = []): Promise<FakeRunner> {
    const runner = await this.link();
    await runner.hello(name, resources, liveTasks);
    return runner;
  }

  dropAll(): void {
    for (const runner of this.runners.splice(0)) runner.terminate().catch(() => undefined);
  }
}
