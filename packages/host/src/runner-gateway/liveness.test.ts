import { describe, expect, it } from 'vitest';
import { Liveness } from './liveness.js';

describe('Liveness', () => {
  it('expires a node once, and a touch restarts its grace', async () => {
    const expired: string[] = [];
    const liveness = new Liveness(40, (name) => expired.push(name));
    liveness.touch('a');
    liveness.touch('b');
    liveness.cancel('b');
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(expired).toEqual(['a']);
    liveness.stop();
  });

  it('regression: ignores touches after stop, so a link closing during shutdown arms no timer', async () => {
    const expired: string[] = [];
    const liveness = new Liveness(10, (name) => expired.push(name));
    liveness.stop();
    liveness.touch('a');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(expired).toEqual([]);
  });
});
