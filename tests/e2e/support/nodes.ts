import type { Node } from '@kawa/protocol';
import { eventually, type Cluster } from './cluster.js';

/** Waits until `count` nodes are online (the cluster's own and those of addRunner). */
export async function waitForOnlineNodes(cluster: Cluster, count: number, timeoutMs = 30_000): Promise<Node[]> {
  return eventually(
    async () => {
      const { body } = await cluster.api<{ nodes: Node[] }>('GET', '/api/v1/nodes');
      const online = body.nodes.filter((node) => node.status === 'online');
      return online.length === count ? online : null;
    },
    timeoutMs,
    `${count} online nodes`,
  );
}
