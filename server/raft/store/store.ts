/**
 * DocumentStore: the replicated state machine of the persistence group. It holds one CRDT `Doc`
 * per document and applies committed `merge` commands with `Doc.apply`, which is idempotent and
 * commutative: a retried or duplicated merge, or two writers' merges in either order, give the
 * same state. Pure and deterministic: no I/O, no clock.
 *
 * Invariants:
 * - `appliedIndex` only grows; `apply` ignores entries at or below it (a replay after restart).
 * - Every node that applies the same entries holds byte-identical `encode()`s (Doc.encode is
 *   canonical) and the same `encodeSnapshot()`.
 * - A command that cannot be applied (bad bytes, a field type clash with the stored document) is
 *   skipped with the same outcome on every node; `validateMerge` rejects such updates before they are
 *   proposed, so this only happens when two clashing updates race.
 */
import { Decoder, DecodeError, Encoder } from '../../../lib/codec';
import { Doc, decodeUpdate, type FieldKind, type FieldRef } from '../../../lib/crdt';
import { isDocId, type DocId } from '../../../lib/sync/protocol';
import { asIndex, type LogIndex } from '../core/types';
import { decodeCommand, type MergeCommand } from './command';

/** What applying one log entry did. */
export type ApplyOutcome =
  | { readonly kind: 'noop'; readonly index: LogIndex }
  | { readonly kind: 'merged'; readonly index: LogIndex; readonly requestId: string; readonly docId: DocId }
  | { readonly kind: 'skipped'; readonly index: LogIndex; readonly requestId: string | undefined; readonly reason: string };

/** A merge refused before it is proposed. */
export class InvalidUpdateError extends Error {
  override readonly name = 'InvalidUpdateError';
}

/** A store snapshot that does not decode. */
export class StoreSnapshotError extends DecodeError {}

/** One document as the store lists it. */
export interface DocSummary {
  readonly docId: DocId;
  /** Log index of the last merge that touched it. */
  readonly updatedIndex: LogIndex;
}

/** A document's stored state and version vector (`Doc.encodeStateVector`). */
export interface StoredDoc {
  readonly state: Uint8Array;
  readonly versionVector: Uint8Array;
  readonly updatedIndex: LogIndex;
}

interface DocEntry {
  readonly doc: Doc;
  readonly kinds: Map<string, FieldKind>;
  updatedIndex: LogIndex;
  /** Cached encode(), invalidated by every merge. */
  encoded: Uint8Array | undefined;
}

const SNAPSHOT_VERSION = 1;

export class DocumentStore {
  private readonly docs = new Map<DocId, DocEntry>();
  private applied: LogIndex = asIndex(0);

  /** Index of the last applied entry. */
  get appliedIndex(): LogIndex {
    return this.applied;
  }

  /** Throws InvalidUpdateError if `update` is not a valid update for `docId`'s stored state. */
  validateMerge(docId: string, update: Uint8Array): asserts docId is DocId {
    this.checkMerge(docId, update);
  }

  /**
   * validateMerge that also returns the update's fields (decoded to validate it), for the command
   * (command.ts version 2), so applying it needs no second decode.
   */
  checkMerge(docId: string, update: Uint8Array): readonly FieldRef[] {
    if (!isDocId(docId)) throw new InvalidUpdateError(`bad document id ${JSON.stringify(docId.slice(0, 140))}: want 1-128 of [A-Za-z0-9_-]`);
    let fields;
    try {
      fields = decodeUpdate(update).fields;
    } catch (error) {
      throw new InvalidUpdateError(`update for ${docId} does not decode: ${(error as Error).message}`);
    }
    const kinds = this.docs.get(docId)?.kinds;
    for (const field of fields) {
      const existing = kinds?.get(field.name);
      if (existing !== undefined && existing !== field.kind) {
        throw new InvalidUpdateError(`field ${JSON.stringify(field.name)} of ${docId} is a ${existing}, the update has a ${field.kind}`);
      }
    }
    return fields;
  }

