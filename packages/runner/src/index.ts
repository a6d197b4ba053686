export { startRunner, type RunningRunner, type StartRunnerOptions } from './runner.js';
export type { LogLevel } from './logger.js';
