import { describe, expect, it } from 'vitest';
import { gpuNodeFixture, held, node, pass, queued, resources } from '../testing/scheduler-input.js';

const MIB = 2 ** 20;
const fixture = gpuNodeFixture();
const gpu8 = () => node('gpu8', fixture.resources);

describe('GPU placement on the recorded 8-GPU node with two models', () => {
  it('has resources derived from its recorded nvidia-smi lines', () => {
    const fromSmi = fixture.nvidiaSmi.map((line) => {
      const [index, name, uuid, memoryMib] = line.split(',').map((field) => field.trim());
      return { index: Number(index), name, uuid, memoryTotalBytes: Number(memoryMib) * MIB };
    });
    expect(fixture.resources.gpus).toEqual(fromSmi);
    expect(new Set(fixture.resources.gpus.map((gpu) => gpu.name)).size).toBe(2);
    expect(fixture.resources.gpus).toHaveLength(8);
  });

  it('keeps GPUs exclusive, in the same pass and against placed tasks', () => {
    const outcome = pass(
      [gpu8()],
      [held(1, 'gpu8', { gpus: [0] })],
      [queued(10, { target: 'gpu8::0' }), queued(11, { target: 'gpu8::1' }), queued(12, { target: 'gpu8::1' })],
    );
    expect(outcome.placed).toEqual({ 11: 'gpu8::1' });
    expect(outcome.reason(10)).toBe('waiting for GPU 0 on gpu8: GPU 0 held by task 1');
    expect(outcome.reason(12)).toBe('waiting for GPU 1 on gpu8: GPU 1 held by task 11');
  });

  it('picks the lowest free GPUs for a count, across both models', () => {
    const outcome = pass(
      [gpu8()],
      [held(1, 'gpu8', { gpus: [0] }), held(2, 'gpu8', { gpus: [2] })],
      [
        queued(10, { gpuCount: 2, target: 'gpu8' }),
        queued(11, { gpuCount: 4, target: 'gpu8' }),
        queued(12, { gpuCount: 1, target: 'gpu8' }),
      ],
    );
    expect(outcome.placed).toEqual({ 10: 'gpu8::1,3', 11: 'gpu8::4,5,6,7' });
    expect(outcome.reason(12)).toBe(
      'waiting for 1 GPU on gpu8: GPU 0 held by task 1, GPU 1 by task 10, GPU 2 by task 2 and 5 more',
    );
  });

  it('refuses GPUs the node does not have', () => {
    const outcome = pass(
      [gpu8()],
      [],
      [queued(10, { gpuCount: 9, target: 'gpu8' }), queued(11, { target: 'gpu8::8' })],
    );
    expect(outcome.reason(10)).toBe('node gpu8 has 8 GPUs; the task asks for 9');
    expect(outcome.reason(11)).toBe('node gpu8 has no GPU 8 (GPUs: 0, 1, 2, 3, 4, 5, 6, 7)');
  });

  it('sends GPU tasks without a target to the GPU node, and CPU tasks elsewhere under best-fit', () => {
    const outcome = pass(
      [node('cpu', resources(64)), gpu8()],
      [],
      [queued(10, { gpuCount: 1 }), queued(11, { cores: 4 })],
    );
    expect(outcome.placed).toEqual({ 10: 'gpu8::0', 11: 'cpu' });
  });
});
