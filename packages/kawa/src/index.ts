export { daemonCommands, registerDaemonCommands, type DaemonOptions } from './daemons/index.js';
