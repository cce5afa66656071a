import { describe, expect, it } from 'vitest';
import { registerInterleavingSuite } from './interleaving-suite';
import { ReferenceRga } from './reference';
import { Rga } from './rga';
import { registerSequenceSuite } from './sequence-suite';
import type { Sequence } from './types';

registerSequenceSuite('Rga', () => new Rga());
registerInterleavingSuite('Rga', () => new Rga());
// Tiny nodes: the same contract must hold when almost every edit splits a leaf or a branch.
registerSequenceSuite('Rga with tiny tree nodes', () => new Rga({ leafCapacity: 2, branchCapacity: 3 }));
registerInterleavingSuite('Rga with tiny tree nodes', () => new Rga({ leafCapacity: 2, branchCapacity: 3 }));

describe('Rga: resuming a scan after the last sibling placed with the same origins', () => {
  // The resume point must still be a live span: here it is merged into its (deleted) predecessor
  // before a concurrent sibling arrives, so resuming from it would walk from a stale position.
  it('ignores a remembered sibling that was since absorbed into a deleted neighbour (same text as ReferenceRga)', () => {
    for (const make of [() => new Rga(), () => new Rga({ leafCapacity: 2, branchCapacity: 3 }), () => new ReferenceRga()]) {
      const doc: Sequence = make();
      doc.integrate({ replica: 0, clock: 0, length: 1, originLeft: null, originRight: null, content: 'Q' });
      doc.integrate({ replica: 1, clock: 0, length: 1, originLeft: { replica: 0, clock: 0 }, originRight: null, content: 'a' });
      doc.deleteRange({ replica: 1, clock: 0, length: 1 });
      // 'b' continues 'a' but cannot merge into the deleted span: it is placed (and remembered) on its own.
      doc.integrate({ replica: 1, clock: 1, length: 1, originLeft: { replica: 1, clock: 0 }, originRight: null, content: 'b' });
      doc.deleteRange({ replica: 1, clock: 1, length: 1 }); // absorbed into 'a''s tombstone
      doc.integrate({ replica: 2, clock: 0, length: 1, originLeft: { replica: 1, clock: 0 }, originRight: null, content: 'x' });
      doc.integrate({ replica: 3, clock: 0, length: 1, originLeft: { replica: 1, clock: 0 }, originRight: null, content: 'y' });
      expect(doc.toString()).toBe('Qxy');
      expect(doc.runsOf(1, 0, 2)).toEqual([{ replica: 1, clock: 0, length: 2, originLeft: { replica: 0, clock: 0 }, originRight: null, content: null }]);
    }
  });
});

describe('Rga: a remote backspace or forward delete next to its own tombstone', () => {
  /** Spans in document order as (replica, clock, length, content). */
  function spans(sequence: Rga): string[] {
    const out: string[] = [];
    sequence.forEachSpan((span) => out.push(`${span.replica}:${span.clock}+${span.length}=${span.content ?? '∅'}`));
    return out;
  }

  it('leaves the same spans and deltas as the local delete (characters moved into the tombstone, no split)', () => {
    for (const options of [{}, { leafCapacity: 2, branchCapacity: 3 }]) {
      const local = new Rga(options);
      const remote = new Rga(options);
      remote.integrate(local.insertLocal(0, 'abcdef', 1, 0), false);
      // Backspaces from the end of 'abcd' (e, f stay), then forward deletes from the start.
      const deletes = [...local.deleteLocal(3, 1), ...local.deleteLocal(2, 1), ...local.deleteLocal(1, 1), ...local.deleteLocal(0, 1), ...local.deleteLocal(0, 1)];
      const deltas = deletes.flatMap((range) => remote.deleteRange(range));
      expect(remote.toString()).toBe('f');
      expect(local.toString()).toBe('f');
      expect(spans(remote)).toEqual(spans(local));
      expect(spans(remote)).toEqual(['1:0+5=∅', '1:5+1=f']);
      expect(deltas).toEqual([{ index: 3, delete: 1 }, { index: 2, delete: 1 }, { index: 1, delete: 1 }, { index: 0, delete: 1 }, { index: 0, delete: 1 }]);
    }
  });
});
