import { z } from 'zod';
import { NodeSchema } from './node.js';
import { API_PREFIX, type RouteAuth } from './routes.js';
import { TaskSchema } from './task.js';

/**
 * The event stream: one WebSocket, GET /api/v1/events, that carries every live change a
 * dashboard shows. The host sends a `snapshot` first (nodes, the last hour of usage, queue
 * length, recent tasks), then one frame per change. Every message is one JSON text frame,
 * parsed with these schemas on both ends.
 */
export const eventStreamRoute = {
  path: `${API_PREFIX}/events`,
  auth: 'user',
  summary: 'Live changes of nodes, usage and tasks; a snapshot first.',
} as const satisfies { path: string; auth: RouteAuth; summary: string };

// ---------------------------------------------------------------------------------------------
// WebSocket auth for browsers, which cannot set headers on a WebSocket. The token travels as a
// subprotocol (`Sec-WebSocket-Protocol: kawa.v1, kawa.token.<token>`), never in the URL, where
// proxies and access logs would keep it. The host echoes `kawa.v1`.

/** The subprotocol every Kawa WebSocket speaks; the host echoes it. */
export const WS_SUBPROTOCOL = 'kawa.v1';
/** Prefix of the subprotocol that carries an API token. */
export const WS_TOKEN_SUBPROTOCOL_PREFIX = 'kawa.token.';

/** The subprotocols a browser passes to `new WebSocket(url, protocols)` to authenticate. */
export function authSubprotocols(token: string): string[] {
  return [WS_SUBPROTOCOL, `${WS_TOKEN_SUBPROTOCOL_PREFIX}${token}`];
}

/**
 * The token in a `Sec-WebSocket-Protocol` header, or null. Only `kawa.v1` first and one token
 * second counts: the server echoes the first offer, which must never be the token.
 */
export function tokenFromSubprotocols(header: string | undefined): string | null {
  if (header === undefined) return null;
  const offers = header.split(',').map((offer) => offer.trim());
  if (offers.length !== 2 || offers[0] !== WS_SUBPROTOCOL) return null;
  const tokenOffer = offers[1] ?? '';
  if (!tokenOffer.startsWith(WS_TOKEN_SUBPROTOCOL_PREFIX)) return null;
  const token = tokenOffer.slice(WS_TOKEN_SUBPROTOCOL_PREFIX.length);
  return token === '' ? null : token;
}

// ---------------------------------------------------------------------------------------------
// Usage history

/** How far back the host keeps usage samples per node. */
export const USAGE_HISTORY_MS = 60 * 60 * 1000;
/** At most this many samples per node: one per 5 s over the hour, whatever the heartbeat rate. */
export const USAGE_HISTORY_SAMPLES = 720;

export const GpuSampleSchema = z.object({
  index: z.number().int().min(0),
  utilizationPercent: z.number().nullable(),
  memoryUsedBytes: z.number().int().nullable(),
  temperatureCelsius: z.number().nullable(),
});

/** One heartbeat's usage of a node, as kept in the history. */
export const UsageSampleSchema = z.object({
  at: z.number().int(),
  cpuPercent: z.number().min(0).max(100),
  memoryUsedBytes: z.number().int().min(0),
  memoryTotalBytes: z.number().int().min(0),
  /** The hottest sensor, or null when the node reports none. */
  maxTemperatureCelsius: z.number().nullable(),
  gpus: z.array(GpuSampleSchema).max(64),
});
export type UsageSample = z.infer<typeof UsageSampleSchema>;

export const NodeHistorySchema = z.object({
  node: z.string(),
  /** Oldest first, at most USAGE_HISTORY_SAMPLES. */
  samples: z.array(UsageSampleSchema).max(USAGE_HISTORY_SAMPLES),
});
export type NodeHistory = z.infer<typeof NodeHistorySchema>;

// ---------------------------------------------------------------------------------------------
// Frames

/** How many of the newest tasks the snapshot carries. */
export const SNAPSHOT_RECENT_TASKS = 25;

export const QueueSchema = z.object({
  /** Tasks waiting for the scheduler. */
  pending: z.number().int().min(0),
});
export type Queue = z.infer<typeof QueueSchema>;

/** Frames the host sends. */
export const EventFrameSchema = z.discriminatedUnion('type', [
  /** The first frame: the state to draw from. Later frames change it. */
  z.object({
    type: z.literal('snapshot'),
    at: z.number().int(),
    nodes: z.array(NodeSchema),
    history: z.array(NodeHistorySchema),
    queue: QueueSchema,
    /** Newest first, at most SNAPSHOT_RECENT_TASKS, only tasks the token may see. */
    recentTasks: z.array(TaskSchema).max(SNAPSHOT_RECENT_TASKS),
  }),
  /** A node registered, changed status, or reported usage; the whole node as GET would show it. */
  z.object({ type: z.literal('node'), node: NodeSchema }),
  /** A new usage sample for a node's history. */
  z.object({ type: z.literal('usage'), node: z.string(), sample: UsageSampleSchema }),
  /** A task was submitted or changed (state, placement, pending reason). */
  z.object({ type: z.literal('task'), task: TaskSchema }),
  z.object({ type: z.literal('queue'), queue: QueueSchema }),
  /** The answer to a client's `ping`. */
  z.object({ type: z.literal('pong') }),
]);
export type EventFrame = z.infer<typeof EventFrameSchema>;

/** Frames a client sends: only pings, since a browser cannot send WebSocket pings itself. */
export const EventClientFrameSchema = z.discriminatedUnion('type', [z.object({ type: z.literal('ping') })]);
export type EventClientFrame = z.infer<typeof EventClientFrameSchema>;

/** Close codes of the event stream, besides 1001 when the host shuts down. */
export const eventCloseCodes = {
  /** The client sent a frame that failed validation. */
  badFrame: 4400,
  /** The client read too slowly and fell too far behind; reconnect for a fresh snapshot. */
  tooSlow: 4429,
} as const;
