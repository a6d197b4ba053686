import type { RouteHandlers } from '../http/route-table.js';
import type { NodesService } from './service.js';

type NodeRoutes = 'listNodes' | 'getNode' | 'drainNode' | 'undrainNode';

export function nodeRouteHandlers(nodes: NodesService): Pick<RouteHandlers, NodeRoutes> {
  return {
    listNodes: () => ({ nodes: nodes.list() }),
    getNode: ({ params }) => nodes.get(params.name),
    drainNode: ({ params }) => nodes.setDrained(params.name, true),
    undrainNode: ({ params }) => nodes.setDrained(params.name, false),
  };
}
