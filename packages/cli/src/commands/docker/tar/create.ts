import type { Command } from 'commander';
import { errorFromWire } from '@kawa/client';
import { KawaError, envContainerName, envImageTag, type TarCreateEvent } from '@kawa/protocol';
import type { CliContext } from '../../../context.js';
import { writeLine } from '../../../io.js';
import { formatBytes } from '../../../output/format.js';
import { writeJson } from '../../../output/json.js';
import { createByteProgress, type ByteProgress } from '../../../output/progress-bar.js';
import { parseEnvName } from '../../../parse.js';
import { withContainerHint } from '../hints.js';

type DoneEvent = Extract<TarCreateEvent, { type: 'done' }>;

const silent: ByteProgress = { update: () => undefined, done: () => undefined };

/** What each phase of tar create is doing, for the progress line. */
function phaseLabel(phase: 'commit' | 'save', name: string): string {
  return phase === 'commit'
    ? `committing ${envContainerName(name)} to ${envImageTag(name)}`
    : `saving ${envImageTag(name)} to a tarball`;
}

/** Follows the host's NDJSON answer to its one `done` event; an `error` event throws. */
async function followTarCreate(context: CliContext, name: string, progress: ByteProgress): Promise<DoneEvent> {
  let done: DoneEvent | undefined;
  try {
    for await (const event of context.client().stream('createTarball', { params: { name } })) {
      switch (event.type) {
        case 'progress':
          progress.update(phaseLabel(event.phase, name), event.doneBytes, event.totalBytes);
          break;
        case 'done':
          done = event;
          break;
        case 'error':
          throw errorFromWire(event.error);
      }
    }
  } catch (error) {
    throw withContainerHint(error, name);
  } finally {
    progress.done();
  }
  if (done) return done;
  throw new KawaError(
    'KAWA_ERR_INTERNAL',
    `the host ended tar create ${name} without a result; see whether a new version exists: kawa docker tar list ${name}`,
  );
}

/** "created py version 1700000000 (1.0 GB)", and which older versions were removed. */
export function describeTarCreated(done: DoneEvent): string[] {
  const lines = [`created ${done.name} version ${done.tarball.version} (${formatBytes(done.tarball.bytes)})`];
  if (done.removed.length > 0)
    lines.push(
      `removed ${done.removed.length === 1 ? 'old version' : `${done.removed.length} old versions`}: ${done.removed.join(', ')}`,
    );
  return lines;
}

export function registerTarCreate(tar: Command, context: CliContext): void {
  tar
    .command('create')
    .summary('commit a host container and save it as a new tarball version')
    .description(
      'Commit kawa-env-NAME to kawa/NAME:base and save it as <shared_dir>/containers/NAME/<unix-ts>.tar. ' +
        'Runners load the newest version before their next task with --container NAME; the oldest ' +
        'versions beyond the host’s keep count are removed.',
    )
    .argument('<name>', 'the env name')
    .option('--json', 'print the final event (the new version and the removed ones) as JSON')
    .action(
      context.run(async (nameText: string, options: { json?: boolean }) => {
        const name = parseEnvName(nameText);
        const json = context.wantsJson(options.json);
        // A bar for a person; plain lines for a log, unless the output is for a script.
        const progress =
          json && !context.fancy ? silent : createByteProgress(context.io.stderr, { tty: context.fancy });
        const done = await followTarCreate(context, name, progress);
        if (json) writeJson(context.io.stdout, done);
        else for (const line of describeTarCreated(done)) writeLine(context.io.stdout, line);
        return 0;
      }),
    );
}
