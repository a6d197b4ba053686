import { formatCores } from '../../output/format.js';

/** A VPS's cores: 0 means no CPU limit, shown as "-" like a memory with no limit. */
export function formatVpsCores(cores: number): string {
  return cores === 0 ? '-' : formatCores(cores);
}

/** "ssh-ed25519 …k3Jd kawa-vps": the key's type, the end of its body and its comment. */
export function describePublicKey(publicKey: string | null): string {
  if (publicKey === null) return '-';
  const [type = '', body = '', ...comment] = publicKey.trim().split(/\s+/);
  return [type, `…${body.slice(-12)}`, ...comment].join(' ');
}
