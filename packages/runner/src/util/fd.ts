import { close, open } from 'node:fs';

/**
 * Opens a file for writing (created, truncated) and gives the bare descriptor: it goes to a
 * child as stdout or stderr, and the plain callback API costs less than a FileHandle per task.
 */
export function openForWrite(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    open(path, 'w', 0o644, (error, fd) => (error ? reject(error) : resolve(fd)));
  });
}

export function closeFd(fd: number): Promise<void> {
  return new Promise((resolve) => close(fd, () => resolve()));
}
