/**
 * The Automerge peer: an Automerge document with one string field `text`, edited with `splice`.
 *
 * Every replica starts from one shared genesis change (fixed actor, fixed time) that creates the
 * `text` field; without it, replicas that each created the field would hold conflicting text
 * objects and all but one replica's edits would be hidden.
 */
import * as A from "@automerge/automerge";
import type { TextCrdtAdapter, TextReplica } from "./types";

/** The document shape every replica shares. */
type TextDocument = { text: string };

/** The path of the text field inside the document. */
const TEXT_PATH = ["text"];

/** Length in bytes of one change hash (a head); state vectors are concatenated heads. */
const HASH_BYTES = 32;

/** A state vector that is not a whole number of change hashes. */
export class AutomergeStateVectorError extends Error {
  override readonly name = "AutomergeStateVectorError";
  constructor(length: number) {
    super(`Automerge state vector: ${length} bytes is not a multiple of ${HASH_BYTES}`);
  }
}

/** A replica id outside the unsigned 32-bit range the contract allows. */
export class ReplicaIdRangeError extends RangeError {
  override readonly name = "ReplicaIdRangeError";
  constructor(replicaId: number) {
    super(`replica id ${replicaId} is not an unsigned 32-bit integer`);
  }
}

/**
 * Derives the Automerge actor id of a replica: its id as 8 hex digits. Stable across runs, so a
 * seed replays to the same ordering. The genesis actor ("00", one byte) cannot collide with it.
 */
export function actorIdOf(replicaId: number): string {
  if (!Number.isInteger(replicaId) || replicaId < 0 || replicaId > 0xffffffff) {
    throw new ReplicaIdRangeError(replicaId);
  }
  return replicaId.toString(16).padStart(8, "0");
}

/** The saved genesis document: one change, by actor "00" at time 0, that sets `text` to "". */
const GENESIS: Uint8Array = A.save(
  A.change(A.init<TextDocument>({ actor: "00" }), { time: 0 }, (draft) => {
    draft.text = "";
  }),
);

/** Concatenates byte chunks; Automerge accepts a concatenation of change chunks as one input. */
function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const chunk of chunks) total += chunk.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** Encodes heads (64-digit hex hashes) as concatenated 32-byte hashes. */
function encodeHeads(heads: readonly string[]): Uint8Array {
  const out = new Uint8Array(heads.length * HASH_BYTES);
  heads.forEach((head, i) => out.set(Buffer.from(head, "hex"), i * HASH_BYTES));
  return out;
}

/** Decodes `encodeHeads`; throws `AutomergeStateVectorError` on a ragged length. */
function decodeHeads(bytes: Uint8Array): string[] {
  if (bytes.length % HASH_BYTES !== 0) throw new AutomergeStateVectorError(bytes.length);
  const heads: string[] = [];
  for (let offset = 0; offset < bytes.length; offset += HASH_BYTES) {
    heads.push(Buffer.from(bytes.subarray(offset, offset + HASH_BYTES)).toString("hex"));
  }
  return heads;
}

/** An Automerge replica; local change chunks are queued until the next flush. */
class AutomergeReplica implements TextReplica {
  private doc: A.Doc<TextDocument>;
  /**
   * The encoded local changes since the last flush. `saveIncremental` is not used for flush
   * because it also returns the remote changes applied since the last save.
   */
  private localChanges: Uint8Array[] = [];

  constructor(state: Uint8Array, replicaId: number) {
    this.doc = A.load<TextDocument>(state, { actor: actorIdOf(replicaId) });
  }

  insert(index: number, text: string): void {
    if (text.length === 0) return;
    this.changeLocally((draft) => A.splice(draft, TEXT_PATH, index, 0, text));
  }

  delete(index: number, length: number): void {
    if (length === 0) return;
    this.changeLocally((draft) => A.splice(draft, TEXT_PATH, index, length));
  }

  text(): string {
    return this.doc.text;
  }

  encode(): Uint8Array {
    return A.save(this.doc);
  }

  flush(): Uint8Array | null {
    const changes = this.localChanges;
    if (changes.length === 0) return null;
    this.localChanges = [];
    return changes.length === 1 ? changes[0]! : concatBytes(changes);
  }

  apply(update: Uint8Array): void {
    // loadIncremental takes saved documents and change chunks; changes whose dependencies are
    // missing are queued inside the document (and kept by `save`) until the dependencies arrive.
    this.doc = A.loadIncremental(this.doc, update);
  }

  stateVector(): Uint8Array {
    return encodeHeads(A.getHeads(this.doc));
  }

  diff(stateVector: Uint8Array): Uint8Array {
    // Heads this document does not know are dropped: the changes since the known subset are a
    // superset of what the peer lacks, so the diff stays correct, only larger.
    const known = decodeHeads(stateVector).filter((head) => A.hasHeads(this.doc, [head]));
    return A.saveSince(this.doc, known);
  }

  /** Runs one local change (at time 0, for reproducible hashes) and queues its chunk. */
  private changeLocally(edit: A.ChangeFn<TextDocument>): void {
    this.doc = A.change(this.doc, { time: 0 }, edit);
    const change = A.getLastLocalChange(this.doc);
    if (change !== undefined) this.localChanges.push(change);
  }
}

/** Automerge 3 through the benchmark contract. */
export const automergeAdapter: TextCrdtAdapter = {
  name: "automerge",
  create: (replicaId) => new AutomergeReplica(GENESIS, replicaId),
  load: (state, replicaId) => new AutomergeReplica(state, replicaId),
};
