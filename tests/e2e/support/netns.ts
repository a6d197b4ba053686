import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function ip(...args: string[]): Promise<string> {
  const { stdout } = await run('ip', args, { timeout: 10_000 });
  return stdout;
}

/** One end of a link: a namespace and its address on the link. */
export interface LinkEnd {
  namespace: string;
  address: string;
}

/**
 * Network namespaces made by one test run, joined point to point by veth pairs. Names carry a
 * random tag, so two runs never share one; `remove` deletes every namespace (and with it every
 * veth end inside) and is safe to call after a partial set-up.
 */
export interface NamespaceLab {
  tag: string;
  /**
   * A command run inside a namespace. `nsenter --net` switches the network namespace only;
   * `ip netns exec` would also remount /sys for the namespace, which hides the cgroup mounts
   * under /sys/fs/cgroup, and a runner there could not limit its tasks.
   */
  exec(namespace: string, file: string, args: readonly string[]): { file: string; args: string[] };
  /** Creates a namespace with its loopback up. */
  addNamespace(role: string): Promise<string>;
  /** A /30 veth link between two namespaces; returns both ends' addresses. */
  link(left: string, right: string): Promise<[LinkEnd, LinkEnd]>;
  remove(): Promise<void>;
}

/**
 * A lab in 10.<a>.<b>.0/24, <a> from 200 to 249 and picked at random, so it stays clear of
 * Docker's 172.16/12 networks and of the usual lab ranges; each link takes a /30 in it.
 */
export function namespaceLab(): NamespaceLab {
  const tag = randomBytes(3).toString('hex');
  const octet = 200 + (randomBytes(1)[0]! % 50);
  const third = randomBytes(1)[0]! % 250;
  const created: string[] = [];
  let links = 0;
  return {
    tag,
    exec: (namespace, file, args) => ({
      file: 'nsenter',
      args: [`--net=/run/netns/${namespace}`, '--', file, ...args],
    }),
    async addNamespace(role) {
      const name = `kawa-${role}-${tag}`;
      await ip('netns', 'add', name);
      created.push(name);
      await ip('-n', name, 'link', 'set', 'lo', 'up');
      return name;
    },
    async link(left, right) {
      const index = links;
      links += 1;
      if (index >= 60) throw new Error('a lab has at most 60 links');
      // veth names are at most 15 characters: kv<tag><index><a|b>.
      const leftName = `kv${tag}${index}a`;
      const rightName = `kv${tag}${index}b`;
      const base = index * 4;
      const ends: [LinkEnd, LinkEnd] = [
        { namespace: left, address: `10.${octet}.${third}.${base + 1}` },
        { namespace: right, address: `10.${octet}.${third}.${base + 2}` },
      ];
      await ip('link', 'add', leftName, 'netns', left, 'type', 'veth', 'peer', 'name', rightName, 'netns', right);
      for (const [name, end] of [
        [leftName, ends[0]],
        [rightName, ends[1]],
      ] as const) {
        await ip('-n', end.namespace, 'addr', 'add', `${end.address}/30`, 'dev', name);
        await ip('-n', end.namespace, 'link', 'set', name, 'up');
      }
      return ends;
    },
    async remove() {
      const failures: string[] = [];
      for (const name of created.splice(0).reverse()) {
        await ip('netns', 'delete', name).catch((error: Error) => failures.push(`${name}: ${error.message}`));
      }
      if (failures.length > 0) throw new Error(`could not delete namespaces: ${failures.join('; ')}`);
    },
  };
}
