import { formatMemory } from '@kawa/protocol';
import type { GpuHolder, NodeBlocker, WaitReason } from './model.js';

/** `1.5`, `2`, `0.125`: cores without float noise. */
export function formatCores(cores: number): string {
  return String(Math.round(cores * 1000) / 1000);
}

export function coresPhrase(cores: number): string {
  return `${formatCores(cores)} ${cores === 1 ? 'core' : 'cores'}`;
}

export function memoryPhrase(bytes: number): string {
  return formatMemory(bytes);
}

export function listPhrase(values: readonly number[]): string {
  return values.length === 0 ? 'none' : values.join(', ');
}

/** How many holders a reason names before it says "and N more". */
const HOLDERS_SHOWN = 3;

function holdersPhrase(held: readonly GpuHolder[]): string {
  const named = held.slice(0, HOLDERS_SHOWN).map((holder, index) => {
    const who = `${holder.reserved ? 'held for' : 'held by'} task ${holder.taskId}`;
    return index === 0 ? `GPU ${holder.gpu} ${who}` : `GPU ${holder.gpu} ${who.replace('held ', '')}`;
  });
  const more = held.length - named.length;
  return more > 0 ? `${named.join(', ')} and ${more} more` : named.join(', ');
}

/** One node's part of a wait reason. */
export function describeBlocker(blocker: NodeBlocker): string {
  switch (blocker.kind) {
    case 'never':
      return blocker.why;
    case 'cores':
      return `waiting for ${coresPhrase(blocker.need)} on ${blocker.node} (${formatCores(blocker.used)} of ${blocker.total} in use)`;
    case 'zone-cores':
      return `waiting for ${coresPhrase(blocker.need)} in NUMA zone ${blocker.zone} of ${blocker.node} (${formatCores(blocker.used)} of ${blocker.total} in use)`;
    case 'auto-zone':
      return `waiting for ${coresPhrase(blocker.need)} in one NUMA zone of ${blocker.node} (${
        blocker.bestZone === null
          ? 'no zone has any free'
          : `zone ${blocker.bestZone} has ${formatCores(blocker.bestFree)} free`
      })`;
    case 'memory':
      return `waiting for ${memoryPhrase(blocker.need)} of memory on ${blocker.node} (${memoryPhrase(blocker.used)} of ${memoryPhrase(blocker.total)} in use)`;
    case 'zone-memory':
      return `waiting for ${memoryPhrase(blocker.need)} of memory in NUMA zone ${blocker.zone} of ${blocker.node} (${memoryPhrase(blocker.used)} of ${memoryPhrase(blocker.total)} in use)`;
    case 'gpu-count':
      return `waiting for ${blocker.need} ${blocker.need === 1 ? 'GPU' : 'GPUs'} on ${blocker.node}: ${holdersPhrase(blocker.held)}`;
    case 'gpu-ids':
      return `waiting for ${blocker.want.length === 1 ? 'GPU' : 'GPUs'} ${listPhrase(blocker.want)} on ${blocker.node}: ${holdersPhrase(blocker.held)}`;
    case 'reserved':
      return `waiting behind task ${blocker.forTask}, which has ${blocker.node} reserved`;
  }
}

/** The text a pending task shows (`task status`, `task list`, the dashboard). */
export function describeWait(reason: WaitReason): string {
  switch (reason.kind) {
    case 'no-node':
      return reason.drained > 0 ? 'no node takes tasks: every online node is drained' : 'no node is online';
    case 'unknown-node':
      return `waiting for node ${reason.node} to register`;
    case 'offline':
      return `waiting for node ${reason.node} to come back online`;
    case 'disconnected':
      return `waiting for node ${reason.node} to reconnect`;
    case 'drained':
      return `${reason.node} is drained ("kawa node undrain ${reason.node}" lets it take tasks again)`;
    case 'max-parallel':
      return `batch ${reason.batchId} is at its --max-parallel ${reason.limit}`;
    case 'busy': {
      const shown = reason.blockers.map(describeBlocker).join('; ');
      const more =
        reason.more > 0 ? `; and ${reason.more} more ${reason.more === 1 ? 'node is' : 'nodes are'} full` : '';
      const reserved =
        reason.reserved === null ? '' : ` (${reason.reserved.node} is reserved for task ${reason.reserved.taskId})`;
      return `${shown}${more}${reserved}`;
    }
  }
}
