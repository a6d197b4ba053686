#!/usr/bin/env node
import process from 'node:process';
import { runKawarun } from '@kawa/cli';

// Ctrl-C (or SIGTERM, or the terminal closing) stops the runs: each run's process group gets
// SIGTERM, and kawarun exits 128+N once they are gone. The runs are not in kawarun's process
// group, so this is how they learn of it. A second signal is left to the default handler.
const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => stop.abort(signal));

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
