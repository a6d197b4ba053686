import process from 'node:process';
import type { CliIo } from '../io.js';

/** How to start this CLI again from another program: `<node> <script>`. */
export interface SelfCommand {
  /** The node binary running now, so the command works without kawa or node on PATH. */
  node: string;
  /** The CLI's entry script (the `kawa` bin, or dist/main.js). */
  script: string;
}

/** The CLI as this process runs it, unless the io says otherwise (tests). */
export function selfCommand(io: CliIo): SelfCommand {
  if (io.self) return io.self;
  const script = process.argv[1];
  if (script === undefined) throw new Error('process.argv[1] is missing: the CLI was not started as a script');
  return { node: process.execPath, script };
}
