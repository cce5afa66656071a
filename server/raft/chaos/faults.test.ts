/**
 * The chaos fault schedule: a pure function of its seed, never more than `maxActive` faults in
 * force, at most one node process down or paused at a time (so a majority of processes is always
 * running and only links and timing stand between the group and progress).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SeededRandom } from '../core/random';
import { describeFault, nextFaultAction, type Fault } from './faults';

/** Plays `steps` actions from `seed`, returning the log and checking the limits at every step. */
function play(seed: number, steps: number, maxActive: number): string[] {
  const random = new SeededRandom(seed);
  let active: Fault[] = [];
  const log: string[] = [];
  for (let k = 0; k < steps; k++) {
    const action = nextFaultAction(random, active, { nodes: [1, 2, 3], maxActive, healChance: 0.45 });
    if (action.kind === 'none') continue;
    log.push(`${action.kind} ${describeFault(action.fault)}`);
    if (action.kind === 'inject') active = [...active, action.fault];
    else active = active.filter((f) => f !== action.fault);
    expect(active.length).toBeLessThanOrEqual(maxActive);
    expect(active.filter((f) => f.kind !== 'cut').length).toBeLessThanOrEqual(1);
  }
  return log;
}

describe('fault schedule', () => {
  it('is a pure function of the seed and respects its limits', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 0x7fffffff }), fc.integer({ min: 1, max: 3 }), (seed, maxActive) => {
        expect(play(seed, 200, maxActive)).toEqual(play(seed, 200, maxActive));
      }),
      { numRuns: 100 },
    );
  });

  it('injects every kind of fault', () => {
    const text = play(7, 500, 2).join('\n');
    for (const kind of ['inject kill', 'inject pause', 'inject cut', '<->', '(blackhole)', '(reset)']) expect(text).toContain(kind);
  });
});
