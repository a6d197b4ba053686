import { writeLine, type CliOutput } from '../io.js';

/** JSON for scripts: the API's own shapes, two-space indented, one document per run. */
export function writeJson(output: CliOutput, value: unknown): void {
  writeLine(output, JSON.stringify(value, null, 2));
}
