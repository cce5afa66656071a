/**
 * Sequential specification: on one replica (and on a peer fed its updates), every field behaves
 * like its plain sequential model (string, set, map, last value, sum). Convergence tests alone
 * would accept a CRDT that converges to the wrong thing; this one pins the meaning.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { JsonValue } from '../codec/json';
import { Doc } from './doc';

type Edit =
  | { type: 'insert'; at: number; text: string }
  | { type: 'delete'; at: number; length: number }
  | { type: 'add' | 'remove'; value: string }
  | { type: 'set'; key: string; value: number }
  | { type: 'unset'; key: string }
  | { type: 'register'; value: number | null }
  | { type: 'count'; delta: number };

const editArb: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ type: fc.constant('insert' as const), at: fc.nat(), text: fc.string({ minLength: 1, maxLength: 3 }) }),
  fc.record({ type: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ type: fc.constantFrom('add' as const, 'remove' as const), value: fc.constantFrom('a', 'b', 'c') }),
  fc.record({ type: fc.constant('set' as const), key: fc.constantFrom('x', 'y'), value: fc.integer() }),
  fc.record({ type: fc.constant('unset' as const), key: fc.constantFrom('x', 'y') }),
  fc.record({ type: fc.constant('register' as const), value: fc.option(fc.integer(), { nil: null }) }),
  fc.record({ type: fc.constant('count' as const), delta: fc.integer({ min: -5, max: 5 }) }),
);

describe('Doc against its sequential model', () => {
  it('text, OR-Set, LWW-Map, LWW-Register and PN-Counter equal plain string/set/map/value/sum, locally and on a peer', () => {
    fc.assert(
      fc.property(fc.array(editArb, { maxLength: 25 }), fc.nat(1000), (edits, clockStart) => {
        let time = clockStart;
        const doc = new Doc({ replicaId: 1, now: () => time });
        const peer = new Doc({ replicaId: 2, now: () => time });
        doc.on('update', (u) => peer.apply(u));
        let text = '';
        const set = new Set<string>();
        const map = new Map<string, JsonValue>();
        let register: JsonValue = null;
        let count = 0;
        for (const edit of edits) {
          time += edit.type === 'count' ? 0 : 1; // equal wall times exercise the logical part
          switch (edit.type) {
            case 'insert': {
              const at = edit.at % (text.length + 1);
              doc.getText('t').insert(at, edit.text);
              text = text.slice(0, at) + edit.text + text.slice(at);
              break;
            }
            case 'delete': {
              if (text.length === 0) break;
              const at = edit.at % text.length;
              const length = Math.min(edit.length, text.length - at);
              doc.getText('t').delete(at, length);
              text = text.slice(0, at) + text.slice(at + length);
              break;
            }
            case 'add':
              doc.getSet('s').add(edit.value);
              set.add(edit.value);
              break;
            case 'remove':
              doc.getSet('s').remove(edit.value);
              set.delete(edit.value);
              break;
            case 'set':
              doc.getMap('m').set(edit.key, edit.value);
              map.set(edit.key, edit.value);
              break;
            case 'unset':
              doc.getMap('m').delete(edit.key);
              map.delete(edit.key);
              break;
            case 'register':
              doc.getRegister('r').set(edit.value);
              register = edit.value;
              break;
            case 'count':
              doc.getCounter('c').add(edit.delta);
              count += edit.delta;
              break;
          }
        }
        const expected = {
          c: count,
          m: Object.fromEntries([...map].sort(([a], [b]) => (a < b ? -1 : 1))),
          r: register,
          s: [...set].sort(),
          t: text,
        };
        const json = doc.toJSON();
        for (const [key, value] of Object.entries(expected)) if (key in json) expect(json[key]).toEqual(value);
        expect(peer.toJSON()).toEqual(json);
        expect(peer.encode()).toEqual(doc.encode());
      }),
      { seed: 9001, numRuns: 1000 },
    );
  });
});
