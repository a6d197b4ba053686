import type { Database, Statement } from 'better-sqlite3';
import type { NodeResources, NodeStatus, NodeUsage } from '@kawa/protocol';
import { decodeResources, decodeUsage } from './columns.js';

/** A node as stored: everything in the protocol's Node except the live allocation. */
export interface StoredNode {
  name: string;
  version: string;
  resources: NodeResources;
  status: NodeStatus;
  registeredAt: number;
  lastHeartbeatAt: number | null;
  usage: NodeUsage | null;
  drained: boolean;
}

interface NodeRow {
  name: string;
  version: string;
  resources: string;
  status: string;
  registered_at: number;
  last_heartbeat_at: number | null;
  usage: string | null;
  drained: number;
}

function toStoredNode(row: NodeRow): StoredNode {
  if (row.status !== 'online' && row.status !== 'offline') throw new Error(`corrupt node status "${row.status}"`);
  return {
    name: row.name,
    version: row.version,
    resources: decodeResources(row.resources),
    status: row.status,
    registeredAt: row.registered_at,
    lastHeartbeatAt: row.last_heartbeat_at,
    usage: row.usage === null ? null : decodeUsage(row.usage),
    drained: row.drained !== 0,
  };
}

export class NodeRepo {
  private readonly allStatement: Statement<[], NodeRow>;
  private readonly upsertStatement: Statement<{ name: string; version: string; resources: string; at: number }>;
  private readonly heartbeatStatement: Statement<[number, string, string]>;
  private readonly statusStatement: Statement<[string, string]>;
  private readonly drainedStatement: Statement<[number, string]>;

  constructor(db: Database) {
    this.allStatement = db.prepare('SELECT * FROM nodes ORDER BY name');
    // registered_at keeps the first registration, drained stays as an admin set it; a re-hello
    // refreshes everything else.
    this.upsertStatement = db.prepare(`
      INSERT INTO nodes (name, version, resources, status, registered_at, last_heartbeat_at)
      VALUES (@name, @version, @resources, 'online', @at, @at)
      ON CONFLICT (name) DO UPDATE SET version = @version, resources = @resources, status = 'online', last_heartbeat_at = @at`);
    this.heartbeatStatement = db.prepare('UPDATE nodes SET last_heartbeat_at = ?, usage = ? WHERE name = ?');
    this.statusStatement = db.prepare('UPDATE nodes SET status = ? WHERE name = ?');
    this.drainedStatement = db.prepare('UPDATE nodes SET drained = ? WHERE name = ?');
  }

  all(): StoredNode[] {
    return this.allStatement.all().map(toStoredNode);
  }

  /** Marks the node online with what its runner reported. */
  register(name: string, version: string, resources: NodeResources, at: number): void {
    this.upsertStatement.run({ name, version, resources: JSON.stringify(resources), at });
  }

  heartbeat(name: string, usage: NodeUsage, at: number): void {
    this.heartbeatStatement.run(at, JSON.stringify(usage), name);
  }

  setStatus(name: string, status: NodeStatus): void {
    this.statusStatement.run(status, name);
  }

  /** Drains or undrains a node; false if no node has this name. */
  setDrained(name: string, drained: boolean): boolean {
    return this.drainedStatement.run(drained ? 1 : 0, name).changes > 0;
  }
}
