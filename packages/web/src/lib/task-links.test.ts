import { describe, expect, it } from 'vitest';
import { linkTasks } from './task-links';

describe('linkTasks', () => {
  it('links the task a retry went to', () => {
    expect(linkTasks('retried as task 57 (attempt 2 of 3)')).toEqual([
      { text: 'retried as ' },
      { text: 'task 57', taskId: 57 },
      { text: ' (attempt 2 of 3)' },
    ]);
  });

  it('links the attempt a retry came from, and leaves other text alone', () => {
    expect(linkTasks('attempt 2 of 3, retrying task 41 (lost: node n1 went offline)')).toEqual([
      { text: 'attempt 2 of 3, retrying ' },
      { text: 'task 41', taskId: 41 },
      { text: ' (lost: node n1 went offline)' },
    ]);
    expect(linkTasks('exited with code 3')).toEqual([{ text: 'exited with code 3' }]);
    expect(linkTasks('subtask 4 and task 12x')).toEqual([{ text: 'subtask 4 and task 12x' }]);
  });
});
