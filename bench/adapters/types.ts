/**
 * The benchmark adapter contract: one text CRDT behind one small interface, so that the same
 * benchmark and the same convergence fuzz drive Tandem, Yjs and Automerge alike.
 *
 * Outside programs import this with `tsx`; keep it dependency-free.
 */

/**
 * One replica of one text document held by some CRDT library.
 *
 * Indices and lengths are UTF-16 code units of the visible text. Updates and states are opaque
 * bytes produced by the same adapter; mixing bytes between adapters is undefined.
 */
export interface TextReplica {
  /** Inserts `text` so that it starts at `index`. Requires `0 <= index <= text().length`. */
  insert(index: number, text: string): void;
  /** Deletes `length` units starting at `index`. Requires `index + length <= text().length`. */
  delete(index: number, length: number): void;
  /** The visible text. */
  text(): string;
  /** The full state: everything this replica holds, loadable with `TextCrdtAdapter.load`. */
  encode(): Uint8Array;
  /**
   * An update holding the local changes made since the last flush (or since creation/load), or
   * null when there are none. Changes received through `apply` are not local.
   */
  flush(): Uint8Array | null;
  /**
   * Merges any replica's update or full state (from `flush`, `encode` or `diff`). Invariant: apply
   * is idempotent and order-insensitive; updates whose dependencies have not arrived are held until
   * they do.
   */
  apply(update: Uint8Array): void;
  /** A compact summary of what this replica holds, for a peer's `diff`. */
  stateVector(): Uint8Array;
  /**
   * An update holding at least everything this replica has that the holder of `stateVector` lacks.
   * A state vector this replica cannot fully interpret yields a larger, still correct, diff.
   */
  diff(stateVector: Uint8Array): Uint8Array;
}

/** A text CRDT library seen through the benchmark contract. */
export interface TextCrdtAdapter {
  /** A short stable name for tables and JSON output (e.g. `tandem`, `yjs`). */
  readonly name: string;
  /** A new empty replica. Distinct live replicas of one document use distinct `replicaId`s. */
  create(replicaId: number): TextReplica;
  /** A replica holding `state` (from `encode`), which will make its own edits as `replicaId`. */
  load(state: Uint8Array, replicaId: number): TextReplica;
}
