import type { Socket } from 'node:net';
/** Where the CLI writes. process.stdout fits; tests pass a collector. */
export interface CliOutput {
  write(chunk: string | Uint8Array): boolean;
  /** Present on streams; used to wait for 'drain' when a write reports back-pressure. */
  once?(event: 'drain', listener: () => void): unknown;
}

import type { ProcessRunner } from './system/processes.js';
import type { SelfCommand } from './system/self-command.js';
import type { TerminalIo } from './terminal/terminal-io.js';

/** Everything the CLI touches outside itself, passed in so tests can run it in-process. */
export interface CliIo {
  stdout: CliOutput;
  stderr: CliOutput;
  /** The environment, read only through loadConfig (and for -e NAME). */
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Whether a person is watching: enables colour, spinners and hints. */
  isTTY: boolean;
  /** A fetch for the API client; tests pass a fake. Default: the global fetch. */
  fetch?: typeof fetch;
  /** stdin, the terminal's size and signals, for interactive shells. Default: this process's. */
  terminal?: TerminalIo;
  /** The programs the CLI runs (ssh, ssh-keygen). Default: spawned for real. */
  processes?: ProcessRunner;
  /** How to run this CLI again (ssh's ProxyCommand). Default: this process's node and script. */
  self?: SelfCommand;
  /**
   * Hands a connected socket to the process that started this one, over the IPC channel on
   * stdout (ssh's ProxyUseFdpass, with NODE_CHANNEL_FD=1); absent when there is no such channel.
   */
  passSocket?: (socket: Socket) => Promise<void>;
}

/** Writes a chunk and, if the stream is full, waits until it drains; for large log output. */
export async function writeAll(output: CliOutput, chunk: string | Uint8Array): Promise<void> {
  if (output.write(chunk) || !output.once) return;
  await new Promise<void>((resolve) => output.once?.('drain', resolve));
}

export function writeLine(output: CliOutput, line = ''): void {
  output.write(`${line}\n`);
}
