import type { FastifyBaseLogger } from 'fastify';
import { KawaError, holdingStatuses, type Node, type NodeResources, type NodeUsage } from '@kawa/protocol';
import type { Clock } from '../clock.js';
import type { TaskLifecycle } from '../tasks/lifecycle.js';
import type { Store } from '../store/store.js';
import { toNode, type NodeRegistry, type NodeState } from './registry.js';

/** Node registration, heartbeats and the way to offline; reads for the API. */
export class NodesService {
  constructor(
    private readonly store: Store,
    private readonly registry: NodeRegistry,
    private readonly lifecycle: TaskLifecycle,
    private readonly clock: Clock,
    private readonly log: FastifyBaseLogger,
    /** Asks the scheduler for a pass: a drain changes wait reasons, an undrain may place tasks. */
    private readonly requestPass: () => void,
  ) {}

  list(): Node[] {
    return this.registry.all().map(toNode);
  }

  get(name: string): Node {
    return toNode(this.state(name));
  }

  /**
   * Drains (no new placements; what runs there finishes) or undrains a node. Stored, so a host
   * restart keeps it, and a runner's hello does not clear it.
   */
  setDrained(name: string, drained: boolean): Node {
    const state = this.state(name);
    if (state.drained !== drained) {
      this.store.nodes.setDrained(name, drained);
      this.registry.setDrained(name, drained);
      this.log.info({ node: name }, drained ? 'node drained' : 'node undrained');
      this.requestPass();
    }
    return toNode(state);
  }

  private state(name: string): NodeState {
    const state = this.registry.get(name);
    if (!state)
      throw new KawaError(
        'KAWA_ERR_NODE_NOT_FOUND',
        `no node is named "${name}"; "kawa node list" shows the known nodes`,
      );
    return state;
  }

  /** Records a runner's hello: the node is online and connected with these resources. */
  register(name: string, version: string, resources: NodeResources): NodeState {
    const at = this.clock.now();
    this.store.nodes.register(name, version, resources, at);
    const state = this.registry.register(name, version, resources, at);
    this.log.info({ node: name, cores: resources.cores, memoryBytes: resources.memoryBytes }, 'node registered');
    return state;
  }

  heartbeat(name: string, usage: NodeUsage): void {
    const at = this.clock.now();
    this.store.nodes.heartbeat(name, usage, at);
    this.registry.heartbeat(name, usage, at);
  }

  /** The node's link went away; it stays online (unschedulable) until its grace runs out. */
  disconnected(name: string): void {
    this.registry.setConnected(name, false);
  }

  /** Declares the node offline; its tasks that held resources there become `lost`. */
  goOffline(name: string, why: string): void {
    const state = this.registry.get(name);
    if (!state || state.status === 'offline') return;
    this.store.tasks.transaction(() => {
      this.store.nodes.setStatus(name, 'offline');
      this.registry.setStatus(name, 'offline');
      this.registry.setConnected(name, false);
      for (const task of this.store.tasks.liveOnNode(name)) {
        if (holdingStatuses.has(task.status))
          this.lifecycle.transition(task, 'lost', { reason: `node ${name} went offline: ${why}` });
      }
    });
    this.log.warn({ node: name, why }, 'node offline');
  }
}
