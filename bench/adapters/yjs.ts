/**
 * The Yjs peer: a `Y.Doc` whose clientID is the replica id, holding one `Y.Text` named `text`.
 */
import * as Y from "yjs";
import type { TextCrdtAdapter, TextReplica } from "./types";

/** The name of the shared `Y.Text` in every replica. */
const TEXT_FIELD = "text";

/** A Yjs replica; the local updates Yjs emits are queued until the next flush. */
class YjsReplica implements TextReplica {
  private readonly doc: Y.Doc;
  private readonly yText: Y.Text;
  /** Updates from local transactions since the last flush, in emission order. */
  private localUpdates: Uint8Array[] = [];

  constructor(replicaId: number, state?: Uint8Array) {
    this.doc = new Y.Doc();
    this.yText = this.doc.getText(TEXT_FIELD);
    if (state !== undefined) Y.applyUpdate(this.doc, state);
    // Set after loading: Yjs picks a fresh random clientID when a remote transaction touches its
    // own, and the loaded state may hold this replica's earlier edits. Local clocks continue from
    // the store, so edits after a reload do not reuse ids.
    this.doc.clientID = replicaId;
    // Registered after the initial load so the loaded state is not reported as local.
    this.doc.on("update", (update: Uint8Array, _origin: unknown, _doc: Y.Doc, transaction: Y.Transaction) => {
      if (transaction.local) this.localUpdates.push(update);
    });
  }

  insert(index: number, text: string): void {
    this.yText.insert(index, text);
  }

  delete(index: number, length: number): void {
    this.yText.delete(index, length);
  }

  text(): string {
    return this.yText.toString();
  }

  encode(): Uint8Array {
    return Y.encodeStateAsUpdate(this.doc);
  }

  flush(): Uint8Array | null {
    const updates = this.localUpdates;
    if (updates.length === 0) return null;
    this.localUpdates = [];
    return updates.length === 1 ? updates[0]! : Y.mergeUpdates(updates);
  }

  apply(update: Uint8Array): void {
    // A non-null origin marks the transaction as remote (transaction.local === false).
    Y.applyUpdate(this.doc, update, this);
  }

  stateVector(): Uint8Array {
    return Y.encodeStateVector(this.doc);
  }

  diff(stateVector: Uint8Array): Uint8Array {
    return Y.encodeStateAsUpdate(this.doc, stateVector);
  }
}

/** Yjs 13 through the benchmark contract. */
export const yjsAdapter: TextCrdtAdapter = {
  name: "yjs",
  create: (replicaId) => new YjsReplica(replicaId),
  load: (state, replicaId) => new YjsReplica(replicaId, state),
};
