/**
 * Replays editing traces through a `Sequence` (tests and benchmarks share these).
 */
import type { ConcurrentTrace, SequentialTrace } from './traces';
import type { IdRange, InsertRun, Sequence } from './types';

/** Applies every patch of a sequential trace as local edits of one replica; returns the sequence. */
export function replaySequentialTrace<S extends Sequence>(trace: SequentialTrace, seq: S, replica = 1): S {
  let clock = 0;
  if (trace.startContent.length > 0) {
    seq.insertLocal(0, trace.startContent, replica, clock);
    clock += trace.startContent.length;
  }
  for (const txn of trace.txns) {
    for (let p = 0; p < txn.patches.length; p++) {
      const [position, deleteCount, insert] = txn.patches[p] as (typeof txn.patches)[number];
      if (deleteCount > 0) seq.deleteLocal(position, deleteCount);
      if (insert.length > 0) {
        seq.insertLocal(position, insert, replica, clock);
        clock += insert.length;
      }
    }
  }
  return seq;
}

/** What one transaction of a concurrent trace produced, to be re-applied on other replicas. */
interface TxnEffect {
  readonly runs: InsertRun[];
  readonly deletes: IdRange[];
}

/**
 * Replays a concurrent trace at the sequence level. Each agent is a replica (replica id =
 * agent + 1) with its own sequence. Before transaction T runs on agent A's replica, the replica
 * is brought to exactly the state of T's parents by integrating the runs and deletes of every
 * ancestor of T it has not absorbed yet (in trace order, which is topological); then T's patches
 * are applied as local edits. Assumes, as the traces do, that everything an agent has absorbed
 * is an ancestor of its next transaction. Returns one sequence holding every transaction.
 */
export function replayConcurrentTrace<S extends Sequence>(trace: ConcurrentTrace, create: () => S): S {
  const txns = trace.txns;
  const effects: TxnEffect[] = [];
  const replicas = Array.from({ length: trace.numAgents }, () => ({
    seq: create(),
    absorbed: new Uint8Array(txns.length),
    clock: 0,
  }));
  const stack: number[] = [];
  const missing: number[] = [];
  const absorb = (seq: Sequence, effect: TxnEffect): void => {
    for (const run of effect.runs) seq.integrate(run);
    for (const range of effect.deletes) seq.deleteRange(range);
  };

  txns.forEach((txn, t) => {
    const replica = replicas[txn.agent];
    if (replica === undefined) throw new RangeError(`txn ${t}: agent ${txn.agent} out of range`);
    // Collect the ancestors of T this replica lacks.
    missing.length = 0;
    stack.push(...txn.parents);
    while (stack.length > 0) {
      const a = stack.pop() as number;
      if (replica.absorbed[a] === 1) continue;
      replica.absorbed[a] = 1;
      missing.push(a);
      stack.push(...(txns[a] as (typeof txns)[number]).parents);
    }
    missing.sort((x, y) => x - y);
    for (const a of missing) absorb(replica.seq, effects[a] as TxnEffect);
    // Apply T locally.
    const effect: TxnEffect = { runs: [], deletes: [] };
    for (const [position, deleteCount, insert] of txn.patches) {
      if (deleteCount > 0) effect.deletes.push(...replica.seq.deleteLocal(position, deleteCount));
      if (insert.length > 0) {
        effect.runs.push(replica.seq.insertLocal(position, insert, txn.agent + 1, replica.clock));
        replica.clock += insert.length;
      }
    }
    effects.push(effect);
    replica.absorbed[t] = 1;
  });

  const merged = replicas[0] as (typeof replicas)[number];
  txns.forEach((_, t) => {
    if (merged.absorbed[t] !== 1) absorb(merged.seq, effects[t] as TxnEffect);
  });
  return merged.seq;
}
