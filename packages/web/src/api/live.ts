import { reactive, watch } from 'vue';
import {
  USAGE_HISTORY_MS,
  USAGE_HISTORY_SAMPLES,
  type EventFrame,
  type Node,
  type Task,
  type UsageSample,
} from '@kawa/protocol';
import { EventStream, type StreamState } from './event-stream';
import { token } from './session';

/** How many of the newest tasks the overview keeps. */
const RECENT_TASKS = 25;

/** Everything live the views draw from, fed by the one event stream. */
export interface LiveState {
  state: StreamState;
  detail: string;
  /** True once the first snapshot arrived. */
  ready: boolean;
  nodes: Node[];
  history: Record<string, UsageSample[]>;
  pending: number;
  recent: Task[];
  /** The clock "ago" columns count from; ticks once a second. */
  now: number;
}

export const live = reactive<LiveState>({
  state: 'stopped',
  detail: '',
  ready: false,
  nodes: [],
  history: {},
  pending: 0,
  recent: [],
  now: Date.now(),
});

type TaskListener = (task: Task) => void;
const taskListeners = new Set<TaskListener>();

/** Calls `listener` with every task change; returns the way to stop. Lists use it to stay live. */
export function onTask(listener: TaskListener): () => void {
  taskListeners.add(listener);
  return () => taskListeners.delete(listener);
}

/** Puts a node's newest state in the live list: from a frame, or from an action's answer (drain). */
export function upsertNode(node: Node): void {
  const index = live.nodes.findIndex((known) => known.name === node.name);
  if (index >= 0) live.nodes[index] = node;
  else live.nodes = [...live.nodes, node].sort((a, b) => a.name.localeCompare(b.name));
}

function addSample(node: string, sample: UsageSample): void {
  const samples = live.history[node] ?? [];
  samples.push(sample);
  const start = samples.findIndex((kept) => kept.at > sample.at - USAGE_HISTORY_MS);
  const from = Math.max(start, samples.length - USAGE_HISTORY_SAMPLES);
  live.history[node] = from > 0 ? samples.slice(from) : samples;
}

function upsertRecent(task: Task): void {
  const index = live.recent.findIndex((known) => known.id === task.id);
  if (index >= 0) live.recent[index] = task;
  else if (live.recent.length < RECENT_TASKS || task.id > (live.recent.at(-1)?.id ?? 0))
    live.recent = [task, ...live.recent].sort((a, b) => b.id - a.id).slice(0, RECENT_TASKS);
}

export function applyFrame(frame: EventFrame): void {
  switch (frame.type) {
    case 'snapshot':
      live.nodes = frame.nodes;
      live.history = Object.fromEntries(frame.history.map((entry) => [entry.node, entry.samples]));
      live.pending = frame.queue.pending;
      live.recent = frame.recentTasks;
      live.ready = true;
      return;
    case 'node':
      upsertNode(frame.node);
      return;
    case 'usage':
      addSample(frame.node, frame.sample);
      return;
    case 'task':
      upsertRecent(frame.task);
      for (const listener of taskListeners) listener(frame.task);
      return;
    case 'queue':
      live.pending = frame.queue.pending;
      return;
    case 'pong':
      return;
  }
}

let stream: EventStream | null = null;

/** Opens the stream while a token is set, and closes it on logout. */
export function startLive(): void {
  window.setInterval(() => (live.now = Date.now()), 1000);
  watch(
    token,
    (value) => {
      stream?.stop();
      stream = null;
      live.ready = false;
      if (value === null) return;
      stream = new EventStream({
        token: value,
        onFrame: applyFrame,
        onState: (state, detail) => {
          live.state = state;
          live.detail = detail;
        },
      });
      stream.start();
    },
    { immediate: true },
  );
}

/** After the stream gave up: try again now. */
export function reconnect(): void {
  stream?.start();
}
