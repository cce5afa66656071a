/**
 * The scenario templates every workload runs through: how replicas are created, edited, flushed
 * and synced, and which part is timed. The workloads (`workloads.ts`) only supply inputs.
 *
 * Every scenario runs on fresh replicas, checks the final text and throws `TextMismatchError` when
 * a replica shows anything else, and calls `deadline.check()` often enough that a run which
 * exceeds its time cap stops with `TimeoutError` instead of hanging the whole benchmark.
 */
import type { ConcurrentTrace } from "../../lib/crdt/rga/traces";
import type { TextCrdtAdapter, TextReplica } from "../adapters/types";

/** One local edit. Indices and lengths are UTF-16 code units of the visible text. */
export type Edit =
  | { readonly kind: "insert"; readonly index: number; readonly text: string }
  | { readonly kind: "delete"; readonly index: number; readonly length: number };

/** A replica showed a text other than the one the workload must produce. */
export class TextMismatchError extends Error {
  override readonly name = "TextMismatchError";
}

/** A run exceeded its time cap. */
export class TimeoutError extends Error {
  override readonly name = "TimeoutError";
  constructor(readonly limitMs: number) {
    super(`run exceeded the ${Math.round(limitMs / 1000)} s cap`);
  }
}

/** The time by which a run must end; `check` throws `TimeoutError` once it has passed. */
export class Deadline {
  private readonly endsAt: number;
  constructor(readonly limitMs: number) {
    this.endsAt = performance.now() + limitMs;
  }

  check(): void {
    if (performance.now() > this.endsAt) throw new TimeoutError(this.limitMs);
  }
}

/** What the final text must be: exactly `text`, or (concurrent merges) only `length` long. */
export interface Expectation {
  readonly text?: string;
  readonly length?: number;
}

/** What one run measured, and the replica whose state the size/load metrics encode. */
export interface RunOutcome {
  /** Milliseconds of the timed section. */
  readonly timeMs: number;
  /** Bytes and count of the updates sent during the run; null when the scenario sends none. */
  readonly updates: { readonly bytes: number; readonly count: number } | null;
  /** The replica to encode; it holds the whole final document. */
  readonly document: TextReplica;
  /** The final text every replica agreed on (a loaded copy must show it too). */
  readonly text: string;
}

/** How often (in steps) long loops check their deadline. */
const DEADLINE_STRIDE = 256;

/** Throws `TextMismatchError` unless `actual` meets the expectation. */
export function expectText(label: string, actual: string, expected: Expectation): void {
  if (expected.text !== undefined && actual !== expected.text) {
    let at = 0;
    while (at < actual.length && actual[at] === expected.text[at]) at++;
    throw new TextMismatchError(
      `${label}: text differs from the expected text (length ${actual.length} vs ${expected.text.length}, first difference at ${at})`,
    );
  }
  if (expected.length !== undefined && actual.length !== expected.length) {
    throw new TextMismatchError(`${label}: text has length ${actual.length}, expected ${expected.length}`);
  }
}

/** Throws `TextMismatchError` unless two replicas show the same text. */
function expectSame(label: string, left: string, right: string): void {
  if (left !== right) expectText(label, left, { text: right });
}

/** Applies edits to a replica in order. */
export function applyEdits(replica: TextReplica, edits: readonly Edit[]): void {
  for (const edit of edits) {
    if (edit.kind === "insert") replica.insert(edit.index, edit.text);
    else replica.delete(edit.index, edit.length);
  }
}

/**
 * B1 / B4: one writer, one transaction (flush) per step, each update applied to a second replica
 * at once. Timed: edits, flushes and applies. Update size: bytes sent / number of steps.
 */
