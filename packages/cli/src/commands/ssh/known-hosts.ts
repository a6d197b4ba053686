import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Drops the known_hosts entries of `alias` (`kawa-42`, or `[kawa-42]:port`). Ids are reused
 * when a host starts over with a new database, and a new VPS under an old id is a new machine:
 * its new host key must not look like an attack. Only Kawa's own file is touched, whose
 * entries are never hashed (HashKnownHosts no). Returns how many lines went.
 */
export function forgetHostKey(path: string, alias: string): number {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  const names = new Set([alias, `[${alias}]`]);
  const lines = text.split('\n');
  const kept = lines.filter((line) => {
    const hosts = line.trim().split(/\s+/)[0] ?? '';
    return !hosts.split(',').some((host) => names.has(host.replace(/:\d+$/, '')));
  });
  if (kept.length !== lines.length) writeFileSync(path, kept.join('\n'), { mode: 0o600 });
  return lines.length - kept.length;
}
