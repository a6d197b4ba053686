import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { createInterface } from 'node:readline';

/**
 * Makes 127.0.0.1:`port` inside a network namespace reach 127.0.0.1:`port` of this (the root)
 * namespace, through a unix socket at `socketPath`: unix sockets bound to a path are reachable
 * from every network namespace, loopback ports are not.
 *
 * Why the multi-node test needs it: on a real node the runner and dockerd share one network
 * namespace, and a VPS's sshd is published on that namespace's loopback. Here dockerd lives in
 * the root namespace while each runner has its own, so this puts the one published port back
 * on the runner's loopback. Only loopback addresses are used on both sides.
 */
export interface LoopbackRelay {
  close(): Promise<void>;
}

/** The side inside the namespace: listen on loopback, pipe every connection to the unix socket. */
const INNER = `
const net = require('node:net');
const [port, socketPath] = process.argv.slice(1);
const server = net.createServer((tcp) => {
  const unix = net.createConnection(socketPath);
  tcp.pipe(unix).pipe(tcp);
  const end = () => { tcp.destroy(); unix.destroy(); };
  tcp.on('error', end); unix.on('error', end); tcp.on('close', end); unix.on('close', end);
});
server.listen(Number(port), '127.0.0.1', () => console.log('listening'));
`;

export async function startLoopbackRelay(namespace: string, port: number, socketPath: string): Promise<LoopbackRelay> {
  rmSync(socketPath, { force: true });
  const outer: Server = createServer((unix) => {
    const tcp = createConnection({ host: '127.0.0.1', port });
    unix.pipe(tcp).pipe(unix);
    const end = (): void => {
      unix.destroy();
      tcp.destroy();
    };
    for (const socket of [unix, tcp]) {
      socket.on('error', end);
      socket.on('close', end);
    }
  });
  await new Promise<void>((resolve, reject) => {
    outer.once('error', reject);
    outer.listen(socketPath, () => resolve());
  });
  const inner: ChildProcess = spawn(
    'nsenter',
    [`--net=/run/netns/${namespace}`, '--', process.execPath, '-e', INNER, String(port), socketPath],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const close = async (): Promise<void> => {
    if (inner.exitCode === null && inner.signalCode === null) {
      const exited = new Promise((resolve) => inner.once('exit', resolve));
      inner.kill('SIGKILL');
      await exited;
    }
    await new Promise<void>((resolve) => outer.close(() => resolve()));
    rmSync(socketPath, { force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the relay did not listen within 10 s')), 10_000);
      let stderr = '';
      inner.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      createInterface({ input: inner.stdout! }).on('line', (line) => {
        if (line !== 'listening') return;
        clearTimeout(timer);
        resolve();
      });
      inner.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the relay in ${namespace} exited with ${code}: ${stderr}`));
      });
    });
  } catch (error) {
    await close();
    throw error;
  }
  return { close };
}