export function runWithUpdates(
  adapter: TextCrdtAdapter,
  steps: readonly (readonly Edit[])[],
  expected: Expectation,
  deadline: Deadline,
): RunOutcome {
  const writer = adapter.create(1);
  const reader = adapter.create(2);
  let bytes = 0;
  const start = performance.now();
  for (let i = 0; i < steps.length; i++) {
    applyEdits(writer, steps[i]!);
    const update = writer.flush();
    if (update !== null) {
      bytes += update.length;
      reader.apply(update);
    }
    if (i % DEADLINE_STRIDE === 0) deadline.check();
  }
  const timeMs = performance.now() - start;
  const text = writer.text();
  expectText("writer", text, expected);
  expectSame("receiving replica", reader.text(), text);
  return { timeMs, updates: { bytes, count: steps.length }, document: writer, text };
}

/**
 * B4-local: one replica replays every step locally; no flush, no update message. Adapters that
 * queue local updates for the next flush keep that queue during the run (it is part of their
 * local cost through this contract).
 */
export function runLocally(
  adapter: TextCrdtAdapter,
  steps: readonly (readonly Edit[])[],
  expected: Expectation,
  deadline: Deadline,
): RunOutcome {
  const replica = adapter.create(1);
  const start = performance.now();
  for (let i = 0; i < steps.length; i++) {
    applyEdits(replica, steps[i]!);
    if (i % DEADLINE_STRIDE === 0) deadline.check();
  }
  const timeMs = performance.now() - start;
  const text = replica.text();
  expectText("replica", text, expected);
  return { timeMs, updates: null, document: replica, text };
}

/**
 * B2: both replicas start from `initial` (synced, untimed); then each makes its edits in one
 * transaction concurrently, and they exchange the two updates. Timed: both transactions, both
 * flushes and both applies. Update size: (bytes of both updates) / 2.
 */
export function runConcurrentPair(
  adapter: TextCrdtAdapter,
  initial: string,
  edits1: readonly Edit[],
  edits2: readonly Edit[],
  expected: Expectation,
  deadline: Deadline,
): RunOutcome {
  const doc1 = adapter.create(1);
  const doc2 = adapter.create(2);
  doc1.insert(0, initial);
  doc2.apply(doc1.flush()!);
  const start = performance.now();
  applyEdits(doc1, edits1);
  const update1 = doc1.flush();
  deadline.check();
  applyEdits(doc2, edits2);
  const update2 = doc2.flush();
  deadline.check();
  if (update2 !== null) doc1.apply(update2);
  if (update1 !== null) doc2.apply(update1);
  const timeMs = performance.now() - start;
  const text = doc1.text();
  expectText("replica 1", text, expected);
  expectSame("replica 2", doc2.text(), text);
  const bytes = (update1?.length ?? 0) + (update2?.length ?? 0);
  return { timeMs, updates: { bytes, count: 2 }, document: doc1, text };
}

/**
 * B3: `users` replicas each make one change and flush it (untimed); replica 0 applies every update
 * as the reference (untimed); timed: replica 1 applies every update. Update size: bytes / users.
 */
export function runManyUsers(
  adapter: TextCrdtAdapter,
  users: number,
  editsOf: (user: number) => readonly Edit[],
  expected: Expectation,
  deadline: Deadline,
): RunOutcome {
  const replicas: TextReplica[] = [];
  const updates: Uint8Array[] = [];
  for (let user = 0; user < users; user++) {
    const replica = adapter.create(user + 1);
    applyEdits(replica, editsOf(user));
    const update = replica.flush();
    if (update !== null) updates.push(update);
    replicas.push(replica);
    if (user % DEADLINE_STRIDE === 0) deadline.check();
  }
  const reference = replicas[0]!;
  for (let i = 0; i < updates.length; i++) {
    reference.apply(updates[i]!);
    if (i % 16 === 0) deadline.check();
  }
  const measured = replicas[1]!;
  const start = performance.now();
  for (let i = 0; i < updates.length; i++) {
    measured.apply(updates[i]!);
    if (i % 16 === 0) deadline.check();
  }
  const timeMs = performance.now() - start;
  const text = reference.text();
  expectText("replica 0", text, expected);
  expectSame("replica 1", measured.text(), text);
  const bytes = updates.reduce((sum, update) => sum + update.length, 0);
  return { timeMs, updates: { bytes, count: updates.length }, document: reference, text };
}

