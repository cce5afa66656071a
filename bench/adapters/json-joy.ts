/**
 * The json-joy peer: a JSON CRDT `Model` whose root is one `str` (RGA text) node, edited through
 * `model.api.str([])`.
 *
 * What json-joy gives natively, and what this adapter adds:
 * - Every replica starts with `Model.create(s.str(""), session)`: json-joy creates schema nodes in
 *   the shared GLOBAL session, so all replicas hold the same root text node (no genesis change
 *   needs to travel). The session id of a replica is `replicaId + 65536` (json-joy reserves
 *   sessions below 65536 for system use).
 * - Full state (`encode`) is `model.toBinary()`; `load` is `Model.load(bytes, session)`.
 * - One flush is `model.api.flush()` (one patch holding every local operation since the last
 *   flush), sent as `Patch.toBinary()`.
 * - json-joy has no causal delivery: `applyPatch` integrates an operation at once and silently
 *   drops an insert whose reference character, or a delete whose target, is unknown. So each
 *   flushed patch travels in a small envelope: the author's replica id, a per-replica sequence
 *   number and the entries of the author's delivered-sequence vector that changed since its
 *   previous flush. A patch is integrated only when its predecessor from the same author and those
 *   entries are here; earlier ones are held as pending, duplicates are skipped. The envelope costs
 *   about 5 bytes per update for one author (more with dependencies); it is counted in the update
 *   sizes the benchmark reports.
 * - State vector and diff: json-joy 18 computes a "delta" of a model against a clock vector
 *   (`model.delta(clock)`: every character the clock lacks, plus every tombstone as a delete) and
 *   applies it with `applyDelta`. `stateVector()` is our sequence vector plus the json-joy clock
 *   (`ClockVector.toU8`); `diff(sv)` is that delta plus our sequence vector, so the receiver
 *   knows which patches it now holds. A delta always repeats every tombstone, so a diff is never
 *   smaller than the delete set. Applying a full state merges it the same way (delta of the
 *   decoded model against our clock), or adopts it outright in a replica that holds nothing yet.
 *
 * All our framing bytes are a one-byte kind tag plus varuints; json-joy's own bytes follow as-is.
 */
import { Model, StrNode } from "json-joy/lib/json-crdt";
import type { StrApi } from "json-joy/lib/json-crdt";
import { DelOp, Patch, s } from "json-joy/lib/json-crdt-patch";
import type { JsonCrdtPatchOperation } from "json-joy/lib/json-crdt-patch";
import { ClockVector, ts, tss } from "json-joy/lib/json-crdt-patch/clock";
import type { ITimespanStruct } from "json-joy/lib/json-crdt-patch/clock";
import { Delta } from "json-joy/lib/json-crdt/delta/Delta";
import type { TextCrdtAdapter, TextReplica } from "./types";

/** json-joy session ids below this are reserved (system, server, global, local sessions). */
const FIRST_USER_SESSION = 0x10000;

/** The first byte of every update and state this adapter produces. */
const Kind = {
  /** One flushed patch in its causal envelope. */
  Patch: 1,
  /** A json-joy delta (from `diff`) with the sender's sequence vector. */
  Delta: 2,
  /** A full model (`encode`) with the sender's sequence vector. */
  State: 3,
} as const;

/** Bytes that are not an update, state or state vector of this adapter. */
export class JsonJoyDecodeError extends Error {
  override readonly name = "JsonJoyDecodeError";
  constructor(message: string) {
    super(`json-joy adapter: ${message}`);
  }
}

/** A replica id outside the unsigned 32-bit range the contract allows. */
export class JsonJoyReplicaIdError extends RangeError {
  override readonly name = "JsonJoyReplicaIdError";
  constructor(replicaId: number) {
    super(`replica id ${replicaId} is not an unsigned 32-bit integer`);
  }
}

/** Replica id -> number of that replica's patches integrated here (1-based sequence numbers). */
type SequenceVector = Map<number, number>;

/** A flushed patch and its causal metadata, decoded but not yet integrated. */
interface EnvelopedPatch {
  author: number;
  /** The author's sequence number of this patch. Invariant: >= 1. */
  sequence: number;
  /** Delivered counts the author had when flushing (only entries changed since its last flush). */
  dependencies: SequenceVector;
  patch: Patch;
}

/** Appends unsigned varints and raw bytes. */
class ByteWriter {
  private bytes: number[] = [];

