import { describe, expect, it } from 'vitest';
import { SubmitTaskRequestSchema } from '@kawa/protocol';
import { defaultScheduling, schedulingBody, schedulingProblems } from './scheduling';

const node = { node: 'n1', numa: null, gpus: [] };

describe('scheduling fields', () => {
  it('sends the defaults the host would assume', () => {
    const body = schedulingBody(defaultScheduling());
    expect(body).toEqual({ priority: 0, gpus: 0, numa: null, maxParallel: null, retry: 0, retryOnFail: false });
    expect(SubmitTaskRequestSchema.parse({ command: ['true'], ...body })).toMatchObject(body);
  });

  it('finds what the host would refuse, before it is sent', () => {
    const choice = { ...defaultScheduling(), priority: 2000, maxParallel: 0, retryOnFail: true } as const;
    expect(schedulingProblems(choice, [])).toEqual({
      priority: expect.any(String) as string,
      maxParallel: expect.any(String) as string,
      retryOnFail: 'retrying failed tasks needs at least one retry',
    });
    const clash = { ...defaultScheduling(), gpus: 2, numaAuto: true };
    expect(Object.keys(schedulingProblems(clash, [{ node: 'n1', numa: 0, gpus: [1] }]))).toEqual(['gpus', 'numaAuto']);
    expect(schedulingProblems(clash, [node])).toEqual({});
  });

  it('sends a valid choice as the host reads it', () => {
    const choice = { priority: -5, gpus: 1, numaAuto: true, maxParallel: 3, retry: 2, retryOnFail: true } as const;
    const body = schedulingBody(choice);
    expect(body).toEqual({ priority: -5, gpus: 1, numa: 'auto', maxParallel: 3, retry: 2, retryOnFail: true });
    expect(SubmitTaskRequestSchema.safeParse({ command: ['true'], targets: ['n1'], ...body }).success).toBe(true);
  });
});
