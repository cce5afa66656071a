import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  applyDeltas,
  applyEdit,
  diffText,
  editToDeltas,
  mapPosition,
  mapSelection,
  rebaseEdit,
  type TextDelta,
} from './text-diff';

describe('diffText: one splice from old to new value', () => {
  it('reports typing, deletion, paste over a selection', () => {
    expect(diffText('helo', 'hello', 4)).toEqual({ index: 3, deleteCount: 0, insert: 'l' });
    expect(diffText('hello', 'hllo', 1)).toEqual({ index: 1, deleteCount: 1, insert: '' });
    expect(diffText('the cat sat', 'the dog sat', 7)).toEqual({ index: 4, deleteCount: 3, insert: 'dog' });
    expect(diffText('same', 'same')).toBeNull();
  });

  it('uses the caret to place an insert inside repeated characters (origins as the user meant)', () => {
    // Typing "a" after the first "a" of "aaa": the caret is at 2 in the new value.
    expect(diffText('aaa', 'aaaa', 2)).toEqual({ index: 1, deleteCount: 0, insert: 'a' });
    // Without a caret the longest prefix wins.
    expect(diffText('aaa', 'aaaa')).toEqual({ index: 3, deleteCount: 0, insert: 'a' });
    // Backspace in the middle of a run.
    expect(diffText('aaaa', 'aaa', 1)).toEqual({ index: 1, deleteCount: 1, insert: '' });
  });

  it('never splits a surrogate pair', () => {
    // 😀 = \ud83d\ude00, 😁 = \ud83d\ude01: they share the high surrogate.
    const edit = diffText('a😀b', 'a😁b');
    expect(edit).toEqual({ index: 1, deleteCount: 2, insert: '😁' });
  });

  it('property: applying the diff to the old value gives the new value, whatever the caret', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'b', ' ', '😀', 'é'), maxLength: 30 });
    fc.assert(
      fc.property(text, text, fc.option(fc.nat(40), { nil: undefined }), (before, after, caret) => {
        const edit = diffText(before, after, caret);
        if (edit === null) return before === after;
        return applyEdit(before, edit) === after && applyDeltas(before, editToDeltas(edit)) === after;
      }),
      { seed: 4242, numRuns: 2000 },
    );
  });
});

describe('mapPosition: carets move with remote deltas', () => {
  it('an insert before the caret shifts it right, after it does not', () => {
    expect(mapPosition(5, { index: 2, insert: 'xyz' })).toBe(8);
    expect(mapPosition(5, { index: 6, insert: 'xyz' })).toBe(5);
  });

  it('an insert exactly at the caret leaves it (sticks left) unless assoc is after', () => {
    expect(mapPosition(5, { index: 5, insert: 'xy' })).toBe(5);
    expect(mapPosition(5, { index: 5, insert: 'xy' }, 'after')).toBe(7);
  });

  it('a delete before shifts left, after does nothing, spanning clamps to its start', () => {
    expect(mapPosition(10, { index: 2, delete: 3 })).toBe(7);
    expect(mapPosition(2, { index: 2, delete: 3 })).toBe(2);
    expect(mapPosition(4, { index: 2, delete: 3 })).toBe(2);
    expect(mapPosition(5, { index: 2, delete: 3 })).toBe(2);
    expect(mapPosition(1, { index: 2, delete: 3 })).toBe(1);
  });
});

describe('mapSelection', () => {
  it('keeps a collapsed caret on the character it followed', () => {
    const text = 'hello world';
    const caret = { start: 5, end: 5, direction: 'none' as const };
    const deltas: TextDelta[] = [{ index: 0, insert: '>> ' }, { index: 8, insert: ',' }, { index: 9, delete: 1 }];
    const mapped = mapSelection(caret, deltas);
    const after = applyDeltas(text, deltas);
    expect(after).toBe('>> hello,world');
    expect(after.slice(0, mapped.start)).toBe('>> hello');
    expect(mapped.end).toBe(mapped.start);
  });

  it('does not grow a range with text inserted at its edges', () => {
    const range = { start: 2, end: 4, direction: 'forward' as const };
    expect(mapSelection(range, [{ index: 2, insert: 'xx' }, { index: 6, insert: 'yy' }])).toEqual({
      start: 4,
      end: 6,
      direction: 'forward',
    });
  });

  it('collapses a range that a remote delete swallowed', () => {
    const range = { start: 3, end: 6, direction: 'backward' as const };
    expect(mapSelection(range, [{ index: 1, delete: 8 }])).toEqual({ start: 1, end: 1, direction: 'backward' });
  });

  it('property: the caret keeps the same left neighbour when that character survives', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 20 }),
        fc.nat(),
        fc.nat(),
        fc.string({ minLength: 1, maxLength: 5 }),
        (text, caretSeed, indexSeed, inserted) => {
          const caret = caretSeed % (text.length + 1);
          const index = indexSeed % (text.length + 1);
          const delta: TextDelta = { index, insert: inserted };
          const mapped = mapSelection({ start: caret, end: caret, direction: 'none' }, [delta]);
          const after = applyDeltas(text, [delta]);
          // The text before the caret is the old text before it, plus the insert when it landed strictly before.
          const expectedLeft = index < caret
            ? text.slice(0, index) + inserted + text.slice(index, caret)
            : text.slice(0, caret);
          return after.slice(0, mapped.start) === expectedLeft;
        },
      ),
      { seed: 99, numRuns: 1000 },
    );
  });
});

describe('rebaseEdit: a local splice made against an older text', () => {
  it('shifts past remote inserts before it and shrinks over remote deletes', () => {
    const base = 'abcdef';
    const remote: TextDelta[] = [{ index: 0, insert: 'XY' }, { index: 5, delete: 2 }];
    const current = applyDeltas(base, remote); // "XYabcf"
    expect(current).toBe('XYabcf');
    // Locally the user replaced "cde" (2..5) with "Z".
    const rebased = rebaseEdit({ index: 2, deleteCount: 3, insert: 'Z' }, remote);
    expect(applyEdit(current, rebased)).toBe('XYabZf');
  });
});
