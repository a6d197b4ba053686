import { connectionSignal } from '../http/disconnect.js';
import type { RouteHandlers } from '../http/route-table.js';
import type { EnvServices } from './services.js';

type EnvRoutes =
  | 'listHostContainers'
  | 'createHostContainer'
  | 'startHostContainer'
  | 'stopHostContainer'
  | 'deleteHostContainer'
  | 'listTarballs'
  | 'createTarball'
  | 'deleteTarball';

export function envRouteHandlers(envs: EnvServices, shutdown: AbortSignal): Pick<RouteHandlers, EnvRoutes> {
  const { containers, tarballs, maker, locks } = envs;
  return {
    listHostContainers: async () => ({ containers: await containers.list() }),
    createHostContainer: ({ body }) => containers.create(body.image, body.name),
    startHostContainer: ({ params }) => containers.start(params.name),
    stopHostContainer: ({ params }) => containers.stop(params.name),
    deleteHostContainer: ({ params }) => containers.remove(params.name),
    listTarballs: async () => ({ envs: await tarballs.list() }),
    createTarball: ({ params, reply }) => maker.create(params.name, connectionSignal(reply, shutdown)),
    deleteTarball: async ({ params, query }) => ({
      name: params.name,
      deleted: await tarballs.remove(params.name, query.version, locks.isBusy(params.name)),
    }),
  };
}
