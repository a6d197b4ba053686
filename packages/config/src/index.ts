export * from './load-config.js';
export * from './default-config.js';
