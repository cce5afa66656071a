/**
 * The linearizability checker on classic histories (Herlihy & Wing §2; Porcupine's examples) and
 * two properties: a history whose operations each contain their point of a serial run is
 * linearizable, and a stale read added to it is caught.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkLinearizable, okOperation, unknownOperation } from './linearizability';
import type { Operation } from './model';
import { docStoreModel, kvModel } from './models';
import type { DocInput, DocOutput, DocState, KvInput, KvOutput } from './models';

type KvOp = Operation<KvInput, KvOutput>;
type DocOp = Operation<DocInput, DocOutput>;

const put = (client: number, key: string, value: string, call: number, ret: number): KvOp =>
  okOperation<KvInput, KvOutput>(client, { kind: 'put', key, value }, call, ret, null);
const get = (client: number, key: string, value: string | null, call: number, ret: number): KvOp =>
  okOperation<KvInput, KvOutput>(client, { kind: 'get', key }, call, ret, value);
const merge = (client: number, docId: string, tag: string, call: number, ret: number): DocOp =>
  okOperation<DocInput, DocOutput>(client, { kind: 'merge', docId, tag }, call, ret, null);
const read = (client: number, docId: string, tags: string[], call: number, ret: number): DocOp =>
  okOperation<DocInput, DocOutput>(client, { kind: 'read', docId }, call, ret, new Set(tags));

describe('key-value register model', () => {
  it('accepts a read concurrent with the write it sees', () => {
    const history = [put(0, 'x', '1', 0, 10), get(1, 'x', '1', 5, 15), get(2, 'x', null, 1, 4)];
    expect(checkLinearizable(kvModel, history).verdict).toBe('linearizable');
  });

  it('rejects a stale read after an acknowledged write (real-time order)', () => {
    const result = checkLinearizable(kvModel, [put(0, 'x', '1', 0, 10), get(1, 'x', null, 20, 30)]);
    expect(result.verdict).toBe('not-linearizable');
    if (result.verdict !== 'not-linearizable') return;
    expect(result.counterexample.blocked.input).toEqual({ kind: 'get', key: 'x' });
    expect(result.counterexample.message).toContain('get(x) -> null');
  });

  it('rejects a read that sees a value before its write was called', () => {
    const history = [get(1, 'x', '1', 0, 5), put(0, 'x', '1', 10, 20)];
    expect(checkLinearizable(kvModel, history).verdict).toBe('not-linearizable');
  });

  it('accepts two overlapping writes seen in either order, but not both orders', () => {
    const writes = [put(0, 'x', '1', 0, 100), put(1, 'x', '2', 0, 100)];
    const oneWay = [...writes, get(2, 'x', '1', 10, 20), get(2, 'x', '2', 30, 40)];
    const otherWay = [...writes, get(2, 'x', '2', 10, 20), get(2, 'x', '1', 30, 40)];
    expect(checkLinearizable(kvModel, oneWay).verdict).toBe('linearizable');
    expect(checkLinearizable(kvModel, otherWay).verdict).toBe('linearizable');
    const both = [...oneWay, get(3, 'x', '1', 50, 60)];
    expect(checkLinearizable(kvModel, both).verdict).toBe('not-linearizable');
  });

  it('lets a write with an unknown outcome take effect late or never, but not be undone', () => {
    const lost = unknownOperation<KvInput, KvOutput>(0, { kind: 'put', key: 'x', value: '1' }, 0);
    expect(checkLinearizable(kvModel, [lost, get(1, 'x', null, 50, 60)]).verdict).toBe('linearizable');
    expect(checkLinearizable(kvModel, [lost, get(1, 'x', null, 50, 60), get(1, 'x', '1', 70, 80)]).verdict).toBe(
      'linearizable',
    );
    const undone = [lost, get(1, 'x', '1', 50, 60), get(1, 'x', null, 70, 80)];
    expect(checkLinearizable(kvModel, undone).verdict).toBe('not-linearizable');
  });

  it('checks keys independently (partitioning)', () => {
    const history = [put(0, 'x', '1', 0, 10), put(1, 'y', '2', 0, 10), get(2, 'x', '1', 20, 30), get(2, 'y', '2', 20, 30)];
    const result = checkLinearizable(kvModel, history);
    expect(result).toMatchObject({ verdict: 'linearizable', partitions: 2 });
  });

  it('answers unknown when the step budget runs out', () => {
    const writes = Array.from({ length: 12 }, (_, i) => put(i, 'x', String(i), 0, 1000));
    const reads = Array.from({ length: 12 }, (_, i) => get(20 + i, 'x', String(11 - i), 10 + i * 10, 15 + i * 10));
    expect(checkLinearizable(kvModel, [...writes, ...reads], { maxSteps: 5 }).verdict).toBe('unknown');
    expect(checkLinearizable(kvModel, [...writes, ...reads]).verdict).toBe('linearizable');
  });
});

describe('document store model', () => {
  it('rejects a read missing a merge acknowledged before it began (stale read)', () => {
    const result = checkLinearizable(docStoreModel, [merge(0, 'd', 'a', 0, 10), read(1, 'd', [], 20, 30)]);
    expect(result.verdict).toBe('not-linearizable');
    if (result.verdict === 'not-linearizable') expect(result.counterexample.message).toContain('read(d) -> {}');
  });

  it('rejects a read seeing a merge that began after the read returned', () => {
    expect(checkLinearizable(docStoreModel, [read(1, 'd', ['a'], 0, 5), merge(0, 'd', 'a', 10, 20)]).verdict).toBe(
      'not-linearizable',
    );
  });

  it('accepts concurrent merges seen in any order, once each, never forgotten', () => {
    const merges = [merge(0, 'd', 'a', 0, 100), merge(1, 'd', 'b', 0, 100)];
    expect(checkLinearizable(docStoreModel, [...merges, read(2, 'd', ['b'], 10, 20), read(2, 'd', ['a', 'b'], 30, 40)]).verdict).toBe(
      'linearizable',
    );
    expect(checkLinearizable(docStoreModel, [...merges, read(2, 'd', ['a'], 10, 20), read(2, 'd', ['b'], 30, 40)]).verdict).toBe(
      'not-linearizable',
    );
    expect(checkLinearizable(docStoreModel, [...merges, read(2, 'd', ['a', 'b'], 10, 20), read(3, 'd', [], 30, 40)]).verdict).toBe(
      'not-linearizable',
    );
  });

  it('treats a timed-out merge as maybe applied, but once seen it stays', () => {
    const maybe = unknownOperation<DocInput, DocOutput>(0, { kind: 'merge', docId: 'd', tag: 'a' }, 0);
    expect(checkLinearizable(docStoreModel, [maybe, read(1, 'd', [], 10, 20), read(1, 'd', ['a'], 30, 40)]).verdict).toBe(
      'linearizable',
    );
    expect(checkLinearizable(docStoreModel, [maybe, read(1, 'd', ['a'], 10, 20), read(2, 'd', [], 30, 40)]).verdict).toBe(
      'not-linearizable',
    );
  });

  it('stays cheap with many timed-out merges: unseen ones are dropped, seen ones bounded by the read', () => {
    const lost = Array.from({ length: 40 }, (_, i) =>
      unknownOperation<DocInput, DocOutput>(i, { kind: 'merge', docId: 'd', tag: `u${i}` }, i),
    );
    const reads = Array.from({ length: 40 }, (_, i) => read(100 + i, 'd', i >= 30 ? ['u3'] : [], 100 + i * 10, 105 + i * 10));
    expect(checkLinearizable(docStoreModel, [...lost, ...reads], { maxSteps: 10_000 }).verdict).toBe('linearizable');
    const forgotten = [...lost, ...reads, read(200, 'd', [], 1000, 1001)];
    expect(checkLinearizable(docStoreModel, forgotten, { maxSteps: 10_000 }).verdict).toBe('not-linearizable');
  });

  it('rejects a read seeing a tag never merged', () => {
    expect(checkLinearizable(docStoreModel, [merge(0, 'd', 'a', 0, 10), read(1, 'd', ['a', 'z'], 20, 30)]).verdict).toBe(
      'not-linearizable',
    );
  });
});

/** A serial run's steps; step i is linearized at time 10 i and widened by `before`/`after`. */
const serialSteps = fc.array(
  fc.record({
    isMerge: fc.boolean(),
    doc: fc.constantFrom('d1', 'd2'),
    client: fc.integer({ min: 0, max: 5 }),
    before: fc.integer({ min: 0, max: 40 }),
    after: fc.integer({ min: 0, max: 40 }),
    unknown: fc.boolean(),
  }),
  { minLength: 1, maxLength: 40 },
);