  /** Applies the committed entry at `index` (empty data: Raft's no-op). */
  apply(index: LogIndex, data: Uint8Array): ApplyOutcome {
    if (index <= this.applied) return { kind: 'noop', index };
    this.applied = index;
    if (data.length === 0) return { kind: 'noop', index };
    let command: MergeCommand;
    try {
      command = decodeCommand(data);
    } catch (error) {
      return { kind: 'skipped', index, requestId: undefined, reason: (error as Error).message };
    }
    const entry = this.docs.get(command.docId) ?? this.newEntry();
    let fields;
    try {
      // A version 2 command carries the fields its proposer decoded; Doc.apply validates the update itself.
      fields = command.fields ?? decodeUpdate(command.update).fields;
      entry.doc.apply(command.update);
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      return { kind: 'skipped', index, requestId: command.requestId, reason: error.message };
    }
    for (const field of fields) entry.kinds.set(field.name, field.kind);
    entry.updatedIndex = index;
    entry.encoded = undefined;
    this.docs.set(command.docId, entry);
    return { kind: 'merged', index, requestId: command.requestId, docId: command.docId };
  }

  /** The stored state of `docId`, or undefined if nothing was ever merged into it. */
  get(docId: DocId): StoredDoc | undefined {
    const entry = this.docs.get(docId);
    if (!entry) return undefined;
    entry.encoded ??= entry.doc.encode();
    return { state: entry.encoded, versionVector: entry.doc.encodeStateVector(), updatedIndex: entry.updatedIndex };
  }

  /** The version vector of `docId` (empty vector if unknown). */
  versionVector(docId: DocId): Uint8Array {
    return (this.docs.get(docId)?.doc ?? new Doc({ replicaId: 0 })).encodeStateVector();
  }

  /** Every document, sorted by id. */
  list(): DocSummary[] {
    return [...this.docs.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([docId, entry]) => ({ docId, updatedIndex: entry.updatedIndex }));
  }

  /** All documents' encoded states (sorted by id, so every node produces the same bytes). */
  encodeSnapshot(): Uint8Array {
    const e = new Encoder(1024);
    e.writeByte(SNAPSHOT_VERSION);
    e.writeVarUint(this.applied);
    const list = this.list();
    e.writeVarUint(list.length);
    for (const { docId, updatedIndex } of list) {
      e.writeString(docId);
      e.writeVarUint(updatedIndex);
      e.writeBytes(this.get(docId)!.state);
    }
    return e.toBytes();
  }

  /** Rebuilds a store from `encodeSnapshot()` bytes (empty bytes: an empty store). */
  static fromSnapshot(bytes: Uint8Array): DocumentStore {
    const store = new DocumentStore();
    if (bytes.length === 0) return store;
    const d: Decoder = new Decoder(bytes);
    try {
      const version = d.readByte();
      if (version !== SNAPSHOT_VERSION) d.fail(`unknown store snapshot version ${version}`);
      store.applied = asIndex(d.readVarUint());
      const count = d.readVarUintIn(0, d.remaining, 'document count');
      for (let k = 0; k < count; k++) {
        const docId = d.readString();
        if (!isDocId(docId)) d.fail(`bad document id in snapshot`);
        const updatedIndex = asIndex(d.readVarUint());
        const state = d.readBytes();
        const entry = store.newEntry();
        entry.doc.apply(state);
        for (const field of decodeUpdate(state).fields) entry.kinds.set(field.name, field.kind);
        entry.updatedIndex = updatedIndex;
        store.docs.set(docId, entry);
      }
      d.expectEnd();
    } catch (error) {
      if (error instanceof DecodeError) throw new StoreSnapshotError(error.reason, error.offset);
      throw error;
    }
    return store;
  }

  private newEntry(): DocEntry {
    return { doc: new Doc({ replicaId: 0 }), kinds: new Map(), updatedIndex: asIndex(0), encoded: undefined };
  }
}
