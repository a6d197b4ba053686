import { RUNNER_LINK_PATH } from '@kawa/protocol';

/** `http://host:8000[/prefix]` → `ws://host:8000[/prefix]/api/v1/runner-link` (https → wss). */
export function runnerLinkUrl(hostUrl: string): string {
  const url = new URL(hostUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${RUNNER_LINK_PATH}`;
  url.search = '';
  url.hash = '';
  return url.toString();
}
