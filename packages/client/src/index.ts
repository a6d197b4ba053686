export { createClient, type CallInput, type CallResult, type ClientOptions, type KawaClient } from './client.js';
export { logsQuery, type LogBytes, type LogsOptions } from './logs.js';
export type { WaitTaskOptions } from './wait.js';
export { validateRouteInput } from './validate.js';
export { hostUnreachable } from './errors.js';
