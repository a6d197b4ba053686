import { KawaError, publicKeyProblem } from '@kawa/protocol';
import { tarArchive } from './tar-archive.js';

/** Mode bits sshd's StrictModes accepts: nobody but root may read or change them. */
const PRIVATE_DIR = 0o700;
const PRIVATE_FILE = 0o600;

/**
 * The archive that installs `publicKey` as root's only authorized key, extracted at `/`:
 * `/root` and `/root/.ssh` 0700 and `authorized_keys` 0600, all owned by root. Any key the image
 * carried is replaced. The key is checked again here, although the host checked it: one line
 * with no options prefix, so nothing else (a `command=` or a second key) can ride along.
 */
export function authorizedKeysArchive(taskId: number, publicKey: string | null): Buffer {
  const problem = publicKey === null ? 'the VPS has no public key' : publicKeyProblem(publicKey);
  if (publicKey === null || problem !== null)
    throw new KawaError('KAWA_ERR_BAD_PUBLIC_KEY', `cannot install the key of VPS ${taskId}: ${problem}`);
  const root = { uid: 0, gid: 0 };
  return tarArchive([
    { path: 'root/', mode: PRIVATE_DIR, ...root },
    { path: 'root/.ssh/', mode: PRIVATE_DIR, ...root },
    { path: 'root/.ssh/authorized_keys', mode: PRIVATE_FILE, ...root, content: Buffer.from(`${publicKey.trim()}\n`) },
  ]);
}
