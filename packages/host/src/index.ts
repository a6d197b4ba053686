export { startHost, type RunningHost, type StartHostOptions } from './start-host.js';
export { buildApp, type AppDeps, type LogLevel } from './app.js';
export { openStore, type Store } from './store/store.js';
export { ensureTokens, type HostTokens } from './auth/token-files.js';
export type { Clock } from './clock.js';
