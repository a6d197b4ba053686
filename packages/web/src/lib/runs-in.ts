import { NO_CONTAINER } from '@kawa/protocol';

/** Where a task or VPS runs: no Docker (`NULL`), the host's default env, an env, or a registry image. */
export interface RunsIn {
  mode: 'none' | 'default' | 'env' | 'image';
  env: string;
  image: string;
}

/** The `container` / `image` fields of a submit or create body for a choice. */
export function runsInBody(choice: RunsIn): { container?: string; image?: string } {
  switch (choice.mode) {
    case 'none':
      return { container: NO_CONTAINER };
    case 'default':
      return {};
    case 'env':
      return { container: choice.env };
    case 'image':
      return { image: choice.image.trim() };
  }
}