  writeVarUint(value: number): void {
    let rest = value;
    while (rest >= 0x80) {
      this.bytes.push((rest % 0x80) | 0x80);
      rest = Math.floor(rest / 0x80);
    }
    this.bytes.push(rest);
  }

  writeVector(vector: SequenceVector): void {
    this.writeVarUint(vector.size);
    for (const [replica, sequence] of vector) {
      this.writeVarUint(replica);
      this.writeVarUint(sequence);
    }
  }

  writeBytes(bytes: Uint8Array): void {
    this.writeVarUint(bytes.length);
    for (const byte of bytes) this.bytes.push(byte);
  }

  /** The written bytes followed by `tail`. */
  finish(tail: Uint8Array): Uint8Array {
    const out = new Uint8Array(this.bytes.length + tail.length);
    out.set(this.bytes, 0);
    out.set(tail, this.bytes.length);
    return out;
  }
}

/** Reads what `ByteWriter` wrote; throws `JsonJoyDecodeError` on truncated or oversized input. */
class ByteReader {
  private offset = 0;
  constructor(private readonly bytes: Uint8Array) {}

  readVarUint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (this.offset >= this.bytes.length) throw new JsonJoyDecodeError("truncated varuint");
      const byte = this.bytes[this.offset++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
      if (scale > 2 ** 49) throw new JsonJoyDecodeError("varuint too long");
    }
  }

  readVector(): SequenceVector {
    const count = this.readVarUint();
    if (count > this.bytes.length) throw new JsonJoyDecodeError("vector longer than its bytes");
    const vector: SequenceVector = new Map();
    for (let i = 0; i < count; i++) vector.set(this.readVarUint(), this.readVarUint());
    return vector;
  }

  readBytes(): Uint8Array {
    const length = this.readVarUint();
    if (this.offset + length > this.bytes.length) throw new JsonJoyDecodeError("truncated bytes");
    const bytes = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return bytes;
  }

  /** Everything not read yet. */
  rest(): Uint8Array {
    return this.bytes.subarray(this.offset);
  }
}

/** The json-joy session of a replica; throws on ids outside the contract's range. */
function sessionOf(replicaId: number): number {
  if (!Number.isInteger(replicaId) || replicaId < 0 || replicaId > 0xffffffff) {
    throw new JsonJoyReplicaIdError(replicaId);
  }
  return replicaId + FIRST_USER_SESSION;
}

/** A new model whose root is the empty shared text node, with no operations left to flush. */
function createTextModel(session: number): Model {
  const model: Model = Model.create(s.str(""), session) as unknown as Model;
  model.api.flush(); // The schema operations are identical on every replica: never sent.
  return model;
}

/** Cuts delete spans so that each piece lies inside one chunk of `node` (unknown ids stay whole). */
function cutAtChunks(node: StrNode, spans: readonly ITimespanStruct[]): ITimespanStruct[] {
  const pieces: ITimespanStruct[] = [];
  for (const span of spans) {
    let time = span.time;
    let rest = span.span;
    while (rest > 0) {
      const chunk = node.findById(ts(span.sid, time));
      if (chunk === undefined) {
        pieces.push(tss(span.sid, time, rest));
        break;
      }
      const length = Math.min(rest, chunk.id.time + chunk.span - time);
      pieces.push(tss(span.sid, time, length));
      time += length;
      rest -= length;
    }
  }
  return pieces;
}

/** A json-joy replica. */
class JsonJoyReplica implements TextReplica {
  private readonly replicaId: number;
  private readonly session: number;
  private model: Model;
  private textApi: StrApi;
  /** Patches integrated here per author. Invariant: our own entry counts our flushed patches. */
  private readonly delivered: SequenceVector = new Map();
  /** Authors whose `delivered` entry changed since our last seal (they become dependencies). */
  private readonly changedSinceFlush = new Set<number>();
  /** Local patches sealed (numbered) but not yet handed out by `flush`, in sequence order. */
  private sealed: { dependencies: SequenceVector; patch: Uint8Array }[] = [];
  /** Patches received before their dependencies. */
  private pending: EnvelopedPatch[] = [];
  /** Whether this replica holds nothing at all yet (so a full state can be adopted as is). */
  private blank: boolean;

  constructor(replicaId: number, state?: Uint8Array) {
    this.replicaId = replicaId;
    this.session = sessionOf(replicaId);
    this.model = createTextModel(this.session);
    this.textApi = this.model.api.str([]);
    this.blank = true;
    if (state !== undefined) this.apply(state);
  }

