import type { RouteHandlers } from '../http/route-table.js';
import type { NodesService } from './service.js';

export function nodeRouteHandlers(nodes: NodesService): Pick<RouteHandlers, 'listNodes' | 'getNode'> {
  return {
    listNodes: () => ({ nodes: nodes.list() }),
    getNode: ({ params }) => nodes.get(params.name),
  };
}
