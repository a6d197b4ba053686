import { buildPath, RUNNER_LINK_PATH, RUNNER_STREAM_PATH } from '@kawa/protocol';

/** `http://host:8000[/prefix]` + `/api/…` → `ws://host:8000[/prefix]/api/…` (https → wss). */
function hostWebSocketUrl(hostUrl: string, path: string): string {
  const url = new URL(hostUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
  url.search = '';
  url.hash = '';
  return url.toString();
}

/** `http://host:8000[/prefix]` → `ws://host:8000[/prefix]/api/v1/runner-link` (https → wss). */
export function runnerLinkUrl(hostUrl: string): string {
  return hostWebSocketUrl(hostUrl, RUNNER_LINK_PATH);
}

/** Where the runner dials a reverse stream back: same host and prefix as the link, the stream's own path. */
export function runnerStreamUrl(hostUrl: string, streamId: string): string {
  return hostWebSocketUrl(hostUrl, buildPath(RUNNER_STREAM_PATH, { streamId }));
}
