import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { expandHome } from '@kawa/config';
import { UsageError } from '../../errors.js';
import type { CliIo } from '../../io.js';

export interface KeyOptions {
  publicKeyFile?: string;
  publicKey?: string;
  generateKey?: boolean;
}

/** Where the key came from, for the user: a file, the command line, or a new key. */
export interface ChosenKey {
  publicKey: string;
  /** "~/.ssh/id_ed25519.pub", "--public-key", or the generated key's path. */
  from: string;
}

const DEFAULT_KEYS = ['.ssh/id_ed25519.pub', '.ssh/id_rsa.pub'];
const KEY_OPTIONS = '--public-key-file FILE, --public-key "ssh-ed25519 AAAA…" or --generate-key';

function readKeyFile(path: string, shown: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new UsageError('KAWA_ERR_USAGE', `cannot read the public key ${shown}: ${why}`, { cause: error });
  }
  if (text.includes('PRIVATE KEY-----'))
    throw new UsageError(
      'KAWA_ERR_BAD_PUBLIC_KEY',
      `${shown} is a private key: give its public half (${shown}.pub), which is safe to share`,
    );
  return text.trim();
}

/**
 * The public key of a new VPS: from --public-key-file or --public-key, else ~/.ssh/id_ed25519.pub,
 * then ~/.ssh/id_rsa.pub. --generate-key is handled by the caller (it needs ssh-keygen); this
 * returns null for it. More than one option, or no key at all, is a usage error.
 */
export function chooseKey(options: KeyOptions, io: CliIo): ChosenKey | null {
  const given = [options.publicKeyFile, options.publicKey, options.generateKey ? true : undefined];
  if (given.filter((value) => value !== undefined).length > 1)
    throw new UsageError('KAWA_ERR_USAGE', `give one of ${KEY_OPTIONS}, not several`);
  if (options.generateKey === true) return null;
  if (options.publicKey !== undefined) return { publicKey: options.publicKey.trim(), from: '--public-key' };
  const home = io.env.HOME ?? homedir();
  if (options.publicKeyFile !== undefined) {
    const path = resolve(io.cwd, expandHome(options.publicKeyFile, home));
    return { publicKey: readKeyFile(path, options.publicKeyFile), from: options.publicKeyFile };
  }
  for (const relative of DEFAULT_KEYS) {
    const path = join(home, relative);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      continue;
    }
    return { publicKey: text.trim(), from: `~/${relative}` };
  }
  throw new UsageError(
    'KAWA_ERR_USAGE',
    `no public key for the VPS: ~/.ssh/id_ed25519.pub and ~/.ssh/id_rsa.pub do not exist; give ${KEY_OPTIONS}`,
  );
}
