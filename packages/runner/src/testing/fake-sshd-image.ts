import { createHash } from 'node:crypto';
import { tarArchive, type TarEntry } from '../executors/docker/tar-archive.js';
import { testDocker, TEST_IMAGE } from './docker-harness.js';

/** Built by scripts/test-images.sh (debootstrap minbase + openssh-server) where it is available. */
export const REAL_VPS_IMAGE = 'kawa-test/vps:latest';

/** A well-formed public key for VPS tests that never log in (no private half exists). */
export const TEST_PUBLIC_KEY =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk3mFcGZ7m2sL0m9bq2b4c1dQvJt8nM0wq8Yk7o1a2b user@laptop';

/** The banner the stand-in answers each connection with, as OpenSSH would. */
export const FAKE_BANNER = 'SSH-2.0-KawaFake\r\n';

/**
 * A stand-in for OpenSSH on the busybox test image: no crypto, only what the runner relies
 * on. It is at /usr/sbin/sshd, takes the runner's options, answers every connection on port 22
 * with an SSH banner and then echoes the bytes back. With FAKE_SSHD_FAIL set it exits at once
 * with that text on stderr, as an sshd with a broken config does. It ends at SIGTERM, as sshd does.
 */
const FAKE_SSHD = `#!/bin/sh
if [ -n "$FAKE_SSHD_FAIL" ]; then echo "fake sshd: $FAKE_SSHD_FAIL" >&2; exit 1; fi
echo "fake sshd started with: $*" >&2
trap 'exit 0' TERM
nc -ll -p 22 -e /bin/fake-ssh-session &
wait
`;
const FAKE_SESSION = `#!/bin/sh
printf '${FAKE_BANNER.replace('\r\n', '\\r\\n')}'
exec cat
`;
/** The runner's sshd command makes host keys first; the stand-in needs none. */
const FAKE_KEYGEN = '#!/bin/sh\nexit 0\n';

const files: TarEntry[] = [
  { path: 'usr/', mode: 0o755, uid: 0, gid: 0 },
  { path: 'usr/sbin/', mode: 0o755, uid: 0, gid: 0 },
  { path: 'usr/sbin/sshd', mode: 0o755, uid: 0, gid: 0, content: Buffer.from(FAKE_SSHD) },
  { path: 'bin/fake-ssh-session', mode: 0o755, uid: 0, gid: 0, content: Buffer.from(FAKE_SESSION) },
  { path: 'bin/ssh-keygen', mode: 0o755, uid: 0, gid: 0, content: Buffer.from(FAKE_KEYGEN) },
];

/** Tagged by the recipe's hash, so a changed recipe builds a new image and an unchanged one is reused. */
const recipe = createHash('sha256')
  .update(FAKE_SSHD + FAKE_SESSION + FAKE_KEYGEN)
  .digest('hex')
  .slice(0, 12);
export const FAKE_SSHD_IMAGE = `kawa-test/fake-sshd:${recipe}`;

const exists = (image: string): Promise<boolean> =>
  testDocker
    .getImage(image)
    .inspect()
    .then(
      () => true,
      () => false,
    );

/** Builds the stand-in image from the busybox test image (files added, committed); never pulls. */
export async function fakeSshdImage(): Promise<string> {
  if (await exists(FAKE_SSHD_IMAGE)) return FAKE_SSHD_IMAGE;
  const container = await testDocker.createContainer({ Image: TEST_IMAGE, Cmd: ['/bin/true'] });
  try {
    await container.putArchive(tarArchive(files), { path: '/' });
    const [repo = '', tag = ''] = FAKE_SSHD_IMAGE.split(':');
    await container.commit({ repo, tag });
  } finally {
    await container.remove({ force: true });
  }
  return FAKE_SSHD_IMAGE;
}

export function realVpsImageExists(): Promise<boolean> {
  return exists(REAL_VPS_IMAGE);
}