  insert(index: number, text: string): void {
    if (text.length === 0) return;
    this.textApi.ins(index, text);
    this.blank = false;
  }

  delete(index: number, length: number): void {
    if (length === 0) return;
    this.textApi.del(index, length);
    this.blank = false;
  }

  text(): string {
    return this.textApi.view();
  }

  encode(): Uint8Array {
    this.seal();
    const writer = new ByteWriter();
    writer.writeVarUint(Kind.State);
    writer.writeVector(this.delivered);
    return writer.finish(this.model.toBinary());
  }

  flush(): Uint8Array | null {
    this.seal();
    const sealed = this.sealed;
    if (sealed.length === 0) return null;
    this.sealed = [];
    const writer = new ByteWriter();
    writer.writeVarUint(Kind.Patch);
    writer.writeVarUint(this.replicaId);
    writer.writeVarUint(this.delivered.get(this.replicaId)! - sealed.length + 1);
    writer.writeVarUint(sealed.length);
    for (const [i, { dependencies, patch }] of sealed.entries()) {
      writer.writeVector(dependencies);
      // The last patch runs to the end of the update, without a length prefix.
      if (i < sealed.length - 1) writer.writeBytes(patch);
      else return writer.finish(patch);
    }
    throw new JsonJoyDecodeError("unreachable: no sealed patch");
  }

  apply(update: Uint8Array): void {
    const reader = new ByteReader(update);
    const kind = reader.readVarUint();
    switch (kind) {
      case Kind.Patch: {
        for (const envelope of this.decodePatches(reader)) {
          if (this.isKnown(envelope)) continue;
          if (this.isReady(envelope)) this.integrate(envelope);
          else this.pending.push(envelope);
        }
        break;
      }
      case Kind.Delta: {
        const vector = reader.readVector();
        this.integrateDelta(Delta.from(reader.rest()));
        this.blank = false;
        this.mergeDelivered(vector);
        break;
      }
      case Kind.State: {
        const vector = reader.readVector();
        const loaded = Model.load(reader.rest(), this.session);
        if (this.blank) {
          this.model = loaded;
          this.textApi = this.model.api.str([]);
        } else {
          this.integrateDelta(loaded.delta(this.model.clock));
        }
        this.blank = false;
        this.mergeDelivered(vector);
        break;
      }
      default:
        throw new JsonJoyDecodeError(`unknown update kind ${kind}`);
    }
    this.drainPending();
  }

  /**
   * Splits a patch update into its patches, in sequence order. Every patch is decoded here, so
   * that bad bytes throw before anything is applied.
   */
  private decodePatches(reader: ByteReader): EnvelopedPatch[] {
    const author = reader.readVarUint();
    const firstSequence = reader.readVarUint();
    if (firstSequence < 1) throw new JsonJoyDecodeError("patch sequence number 0");
    const count = reader.readVarUint();
    if (count < 1) throw new JsonJoyDecodeError("patch update without patches");
    const envelopes: EnvelopedPatch[] = [];
    for (let i = 0; i < count; i++) {
      const dependencies = reader.readVector();
      const bytes = i === count - 1 ? reader.rest() : reader.readBytes();
      let patch: Patch;
      try {
        patch = Patch.fromBinary(bytes);
      } catch (error) {
        throw new JsonJoyDecodeError(`bad patch bytes (${String(error)})`);
      }
      envelopes.push({ author, sequence: firstSequence + i, dependencies, patch });
    }
    return envelopes;
  }

  /**
   * Turns the local operations not yet in a patch into the next sealed patch, with the next
   * sequence number. Called by `flush`, and by `encode`/`diff` so that a state or diff never
   * holds local operations outside a numbered patch: otherwise a peer could see a later patch
   * first, its json-joy clock would claim the earlier operations, and deltas would skip them.
   */
  private seal(): void {
    const patch = this.model.api.flush();
    if (patch.ops.length === 0) return;
    this.delivered.set(this.replicaId, (this.delivered.get(this.replicaId) ?? 0) + 1);
    const dependencies: SequenceVector = new Map();
    for (const author of this.changedSinceFlush) dependencies.set(author, this.delivered.get(author)!);
    this.changedSinceFlush.clear();
    this.sealed.push({ dependencies, patch: patch.toBinary() });
  }

