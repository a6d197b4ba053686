import { KawaError } from '@kawa/protocol';
import { z } from 'zod';

/**
 * The parts of the Docker Engine's JSON answers the runner reads, checked with zod like every
 * other boundary: an engine (or a proxy in front of it) answering something else is an engine
 * fault with a clear message, not an `undefined` deep inside the executor.
 */

/** One host binding of a published port; `HostPort` is a decimal string. */
const PortBindingSchema = z.looseObject({ HostIp: z.string(), HostPort: z.string() });

export const ContainerInspectSchema = z.looseObject({
  Id: z.string(),
  RestartCount: z.number().int().default(0),
  State: z.looseObject({
    Running: z.boolean(),
    Paused: z.boolean(),
    Restarting: z.boolean().default(false),
    OOMKilled: z.boolean(),
    ExitCode: z.number().int(),
  }),
  Config: z.looseObject({ Labels: z.record(z.string(), z.string()).nullable().default(null) }),
  /** `{"22/tcp": [{HostIp, HostPort}]}`; a port is null while the container is not running. */
  NetworkSettings: z
    .looseObject({
      Ports: z.record(z.string(), z.array(PortBindingSchema).nullable()).nullable().default(null),
      /** Each attached network's address; empty while the container is stopped. */
      Networks: z
        .record(z.string(), z.looseObject({ IPAddress: z.string().default('') }))
        .nullable()
        .default(null),
    })
    .nullable()
    .default(null),
});

/** `GET /containers/json`: one entry per container. */
export const ContainerListSchema = z.array(
  z.looseObject({
    Id: z.string(),
    Names: z.array(z.string()).default([]),
    State: z.string().default(''),
    Labels: z.record(z.string(), z.string()).nullable().default(null),
  }),
);

export const ExecInspectSchema = z.looseObject({
  Running: z.boolean(),
  ExitCode: z.number().int().nullable(),
});

/** Parses an engine answer; a mismatch is KAWA_ERR_DOCKER_FAILED naming what was read. */
export function parseAnswer<S extends z.ZodType>(schema: S, answer: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(answer);
  if (parsed.success) return parsed.data;
  throw new KawaError('KAWA_ERR_DOCKER_FAILED', `the Docker Engine's ${what} has an unexpected shape`, {
    cause: parsed.error,
    details: { issues: parsed.error.issues.slice(0, 5) },
  });
}

/** A published port as the runner uses it: where on the node a container port is reachable. */
export interface PublishedPort {
  hostIp: string;
  hostPort: number;
}

/** The published bindings of each container port (`22/tcp`), with unusable ones left out. */
export function publishedPorts(
  ports: Record<string, z.infer<typeof PortBindingSchema>[] | null> | null,
): Record<string, PublishedPort[]> {
  const result: Record<string, PublishedPort[]> = {};
  for (const [containerPort, bindings] of Object.entries(ports ?? {})) {
    result[containerPort] = (bindings ?? []).flatMap((binding) => {
      const hostPort = Number(binding.HostPort);
      return Number.isInteger(hostPort) && hostPort > 0 && hostPort < 65_536
        ? [{ hostIp: binding.HostIp, hostPort }]
        : [];
    });
  }
  return result;
}

/** The container's addresses on its networks (IPv4, non-empty), in the engine's order. */
export function networkAddresses(networks: Record<string, { IPAddress: string }> | null): string[] {
  return Object.values(networks ?? {})
    .map((network) => network.IPAddress)
    .filter((address) => address !== '');
}

/**
 * The text of a non-TTY container's log answer: frames of an 8-byte header (stream, 0, 0, 0,
 * big-endian length) and the payload, stdout and stderr interleaved as written.
 */
export function demuxLogText(buffer: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  // Each round consumes at least the 8-byte header, so this ends within buffer.length / 8 rounds.
  while (offset + 8 <= buffer.length) {
    const length = buffer.readUInt32BE(offset + 4);
    parts.push(buffer.subarray(offset + 8, Math.min(buffer.length, offset + 8 + length)));
    offset += 8 + length;
  }
  return Buffer.concat(parts).toString('utf8');
}
