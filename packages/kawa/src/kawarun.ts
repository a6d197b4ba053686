#!/usr/bin/env node
import process from 'node:process';
import { runKawarun } from '@kawa/cli';

// Ctrl-C (or a SIGTERM) stops the runs: kawarun sends them SIGTERM and exits 128+N once they
// are gone. A second Ctrl-C is left to the default handler, so it ends kawarun at once.
const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort(signal));

// `kawarun … | head` closes the pipe early: stop quietly, as other Unix tools do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  stop.abort('SIGPIPE');
});

process.exitCode = await runKawarun(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  signal: stop.signal,
});
