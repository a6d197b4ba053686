import { UsageError } from '../errors.js';

/** kawarun's command line: its own options, then TARGET and the arguments that go to it. */
export interface KawarunArgs {
  /** How many runs at once: 1 without --parallel; null means one per CPU (--parallel alone). */
  parallel: number | null;
  dryRun: boolean;
  json: boolean;
  help: boolean;
  version: boolean;
  /** Absent only with --help or --version. */
  target: string | undefined;
  args: string[];
}

const MAX_PARALLEL = 1024;

function parseParallel(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > MAX_PARALLEL)
    throw new UsageError('KAWA_ERR_USAGE', `--parallel takes a whole number from 1 to ${MAX_PARALLEL}, got "${text}"`);
  return value;
}

/**
 * Reads kawarun's options up to the first argument that is not one: that is TARGET, and
 * everything after it belongs to the target, untouched (so `kawarun python x.py --help` passes
 * --help to x.py). `--parallel N` takes N only when the next word is a whole number.
 */
export function parseKawarunArgs(argv: readonly string[]): KawarunArgs {
  const parsed: KawarunArgs = {
    parallel: 1,
    dryRun: false,
    json: false,
    help: false,
    version: false,
    target: undefined,
    args: [],
  };
  let index = 0;
  for (; index < argv.length; index += 1) {
    const word = argv[index] ?? '';
    if (word === '--') {
      index += 1;
      break;
    }
    if (!word.startsWith('-') || word === '-') break;
    if (word === '--parallel' || word === '-p') {
      const next = argv[index + 1];
      if (next !== undefined && /^\d+$/.test(next)) {
        parsed.parallel = parseParallel(next);
        index += 1;
      } else parsed.parallel = null;
    } else if (word.startsWith('--parallel=')) parsed.parallel = parseParallel(word.slice('--parallel='.length));
    else if (word === '--dry-run' || word === '-n') parsed.dryRun = true;
    else if (word === '--json') parsed.json = true;
    else if (word === '--help' || word === '-h') parsed.help = true;
    else if (word === '--version' || word === '-V') parsed.version = true;
    else
      throw new UsageError(
        'KAWA_ERR_USAGE',
        `unknown option '${word}': kawarun's options come before TARGET (see kawarun --help)`,
      );
  }
  parsed.target = argv[index];
  parsed.args = argv.slice(index + 1);
  if (parsed.target === undefined && !parsed.help && !parsed.version)
    throw new UsageError('KAWA_ERR_USAGE', 'no TARGET: kawarun [--parallel [N]] TARGET [ARGS...] (see kawarun --help)');
  return parsed;
}
