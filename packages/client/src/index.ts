export {
  createClient,
  type CallInput,
  type CallResult,
  type CallRouteName,
  type ClientOptions,
  type KawaClient,
} from './client.js';
export { logsQuery, type LogBytes, type LogsOptions } from './logs.js';
export type { WaitTaskOptions } from './wait.js';
export { validateRouteInput } from './validate.js';
export { errorFromResponse, errorFromWire, hostUnreachable } from './errors.js';
export { ndjsonLines, type StreamEvent, type StreamRouteName } from './stream.js';
export { webSocketBase, type SocketInput, type SocketRouteName, type SocketTarget } from './socket.js';
export { parseTerminalFrame, resizeFrame, terminalQuery, type TerminalOptions } from './terminal.js';
