import { execFile } from 'node:child_process';

/** Runs a helper command and gives its stdout; the seam that lets tests replay recorded output. */
export type RunCommand = (file: string, args: readonly string[]) => Promise<string>;

/** The real RunCommand: no shell, a time limit, and a non-zero exit as a rejection. */
export function execFileCommand(timeoutMs = 10_000): RunCommand {
  return (file, args) =>
    new Promise((resolve, reject) => {
      execFile(file, [...args], { timeout: timeoutMs, maxBuffer: 4 << 20, encoding: 'utf8' }, (error, stdout) => {
        if (error) reject(new Error(`${file} ${args.join(' ')}: ${error.message}`, { cause: error }));
        else resolve(stdout);
      });
    });
}