/** One agent of a concurrent trace replay: its replica and the transactions it holds. */
interface AgentReplica {
  replica: TextReplica;
  /** applied[i] === 1 when transaction i is in the replica. Invariant: closed under parents. */
  applied: Uint8Array;
  /** The agent's latest transaction, or -1. */
  last: number;
}

/**
 * A concurrent trace (txns with parents): each transaction runs on its agent's replica brought to
 * exactly the merged state of its parents (by applying the flushed updates of the missing
 * ancestors, in trace order), then is flushed. When an agent's replica holds something outside
 * the parents' history it is replaced by a fresh replica with a new id. At the end all replicas
 * sync through `diff(stateVector)` with agent 0's replica and must all show `endContent`.
 * Timed: the whole replay and the final sync. Update size: bytes flushed / transactions.
 */
export function runConcurrentTrace(adapter: TextCrdtAdapter, trace: ConcurrentTrace, deadline: Deadline): RunOutcome {
  const count = trace.txns.length;
  const updates: (Uint8Array | null)[] = new Array<Uint8Array | null>(count).fill(null);
  const agents = new Map<number, AgentReplica>();
  const seen = new Int32Array(count);
  let epoch = 0;
  let nextReplicaId = 1;
  let bytes = 0;
  const freshAgent = (): AgentReplica => ({ replica: adapter.create(nextReplicaId++), applied: new Uint8Array(count), last: -1 });
  /** The unapplied ancestors of `parents` (inclusive), and whether the agent's last txn is among them. */
  const missingAncestors = (agent: AgentReplica, parents: readonly number[]): { missing: number[]; coversLast: boolean } => {
    epoch++;
    const missing: number[] = [];
    const stack = [...parents];
    let coversLast = agent.last < 0;
    while (stack.length > 0) {
      const j = stack.pop()!;
      if (seen[j] === epoch) continue;
      seen[j] = epoch;
      if (j === agent.last) coversLast = true;
      if (agent.applied[j] === 1) continue;
      missing.push(j);
      for (const parent of trace.txns[j]!.parents) stack.push(parent);
    }
    return { missing: missing.sort((a, b) => a - b), coversLast };
  };

  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const txn = trace.txns[i]!;
    let agent = agents.get(txn.agent) ?? freshAgent();
    let { missing, coversLast } = missingAncestors(agent, txn.parents);
    if (!coversLast) {
      agent = freshAgent();
      missing = missingAncestors(agent, txn.parents).missing;
    }
    agents.set(txn.agent, agent);
    for (const j of missing) {
      const update = updates[j];
      if (update !== null && update !== undefined) agent.replica.apply(update);
      agent.applied[j] = 1;
    }
    for (const [position, deleteCount, insert] of txn.patches) {
      if (deleteCount > 0) agent.replica.delete(position, deleteCount);
      if (insert.length > 0) agent.replica.insert(position, insert);
    }
    const update = agent.replica.flush();
    updates[i] = update;
    if (update !== null) bytes += update.length;
    agent.applied[i] = 1;
    agent.last = i;
    if (i % DEADLINE_STRIDE === 0) deadline.check();
  }
  const replicas = [...agents.entries()].sort(([a], [b]) => a - b).map(([, agent]) => agent.replica);
  const hub = replicas[0]!;
  for (const other of replicas.slice(1)) hub.apply(other.diff(hub.stateVector()));
  for (const other of replicas.slice(1)) other.apply(hub.diff(other.stateVector()));
  const timeMs = performance.now() - start;
  const text = hub.text();
  expectText("agent 0 replica", text, { text: trace.endContent });
  for (const [index, other] of replicas.entries()) expectSame(`agent ${index} replica`, other.text(), text);
  return { timeMs, updates: { bytes, count }, document: hub, text };
}
