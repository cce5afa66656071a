/**
 * Deliberately broken adapters, used to prove the convergence fuzz and the contract tests can fail.
 */
import * as Y from "yjs";
import type { TextCrdtAdapter, TextReplica } from "./types";

/** One positional edit, as the naive adapter ships it. */
type NaiveOp = { kind: "insert"; index: number; text: string } | { kind: "delete"; index: number; length: number };

/**
 * A "CRDT" that keeps a log of positional edits and replays whatever it receives, without
 * transforming or deduplicating: replicas converge only when every edit arrives exactly once and
 * in the same order everywhere.
 */
class NaiveReplica implements TextReplica {
  private value = "";
  /** Every edit this replica has applied, local or remote; states and diffs ship all of it. */
  private log: NaiveOp[] = [];
  private pending: NaiveOp[] = [];

  insert(index: number, text: string): void {
    this.record({ kind: "insert", index, text }, true);
  }

  delete(index: number, length: number): void {
    this.record({ kind: "delete", index, length }, true);
  }

  text(): string {
    return this.value;
  }

  encode(): Uint8Array {
    return encodeOps(this.log);
  }

  flush(): Uint8Array | null {
    if (this.pending.length === 0) return null;
    const bytes = encodeOps(this.pending);
    this.pending = [];
    return bytes;
  }

  apply(update: Uint8Array): void {
    for (const op of decodeOps(update)) this.record(op, false);
  }

  stateVector(): Uint8Array {
    return new Uint8Array(0);
  }

  diff(): Uint8Array {
    return encodeOps(this.log);
  }

  private record(op: NaiveOp, local: boolean): void {
    const index = Math.min(op.index, this.value.length);
    this.value =
      op.kind === "insert"
        ? this.value.slice(0, index) + op.text + this.value.slice(index)
        : this.value.slice(0, index) + this.value.slice(index + op.length);
    this.log.push(op);
    if (local) this.pending.push(op);
  }
}

function encodeOps(ops: readonly NaiveOp[]): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(ops));
}

function decodeOps(bytes: Uint8Array): NaiveOp[] {
  return JSON.parse(new TextDecoder().decode(bytes)) as NaiveOp[];
}

/** The naive positional-replay adapter (not a CRDT). */
export const naiveAdapter: TextCrdtAdapter = {
  name: "naive",
  create: () => new NaiveReplica(),
  load: (state) => {
    const replica = new NaiveReplica();
    replica.apply(state);
    return replica;
  },
};

/**
 * Wraps an adapter so that `diff` returns an empty update taken from a fresh replica: resyncs then
 * carry nothing, and anything the network dropped is never repaired.
 */
export function withForgetfulDiff(inner: TextCrdtAdapter): TextCrdtAdapter {
  const wrap = (replica: TextReplica): TextReplica => {
    const empty = inner.create(0xfffffffe).encode();
    return {
      insert: (index, text) => replica.insert(index, text),
      delete: (index, length) => replica.delete(index, length),
      text: () => replica.text(),
      encode: () => replica.encode(),
      flush: () => replica.flush(),
      apply: (update) => replica.apply(update),
      stateVector: () => replica.stateVector(),
      diff: () => empty,
    };
  };
  return {
    name: `${inner.name}-forgetful-diff`,
    create: (replicaId) => wrap(inner.create(replicaId)),
    load: (state, replicaId) => wrap(inner.load(state, replicaId)),
  };
}

/**
 * A Yjs replica that does not buffer: an update that would leave anything pending (an early
 * arrival) is dropped. Diff-based resyncs still repair it, so only an order check can catch it.
 */
class UnbufferedYjsReplica implements TextReplica {
  private readonly doc = new Y.Doc();
  private localUpdates: Uint8Array[] = [];

  constructor(replicaId: number, state?: Uint8Array) {
    if (state !== undefined) this.apply(state);
    this.doc.clientID = replicaId;
    this.doc.on("update", (update: Uint8Array, _origin: unknown, _doc: Y.Doc, transaction: Y.Transaction) => {
      if (transaction.local) this.localUpdates.push(update);
    });
  }

  insert(index: number, text: string): void {
    this.doc.getText("text").insert(index, text);
  }

  delete(index: number, length: number): void {
    this.doc.getText("text").delete(index, length);
  }

  text(): string {
    return this.doc.getText("text").toString();
  }

  encode(): Uint8Array {
    return Y.encodeStateAsUpdate(this.doc);
  }

  flush(): Uint8Array | null {
    if (this.localUpdates.length === 0) return null;
    const merged = Y.mergeUpdates(this.localUpdates);
    this.localUpdates = [];
    return merged;
  }

  apply(update: Uint8Array): void {
    const trial = new Y.Doc();
    Y.applyUpdate(trial, Y.encodeStateAsUpdate(this.doc));
    Y.applyUpdate(trial, update);
    if (trial.store.pendingStructs !== null || trial.store.pendingDs !== null) return;
    Y.applyUpdate(this.doc, update, this);
  }

  stateVector(): Uint8Array {
    return Y.encodeStateVector(this.doc);
  }

  diff(stateVector: Uint8Array): Uint8Array {
    return Y.encodeStateAsUpdate(this.doc, stateVector);
  }
}

/** Yjs with early updates dropped instead of buffered. */
export const unbufferedYjsAdapter: TextCrdtAdapter = {
  name: "yjs-unbuffered",
  create: (replicaId) => new UnbufferedYjsReplica(replicaId),
  load: (state, replicaId) => new UnbufferedYjsReplica(replicaId, state),
};
