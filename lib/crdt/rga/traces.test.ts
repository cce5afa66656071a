/**
 * Real editing traces (josephg/editing-traces, in `<repo>/../shared/traces`): every sequential
 * trace replays through `Rga` as local edits to exactly its `endContent`, and the concurrent
 * `clownschool` trace, replayed with one replica per agent and merged, converges to its
 * `endContent`. The reference implementation is quadratic, so it only replays a prefix.
 */
import { describe, expect, it } from 'vitest';
import { Rga } from './rga';
import { ReferenceRga } from './reference';
import { replayConcurrentTrace, replaySequentialTrace } from './replay';
import { listSequentialTraces, loadConcurrentTrace, loadSequentialTrace, type SequentialTrace } from './traces';

/** Plain-string replay of the first `txnCount` transactions (the oracle for prefixes). */
function replayOnString(trace: SequentialTrace, txnCount: number): string {
  let text = trace.startContent;
  for (const txn of trace.txns.slice(0, txnCount)) {
    for (const [position, deleteCount, insert] of txn.patches) {
      text = text.slice(0, position) + insert + text.slice(position + deleteCount);
    }
  }
  return text;
}

describe('editing traces', () => {
  const names = listSequentialTraces();

  it('the trace folder holds the six sequential traces', () => {
    expect(names).toEqual(expect.arrayContaining(['automerge-paper', 'rustcode', 'sveltecomponent', 'clownschool_flat']));
  });

  for (const name of names) {
    it(`Rga replays sequential trace ${name} to exactly its endContent`, () => {
      const trace = loadSequentialTrace(name);
      const seq = replaySequentialTrace(trace, new Rga());
      expect(seq.length).toBe(trace.endContent.length);
      expect(seq.toString() === trace.endContent, `${name} content`).toBe(true);
    });
  }

  it('Rga with tiny tree nodes (deep tree, constant splits) replays sveltecomponent exactly', () => {
    const trace = loadSequentialTrace('sveltecomponent');
    const seq = replaySequentialTrace(trace, new Rga({ leafCapacity: 3, branchCapacity: 3 }));
    expect(seq.toString() === trace.endContent).toBe(true);
  });

  it('Rga: the runs of a replayed trace re-integrate on a fresh replica to the same text', () => {
    const trace = loadSequentialTrace('sveltecomponent');
    const seq = replaySequentialTrace(trace, new Rga());
    const copy = new Rga();
    for (const run of seq.runsOf(1, 0, Number.MAX_SAFE_INTEGER)) copy.integrate(run);
    expect(copy.toString() === trace.endContent).toBe(true);
  });

  for (const name of ['clownschool_flat', 'sveltecomponent']) {
    it(`ReferenceRga and Rga agree on the first 3000 transactions of ${name}`, () => {
      const trace = loadSequentialTrace(name);
      const prefix = { ...trace, txns: trace.txns.slice(0, 3000) };
      const expected = replayOnString(trace, 3000);
      const reference = replaySequentialTrace(prefix, new ReferenceRga());
      const fast = replaySequentialTrace(prefix, new Rga());
      expect(reference.toString()).toBe(expected);
      expect(fast.toString()).toBe(expected);
      expect(fast.runsOf(1, 0, Number.MAX_SAFE_INTEGER)).toEqual(reference.runsOf(1, 0, Number.MAX_SAFE_INTEGER));
    });
  }

  it('Rga replays the concurrent clownschool trace (one replica per agent) to its endContent', () => {
    const trace = loadConcurrentTrace('clownschool');
    const seq = replayConcurrentTrace(trace, () => new Rga());
    expect(seq.toString() === trace.endContent).toBe(true);
  });
});
