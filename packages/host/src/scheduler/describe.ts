import { blockerOn, fitsNow, neverFitsSlot } from './fit.js';
import type { GpuHolder, NodeBlocker, WaitReason } from './model.js';
import { coresPhrase, formatCores, listPhrase, memoryPhrase } from './phrases.js';

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
function describeBlocker(blocker: NodeBlocker): string {
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

/** How many nodes a reason describes before it says "and N more nodes are full". */
const BLOCKERS_SHOWN = 3;

/**
 * What keeps a busy task off its nodes, worked out when the reason is read rather than in the
 * pass: the pass's final state is kept with the reason, and free resources only shrink during
 * a pass, so the nodes that refused the task then still refuse it there.
 */
function blockersOf(reason: Extract<WaitReason, { kind: 'busy' }>): { blockers: NodeBlocker[]; more: number } {
  const blockers: NodeBlocker[] = [];
  let more = 0;
  const own = reason.reserved?.taskId ?? null;
  for (const slot of reason.nodes) {
    if (!slot.ready || (!neverFitsSlot(slot, reason.request) && fitsNow(slot, reason.request))) continue;
    if (blockers.length < BLOCKERS_SHOWN) blockers.push(blockerOn(slot, reason.request, own));
    else more += 1;
  }
  return { blockers, more };
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
      const { blockers, more: count } = blockersOf(reason);
      const shown = blockers.map(describeBlocker).join('; ');
      const more = count > 0 ? `; and ${count} more ${count === 1 ? 'node is' : 'nodes are'} full` : '';
      const reserved =
        reason.reserved === null ? '' : ` (${reason.reserved.node} is reserved for task ${reason.reserved.taskId})`;
      return `${shown}${more}${reserved}`;
    }
  }
}
