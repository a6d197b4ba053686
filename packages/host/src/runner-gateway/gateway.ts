import { KawaError, type CommandResultFrame, type HostFrame, type TaskAction } from '@kawa/protocol';
import type { RunnerLink, StreamOpenRequest } from './runner-link.js';

/** The registered runner links, by node name. At most one live link per name. */
export class RunnerGateway {
  private readonly links = new Map<string, RunnerLink>();

  /** Registers `link` as `name`; false if another open link holds the name. */
  attach(name: string, link: RunnerLink): boolean {
    const current = this.links.get(name);
    if (current && current !== link && current.isOpen) return false;
    this.links.set(name, link);
    link.name = name;
    return true;
  }

  /** Forgets `link` if it is still the one registered for its name; true if it was. */
  detach(link: RunnerLink): boolean {
    if (link.name === null || this.links.get(link.name) !== link) return false;
    this.links.delete(link.name);
    return true;
  }

  get(name: string): RunnerLink | undefined {
    return this.links.get(name);
  }

  send(name: string, frame: HostFrame): boolean {
    return this.links.get(name)?.send(frame) ?? false;
  }

  /** Sends a task-control to `name` and awaits its result; 503 if the node is not connected. */
  command(name: string, taskId: number, action: TaskAction, timeoutMs: number): Promise<CommandResultFrame> {
    const link = this.links.get(name);
    if (!link?.isOpen) return Promise.reject(unavailable(name, `"${action}" cannot reach task ${taskId}`));
    return link.command(taskId, action, timeoutMs);
  }

  /** Asks `name` to dial a reverse stream back; 503 if the node is not connected. */
  openStream(name: string, stream: StreamOpenRequest, timeoutMs: number): Promise<CommandResultFrame> {
    const link = this.links.get(name);
    if (!link?.isOpen) return Promise.reject(unavailable(name, `no stream can reach task ${stream.taskId}`));
    return link.openStream(stream, timeoutMs);
  }

  /** Whether `name` has an open link now. */
  isConnected(name: string): boolean {
    return this.links.get(name)?.isOpen ?? false;
  }

  closeAll(code: number, reason: string): void {
    for (const link of this.links.values()) link.close(code, reason);
    this.links.clear();
  }
}

function unavailable(name: string, what: string): KawaError {
  return new KawaError(
    'KAWA_ERR_RUNNER_UNAVAILABLE',
    `node ${name} is not connected, so ${what}; try again when it is back`,
  );
}
