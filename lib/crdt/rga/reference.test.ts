import { describe, expect, it } from 'vitest';
import { registerInterleavingSuite } from './interleaving-suite';
import { registerSequenceSuite } from './sequence-suite';
import { ReferenceRga } from './reference';
import { applyDeltas } from './shared';

describe('ReferenceRga basics', () => {
  it('local inserts and deletes edit the visible text like a string splice', () => {
    const seq = new ReferenceRga();
    seq.insertLocal(0, 'hello', 1, 0);
    seq.insertLocal(5, ' world', 1, 5);
    expect(seq.deleteLocal(0, 1)).toEqual([{ replica: 1, clock: 0, length: 1 }]);
    seq.insertLocal(0, 'H', 1, 11);
    expect(seq.toString()).toBe('Hello world');
    expect(seq.length).toBe(11);
  });

  it('a run integrated remotely reproduces the local text and its deltas', () => {
    const a = new ReferenceRga();
    const b = new ReferenceRga();
    const r1 = a.insertLocal(0, 'abc', 1, 0);
    const r2 = a.insertLocal(1, 'XY', 1, 3);
    let text = '';
    text = applyDeltas(text, b.integrate(r1));
    text = applyDeltas(text, b.integrate(r2));
    expect(b.toString()).toBe('aXYbc');
    expect(text).toBe('aXYbc');
  });
});

registerSequenceSuite('ReferenceRga', () => new ReferenceRga());
registerInterleavingSuite('ReferenceRga', () => new ReferenceRga());
