/**
 * Our adapter: a Tandem `Doc` (lib/crdt) with one text field named `text`.
 */
import { Doc, mergeUpdates } from "../../lib/crdt";
import { Rga } from "../../lib/crdt/rga";
import type { TextCrdtAdapter, TextReplica } from "./types";

/** The name of the text field in every replica. */
const TEXT_FIELD = "text";

/** A fixed clock: text never reads time, and a fixed one keeps seeded runs reproducible. */
const FIXED_NOW = (): number => 0;

/**
 * The optimized sequence (spans + index), named explicitly: the benchmark measures the production
 * structure, not the plain-array `ReferenceRga`, whatever `Doc`'s default is.
 */
const createSequence = (): Rga => new Rga();

/** A Tandem replica; the `update` events of local transactions are queued until the next flush. */
class TandemReplica implements TextReplica {
  private readonly doc: Doc;
  /** Updates of local transactions since the last flush, in emission order. */
  private localUpdates: Uint8Array[] = [];

  constructor(doc: Doc) {
    this.doc = doc;
    // `update` fires for local transactions only (lib/README), so remote changes are never queued.
    this.doc.on("update", (update: Uint8Array) => {
      this.localUpdates.push(update);
    });
  }

  insert(index: number, text: string): void {
    this.doc.getText(TEXT_FIELD).insert(index, text);
  }

  delete(index: number, length: number): void {
    this.doc.getText(TEXT_FIELD).delete(index, length);
  }

  text(): string {
    return this.doc.getText(TEXT_FIELD).toString();
  }

  encode(): Uint8Array {
    return this.doc.encode();
  }

  flush(): Uint8Array | null {
    const updates = this.localUpdates;
    if (updates.length === 0) return null;
    this.localUpdates = [];
    return updates.length === 1 ? updates[0]! : mergeUpdates(updates, { createSequence });
  }

  apply(update: Uint8Array): void {
    this.doc.apply(update);
  }

  stateVector(): Uint8Array {
    return this.doc.encodeStateVector();
  }

  diff(stateVector: Uint8Array): Uint8Array {
    return this.doc.diff(stateVector);
  }
}

/** Tandem's own `Doc` through the benchmark contract. */
export const tandemAdapter: TextCrdtAdapter = {
  name: "tandem",
  create: (replicaId) => new TandemReplica(new Doc({ replicaId, now: FIXED_NOW, createSequence })),
  load: (state, replicaId) => new TandemReplica(Doc.load(state, { replicaId, now: FIXED_NOW, createSequence })),
};