/** Runs the steps serially against the model and widens each operation around its point. */
function historyFromSerialRun(
  raw: readonly { isMerge: boolean; doc: string; client: number; before: number; after: number; unknown: boolean }[],
): { history: DocOp[]; finalStates: Map<string, DocState>; ackedTags: Map<string, string[]> } {
  const states = new Map<string, DocState>();
  const ackedTags = new Map<string, string[]>();
  const history: DocOp[] = [];
  raw.forEach((s, index) => {
    const input: DocInput = s.isMerge ? { kind: 'merge', docId: s.doc, tag: `t${index}` } : { kind: 'read', docId: s.doc };
    const state = states.get(s.doc) ?? docStoreModel.init();
    const output: DocOutput = input.kind === 'read' ? new Set(state.tags) : null;
    const [ok, next] = docStoreModel.step(state, input, { known: true, value: output });
    if (!ok) throw new Error('serial run rejected by its own model');
    states.set(s.doc, next);
    const point = index * 10;
    if (s.unknown && input.kind === 'merge') {
      history.push(unknownOperation(s.client, input, point - s.before));
    } else {
      history.push(okOperation(s.client, input, point - s.before, point + s.after, output));
      if (input.kind === 'merge') ackedTags.set(s.doc, [...(ackedTags.get(s.doc) ?? []), input.tag]);
    }
  });
  return { history, finalStates: states, ackedTags };
}

