import type { TaskEventFrame } from '@kawa/protocol';
import { describe, expect, it } from 'vitest';
import { PendingReports } from './pending-reports.js';

const event = (taskId: number, status: TaskEventFrame['status']): TaskEventFrame => ({
  type: 'task-event',
  taskId,
  status,
  exitCode: null,
  message: null,
  errorCode: null,
  at: 1,
});

describe('pending reports', () => {
  it('lists undelivered endings under their last live state until delivered', () => {
    const reports = new PendingReports();
    reports.produced(event(1, 'running'));
    reports.produced(event(1, 'paused'));
    reports.produced(event(1, 'killed'));
    reports.produced(event(2, 'failed'));
    expect(reports.liveTasks([{ taskId: 5, status: 'running' }])).toEqual([
      { taskId: 5, status: 'running' },
      { taskId: 1, status: 'paused' },
      { taskId: 2, status: 'failed' },
    ]);
    reports.delivered(event(1, 'killed'));
    expect(reports.liveTasks([])).toEqual([{ taskId: 2, status: 'failed' }]);
  });

  it('lists a dropped ending with its final state', () => {
    const reports = new PendingReports();
    reports.produced(event(3, 'running'));
    reports.produced(event(3, 'completed'));
    reports.dropped(event(3, 'completed'));
    expect(reports.liveTasks([])).toEqual([{ taskId: 3, status: 'completed' }]);
  });

  it('keeps a stopped VPS listed as live until its stopped event is delivered', () => {
    const reports = new PendingReports();
    reports.produced(event(4, 'running'));
    reports.produced(event(4, 'stopped'));
    // Not final for the host, but over on this node: hello lists it so the host waits for the event.
    expect(reports.liveTasks([])).toEqual([{ taskId: 4, status: 'running' }]);
    reports.delivered(event(4, 'stopped'));
    expect(reports.liveTasks([])).toEqual([]);
  });
});
