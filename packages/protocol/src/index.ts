export * from './errors.js';
export * from './units.js';
export * from './targets.js';
export * from './task.js';
export * from './envs.js';
export * from './sweep.js';
export * from './vps.js';
export * from './node.js';
export * from './logs.js';
export * from './runner-link.js';
export * from './routes.js';
export * from './events.js';
export * from './config.js';
export * from './users.js';
export * from './task-env.js';

/** The protocol version runners and hosts exchange in `hello`. */
export const PROTOCOL_VERSION = '1';
export * from './doctor.js';