describe('properties', () => {
  it('any history whose operations contain their point of a serial run is linearizable', () => {
    fc.assert(
      fc.property(serialSteps, (raw) => {
        const { history } = historyFromSerialRun(raw);
        expect(checkLinearizable(docStoreModel, history).verdict).toBe('linearizable');
      }),
      { numRuns: 300 },
    );
  });

  it('a read after everything that misses an acknowledged merge makes it fail (stale read)', () => {
    fc.assert(
      fc.property(serialSteps, fc.nat(), (raw, pick) => {
        const { history, finalStates, ackedTags } = historyFromSerialRun(raw);
        const docs = [...ackedTags.keys()];
        fc.pre(docs.length > 0);
        const docId = docs[pick % docs.length]!;
        const acked = ackedTags.get(docId)!;
        const missing = acked[pick % acked.length]!;
        const end = raw.length * 10 + 100;
        const seen = [...finalStates.get(docId)!.tags].filter((tag) => tag !== missing);
        const stale = read(9, docId, seen, end, end + 5);
        expect(checkLinearizable(docStoreModel, [...history, stale]).verdict).toBe('not-linearizable');
      }),
      { numRuns: 300 },
    );
  });

  it('the register model: serial histories pass, a read of a surely overwritten value after them fails', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ isPut: fc.boolean(), key: fc.constantFrom('x', 'y'), before: fc.nat(30), after: fc.nat(30) }), {
          minLength: 1,
          maxLength: 40,
        }),
        (raw) => {
          const values = new Map<string, string | null>();
          const history: KvOp[] = raw.map((s, index) => {
            const point = index * 10;
            const current = values.get(s.key) ?? null;
            if (!s.isPut) return get(index % 4, s.key, current, point - s.before, point + s.after);
            values.set(s.key, `v${index}`);
            return put(index % 4, s.key, `v${index}`, point - s.before, point + s.after);
          });
          expect(checkLinearizable(kvModel, history).verdict).toBe('linearizable');
          // A put that returned before another put on its key was called cannot be the last one.
          const puts = history.filter((op) => op.input.kind === 'put');
          const end = raw.length * 10 + 100;
          for (const old of puts) {
            if (old.input.kind !== 'put') continue;
            const key = old.input.key;
            const overwritten = puts.some((later) => later.input.key === key && later.call > old.return!);
            if (!overwritten) continue;
            expect(checkLinearizable(kvModel, [...history, get(9, key, old.input.value, end, end + 1)]).verdict).toBe(
              'not-linearizable',
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