  stateVector(): Uint8Array {
    const writer = new ByteWriter();
    writer.writeVector(this.delivered);
    return writer.finish((this.model.clock as ClockVector).toU8());
  }

  diff(stateVector: Uint8Array): Uint8Array {
    this.seal();
    const reader = new ByteReader(stateVector);
    reader.readVector(); // Our delta is computed from the json-joy clock alone.
    let clock: ClockVector;
    try {
      clock = ClockVector.fromU8(reader.rest());
    } catch (error) {
      throw new JsonJoyDecodeError(`bad clock vector in state vector (${String(error)})`);
    }
    const writer = new ByteWriter();
    writer.writeVarUint(Kind.Delta);
    writer.writeVector(this.delivered);
    return writer.finish(this.model.delta(clock).toBinary());
  }

  /** Whether this replica already holds the patch (from the patch itself or a delta/state). */
  private isKnown(envelope: EnvelopedPatch): boolean {
    return (this.delivered.get(envelope.author) ?? 0) >= envelope.sequence;
  }

  /** Whether the patch's predecessor and every dependency are integrated here. */
  private isReady(envelope: EnvelopedPatch): boolean {
    if ((this.delivered.get(envelope.author) ?? 0) !== envelope.sequence - 1) return false;
    for (const [author, sequence] of envelope.dependencies) {
      if ((this.delivered.get(author) ?? 0) < sequence) return false;
    }
    return true;
  }

  /** Applies a ready patch and records it as delivered. */
  private integrate(envelope: EnvelopedPatch): void {
    this.integratePatch(envelope.patch);
    this.blank = false;
    this.delivered.set(envelope.author, envelope.sequence);
    if (envelope.author !== this.replicaId) this.changedSinceFlush.add(envelope.author);
  }

  /** Applies a json-joy delta (`Model.applyDelta`, with our delete alignment). */
  private integrateDelta(delta: Delta): void {
    for (const patch of delta.batch.patches) this.integratePatch(patch);
    (this.model.clock as ClockVector).advanceCC(delta.vv1);
  }

  /**
   * Applies a remote patch. Works around a json-joy 18 limitation: a delete span is followed
   * across the chunks of the text only through "split" links, which exist when the characters
   * arrived in one insert and were split later, but not when they arrived as separate inserts (as
   * a delta sends them). Such a delete would stop at the first chunk and leave the rest visible.
   * So every delete span is cut at this replica's chunk boundaries before it is applied.
   */
  private integratePatch(patch: Patch): void {
    const ops = patch.ops;
    if (!ops.some((op) => op instanceof DelOp)) {
      this.model.applyPatch(patch);
      return;
    }
    let batch: JsonCrdtPatchOperation[] = [];
    for (const op of ops) {
      if (!(op instanceof DelOp)) {
        batch.push(op);
        continue;
      }
      if (batch.length > 0) this.model.applyPatch(new Patch(batch));
      batch = [];
      const node = this.model.index.get(op.obj);
      const what = node instanceof StrNode ? cutAtChunks(node, op.what) : op.what;
      this.model.applyPatch(new Patch([new DelOp(op.id, op.obj, what)]));
    }
    if (batch.length > 0) this.model.applyPatch(new Patch(batch));
  }

  /** Raises our delivered counts to a sender's after merging everything that sender held. */
  private mergeDelivered(vector: SequenceVector): void {
    for (const [author, sequence] of vector) {
      if ((this.delivered.get(author) ?? 0) < sequence) {
        this.delivered.set(author, sequence);
        if (author !== this.replicaId) this.changedSinceFlush.add(author);
      }
    }
  }

  /** Integrates held patches that became ready, until none does. */
  private drainPending(): void {
    let progress = this.pending.length > 0;
    while (progress) {
      progress = false;
      const still: EnvelopedPatch[] = [];
      for (const envelope of this.pending) {
        if (this.isKnown(envelope)) continue;
        if (this.isReady(envelope)) {
          this.integrate(envelope);
          progress = true;
        } else {
          still.push(envelope);
        }
      }
      this.pending = still;
    }
  }
}

/** json-joy 18 (JSON CRDT `str` node) through the benchmark contract. */
export const jsonJoyAdapter: TextCrdtAdapter = {
  name: "json-joy",
  create: (replicaId) => new JsonJoyReplica(replicaId),
  load: (state, replicaId) => new JsonJoyReplica(replicaId, state),
};
