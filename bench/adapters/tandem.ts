/**
 * Our adapter: a Tandem `Doc` (lib/crdt) with one text field named `text`.
 */
import { Doc } from "../../lib/crdt";
import { Rga } from "../../lib/crdt/rga";
import type { TextField } from "../../lib/crdt";
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

/**
 * A Tandem replica. Flush takes the document's local changes since the previous flush
 * (`Doc.takeLocalChanges`, lib/README): nothing is encoded per edit, and remote changes are
 * never re-sent.
 */
class TandemReplica implements TextReplica {
  private readonly doc: Doc;
  /**
   * The text field, taken when the replica is made, as every peer adapter takes its text handle
   * (Yjs and Loro `getText`, json-joy `api.str`). On a new document that declares the field, a
   * local change of its own; the replica drops it at once: the first edit's update names the field
   * anyway, and a replica that never edits has nothing to flush (the adapter contract).
   */
  private readonly field: TextField;

  constructor(doc: Doc) {
    this.doc = doc;
    this.field = doc.getText(TEXT_FIELD);
    doc.takeLocalChanges();
  }

  insert(index: number, text: string): void {
    this.field.insert(index, text);
  }

  delete(index: number, length: number): void {
    this.field.delete(index, length);
  }

  text(): string {
    return this.field.toString();
  }

  encode(): Uint8Array {
    return this.doc.encode();
  }

  flush(): Uint8Array | null {
    return this.doc.takeLocalChanges();
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
  create: (replicaId) => new TandemReplica(new Doc({ replicaId, now: FIXED_NOW, createSequence, trackLocalChanges: true })),
  load: (state, replicaId) => new TandemReplica(Doc.load(state, { replicaId, now: FIXED_NOW, createSequence, trackLocalChanges: true })),
};
