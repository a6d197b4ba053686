import { KawaError } from '@kawa/protocol';

/** What to do next when a host container is missing or stopped. */
function hintFor(code: string, name: string): string | null {
  switch (code) {
    case 'KAWA_ERR_CONTAINER_NOT_FOUND':
      return `see \`kawa docker container list\`, or create it: kawa docker container create IMAGE ${name}`;
    case 'KAWA_ERR_CONTAINER_NOT_RUNNING':
      return `start it first: kawa docker container start ${name}`;
    case 'KAWA_ERR_CONTAINER_EXISTS':
      return `use it (kawa docker container shell ${name}), or delete it first: kawa docker container delete ${name}`;
    case 'KAWA_ERR_IMAGE_NOT_FOUND':
      return 'Kawa never pulls for envs: docker pull or docker import the image on the host first';
    case 'KAWA_ERR_ENV_NOT_FOUND':
      return `make one: kawa docker tar create ${name}`;
    default:
      return null;
  }
}

/**
 * Adds the next step to an error about env `name`, unless the host's message already gives one.
 */
export function withContainerHint(error: unknown, name: string): unknown {
  if (!(error instanceof KawaError)) return error;
  const hint = hintFor(error.code, name);
  if (hint === null || error.message.includes('kawa docker')) return error;
  return new KawaError(error.code, `${error.message}; ${hint}`, {
    details: error.details,
    cause: error,
  });
}

/** Runs a request about env `name`, adding the next step to its error. */
export async function aboutEnv<T>(name: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw withContainerHint(error, name);
  }
}
