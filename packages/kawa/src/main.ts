#!/usr/bin/env node
import type { Socket } from 'node:net';
import process from 'node:process';
import { runCli, type CliIo } from '@kawa/cli';
import { registerDaemonCommands } from './daemons/index.js';

let handedOff = false;
/** `kawa ssh --fdpass`: node opened an IPC channel on stdout (NODE_CHANNEL_FD=1), ssh's socket. */
const send = process.send?.bind(process);
const io: CliIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  isTTY: process.stdout.isTTY === true,
  ...(send === undefined
    ? {}
    : {
        passSocket: (socket: Socket) =>
          new Promise<void>((resolve, reject) => {
            send('kawa-ssh-fd', socket, undefined, (error: Error | null) => {
              if (error) return reject(error);
              handedOff = true;
              resolve();
            });
          }),
      }),
};

// `kawa task logs 1 | head` closes the pipe early: stop quietly, as other Unix tools do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? 0);
});

const code = await runCli(process.argv.slice(2), io, registerDaemonCommands);
process.exitCode = code;
// ssh waits for the proxy to exit before it uses the connection it was handed: at once.
if (handedOff) process.exit(code);
// The command is done: an idle keep-alive socket or a library's stray timer must not keep the
// process alive. Unref'd, so a process that is already free to exit does so at once.
setTimeout(() => process.exit(code), 2_000).unref();
