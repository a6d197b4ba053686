import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../logger.js';

const fixtures = fileURLToPath(new URL('../system/fixtures/', import.meta.url));

/**
 * Recorded output of one node with 8 GPUs of two models: 0–3 are NVIDIA A100-SXM4-80GB,
 * 4–7 NVIDIA GeForce RTX 3090. No GPU exists on the test machines, so GPU code is tested on these.
 */
export const gpuNodeFixtures = {
  /** `nvidia-smi` with NVIDIA_SMI_ARGS: the node at work. */
  query: join(fixtures, 'nvidia-smi-8gpu.csv'),
  /** The same query on a bad day: MIG and `[N/A]` fields, a lost GPU 6, a cut-off last line. */
  degraded: join(fixtures, 'nvidia-smi-8gpu-degraded.csv'),
  /** `nvidia-smi -L` on the same node. */
  list: join(fixtures, 'nvidia-smi-8gpu-list.txt'),
  /** What nvidia-smi prints (on stdout, exiting 9) when the driver is not loaded. */
  noDriver: join(fixtures, 'nvidia-smi-no-driver.txt'),
} as const;

export const readGpuNodeFixture = (name: keyof typeof gpuNodeFixtures): Promise<string> =>
  readFile(gpuNodeFixtures[name], 'utf8');

/**
 * Writes an executable `nvidia-smi` into `dir` that replays `stdoutFile` and exits with
 * `exitCode`, so the runner finds it on PATH and runs it for real. Its arguments are kept in
 * `<dir>/nvidia-smi.args`, one a line.
 */
export async function writeFakeNvidiaSmi(dir: string, stdoutFile: string | null, exitCode = 0): Promise<string> {
  const path = join(dir, 'nvidia-smi');
  const quote = (text: string): string => `'${text.replaceAll("'", `'\\''`)}'`;
  const lines = [
    '#!/bin/sh',
    `printf '%s\\n' "$@" > ${quote(join(dir, 'nvidia-smi.args'))}`,
    ...(stdoutFile === null ? [] : [`cat ${quote(stdoutFile)}`]),
    `exit ${exitCode}`,
  ];
  await writeFile(path, `${lines.join('\n')}\n`);
  await chmod(path, 0o755);
  return path;
}

/** A logger that keeps each line as `level: message`, for tests that check what was said. */
export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at =
    (level: string) =>
    (message: string): void => {
      lines.push(`${level}: ${message}`);
    };
  return { lines, error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}

/** One `GPU N: NAME (UUID: …)` line of `nvidia-smi -L`. */
export interface ListedGpu {
  index: number;
  name: string;
  uuid: string;
}

/**
 * The GPUs of `nvidia-smi -L`, which the real-GPU check compares the probe against. MIG
 * devices (indented `MIG …` lines under their GPU) are not GPUs of their own here.
 */
export function parseNvidiaSmiList(text: string): ListedGpu[] {
  const listed: ListedGpu[] = [];
  for (const line of text.split('\n')) {
    const match = /^GPU (\d+): (.+) \(UUID: ([^)]+)\)\s*$/.exec(line);
    if (match) listed.push({ index: Number(match[1]), name: match[2] ?? '', uuid: match[3] ?? '' });
  }
  return listed;
}
