/**
 * The binary update format (version 1). An update is: a field table (name, kind), per replica a
 * clock-ordered list of operations (gaps allowed, e.g. when pending operations are forwarded), and
 * a delete set. Everything is validated while decoding; `decodeUpdate` throws `DecodeError` on any
 * bad byte or impossible value and never returns a partial update.
 *
 * Layout: version byte; fields: count, then (name, kind byte) sorted by name; replicas: count, then
 * per replica (strictly increasing id) op count and ops; each op is a header byte (kind in the low
 * 3 bits, bit 3 = a clock gap follows; the first op of a replica always has its absolute clock)
 * and its body (insert origins: replica + clock relative to the insert; flags mark an origin left
 * that is the previous character and an origin right repeated from the previous insert); delete set: replica count, per replica the id, range count, then (gap, length).
 */
import { Decoder } from '../codec/decoder';
import { Encoder } from '../codec/encoder';
import { DecodeError } from '../codec/errors';
import { readJson, writeJson, type JsonValue } from '../codec/json';
import type { HlcTimestamp } from '../clock/hlc';
import type { ReplicaId } from '../clock/replica';
import type { IdRange, InsertRun, ItemId } from './rga/types';
import { STATE_VERSION, decodeStateAsUpdate } from './state-codec';

export const UPDATE_VERSION = 1;

/** The CRDT type of a field. */
export type FieldKind = 'text' | 'set' | 'map' | 'register' | 'counter';
const FIELD_KINDS: readonly FieldKind[] = ['text', 'set', 'map', 'register', 'counter'];

/** A field as named in an update. */
export interface FieldRef {
  readonly name: string;
  readonly kind: FieldKind;
}

/** One operation of a replica; `clock` is its first clock unit. */
export type Op =
  | { readonly kind: 'skip'; readonly clock: number; readonly length: number }
  | { readonly kind: 'insert'; readonly clock: number; readonly field: FieldRef; readonly run: InsertRun }
  | { readonly kind: 'add'; readonly clock: number; readonly field: FieldRef; readonly value: string }
  | { readonly kind: 'mapSet'; readonly clock: number; readonly field: FieldRef; readonly key: string; readonly value: JsonValue | undefined; readonly ts: HlcTimestamp }
  | { readonly kind: 'registerSet'; readonly clock: number; readonly field: FieldRef; readonly value: JsonValue; readonly ts: HlcTimestamp }
  | { readonly kind: 'counterAdd'; readonly clock: number; readonly field: FieldRef; readonly delta: number };

/** The field kind each op kind requires. */
const OP_FIELD_KIND = { insert: 'text', add: 'set', mapSet: 'map', registerSet: 'register', counterAdd: 'counter' } as const;
const OP_TAGS = ['skip', 'insert', 'add', 'mapSet', 'registerSet', 'counterAdd'] as const;

/** Clock units an operation consumes. */
export function opLength(op: Op): number {
  if (op.kind === 'skip') return op.length;
  if (op.kind === 'insert') return op.run.length;
  return 1;
}

/** The operations of one replica. Invariant: sorted by clock, non-overlapping. */
export interface ReplicaOps {
  readonly replica: ReplicaId;
  readonly ops: readonly Op[];
}

/** A decoded update. Invariant: replicas sorted by id; fields unique by name; deletes normalised per replica. */
export interface Update {
  readonly fields: readonly FieldRef[];
  readonly replicas: readonly ReplicaOps[];
  readonly deletes: readonly IdRange[];
}

export const MAX_CLOCK = Number.MAX_SAFE_INTEGER;

/** Updates estimated above this many bytes are written into a buffer of their own, not the scratch encoder. */
const SCRATCH_LIMIT = 1024;

/**
 * Encodes an update. `fields` must contain every field the ops reference. `scratch`, when given, is
 * reset and written into (a sender encoding many small updates keeps one); the result is a copy.
 * A large update (a paste) is written into a buffer sized from its content instead and returned
 * without a copy when it fills it (the scratch neither grows for it nor keeps its size).
 */
export function encodeUpdate(update: Update, scratch?: Encoder): Uint8Array {
  const estimate = estimateSize(update);
  const large = scratch === undefined || estimate > SCRATCH_LIMIT;
  const encoder = large ? new Encoder(estimate) : scratch;
  encoder.reset();
  encoder.writeByte(UPDATE_VERSION);
  const fieldIndex = writeSortedFields(encoder, update.fields);
  writeReplicaOps(encoder, update.replicas, fieldIndex);
  writeRanges(encoder, update.deletes);
  return large ? encoder.toOwnBytes() : encoder.toBytes();
}

/** Bytes an update takes when its text is ASCII, rounded up (a few bytes per number, one per content unit). */
function estimateSize(update: Update): number {
  let size = 16 + 12 * update.deletes.length;
  for (let i = 0; i < update.fields.length; i++) size += 8 + update.fields[i]!.name.length;
  for (let r = 0; r < update.replicas.length; r++) {
    const ops = update.replicas[r]!.ops;
    size += 16 + 32 * ops.length;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      if (op.kind === 'insert' && op.run.content !== null) size += op.run.content.length;
    }
  }
  return size;
}

/** Field name -> index in the written field table (a `Map`, or `SortedFields` for small tables). */
export interface FieldIndex {
  get(name: string): number | undefined;
}

/** The field table of one update as written (sorted by name): looks names up by binary search, with no map to build. */
class SortedFields implements FieldIndex {
  constructor(private readonly sorted: readonly FieldRef[]) {}

  /** Keeps the short-lived class's map alive across GCs (see `Decoder.keepShape`). */
  static readonly keepShape: SortedFields = new SortedFields([]);

  get(name: string): number | undefined {
    const sorted = this.sorted;
    let lo = 0;
    let hi = sorted.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const other = sorted[mid]!.name;
      if (other === name) return mid;
      if (other < name) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }
}

function byName(a: FieldRef, b: FieldRef): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Writes the field table (sorted by name; copied and sorted only when not already). */
function writeSortedFields(encoder: Encoder, unsorted: readonly FieldRef[]): SortedFields {
  let fields = unsorted;
  for (let i = 1; i < fields.length; i++) {
    if (fields[i - 1]!.name >= fields[i]!.name) {
      fields = [...unsorted].sort(byName);
      break;
    }
  }
  encoder.writeVarUint(fields.length);
  for (const field of fields) {
    encoder.writeCodeUnits(field.name);
    encoder.writeByte(FIELD_KINDS.indexOf(field.kind));
  }
  return new SortedFields(fields);
}

/** Writes the field table (sorted by name); returns name -> index for `writeReplicaOps`. */
export function writeFieldTable(encoder: Encoder, unsorted: readonly FieldRef[]): Map<string, number> {
  const fields = [...unsorted].sort(byName);
  const fieldIndex = new Map<string, number>();
  encoder.writeVarUint(fields.length);
  fields.forEach((field, i) => {
    fieldIndex.set(field.name, i);
    encoder.writeCodeUnits(field.name);
    encoder.writeByte(FIELD_KINDS.indexOf(field.kind));
  });
  return fieldIndex;
}

/** The header tag of an op kind (its index in `OP_TAGS`); a switch, not a keyed lookup, on the per-op path. */
function opTag(kind: Op['kind']): number {
  switch (kind) {
    case 'skip':
      return 0;
    case 'insert':
      return 1;
    case 'add':
      return 2;
    case 'mapSet':
      return 3;
    case 'registerSet':
      return 4;
    case 'counterAdd':
      return 5;
  }
}

/** Writes per replica (sorted by id, empty ones dropped) its clock-ordered ops. */
export function writeReplicaOps(encoder: Encoder, replicas: readonly ReplicaOps[], fieldIndex: FieldIndex): void {
  let count = 0;
  for (let r = 0; r < replicas.length; r++) if (replicas[r]!.ops.length > 0) count++;
  encoder.writeVarUint(count);
  for (let r = 0; r < replicas.length; r++) {
    const { replica, ops } = replicas[r]!;
    if (ops.length === 0) continue;
    encoder.writeVarUint(replica);
    encoder.writeVarUint(ops.length);
    let expected = -1;
    let previous: Op | undefined;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      const gap = expected < 0 ? op.clock : op.clock - expected;
      encoder.writeByte(opTag(op.kind) | (gap > 0 ? 8 : 0));
      if (gap > 0) encoder.writeVarUint(gap);
      writeOpBody(encoder, op, replica, fieldIndex, previous);
      expected = op.clock + opLength(op);
      previous = op;
    }
  }
}

/** The origin right of `previous` when it is an insert (a run split by deletions repeats it). */
function previousRight(previous: Op | undefined): ItemId | null {
  return previous !== undefined && previous.kind === 'insert' ? previous.run.originRight : null;
}

/**
 * An origin id: its replica (0 = the inserting replica, else replica + 1: random 32-bit ids cost 5
 * bytes), then its clock relative to the insert's clock (origins are usually near).
 */
function writeOrigin(encoder: Encoder, origin: ItemId, replica: number, clock: number): void {
  encoder.writeVarUint(origin.replica === replica ? 0 : origin.replica + 1);
  encoder.writeVarInt(origin.clock - clock);
}

function readOrigin(decoder: Decoder, replica: number, clock: number): ItemId {
  const offset = decoder.offset;
  const code = decoder.readVarUintIn(0, 0x1_0000_0000, 'origin replica');
  const originReplica = code === 0 ? replica : code - 1;
  const originClock = clock + decoder.readVarInt();
  if (originClock < 0 || !Number.isSafeInteger(originClock)) throw new DecodeError(`origin clock ${originClock} out of range`, offset);
  return { replica: originReplica, clock: originClock };
}

function writeOpBody(encoder: Encoder, op: Op, replica: number, fieldIndex: FieldIndex, previous: Op | undefined): void {
  if (op.kind === 'skip') return encoder.writeVarUint(op.length);
  const index = fieldIndex.get(op.field.name);
  if (index === undefined) throw new Error(`field ${op.field.name} missing from the field table`);
  encoder.writeVarUint(index);
  switch (op.kind) {
    case 'insert': {
      const { run } = op;
      const leftIsPrevious = run.originLeft !== null && run.originLeft.replica === replica && run.originLeft.clock === op.clock - 1;
      const before = previousRight(previous);
      const rightRepeats = run.originRight !== null && before !== null && before.replica === run.originRight.replica && before.clock === run.originRight.clock;
      const flags = (run.originLeft !== null ? 1 : 0) | (run.originRight !== null ? 2 : 0) | (run.content !== null ? 4 : 0) | (leftIsPrevious ? 8 : 0) | (rightRepeats ? 16 : 0);
      encoder.writeByte(flags);
      encoder.writeVarUint(run.length);
      if (run.originLeft !== null && !leftIsPrevious) writeOrigin(encoder, run.originLeft, replica, op.clock);
      if (run.originRight !== null && !rightRepeats) writeOrigin(encoder, run.originRight, replica, op.clock);
      if (run.content !== null) encoder.writeCodeUnits(run.content);
      return;
    }
    case 'add':
      return encoder.writeCodeUnits(op.value);
    case 'mapSet':
      encoder.writeCodeUnits(op.key);
      writeTimestamp(encoder, op.ts);
      encoder.writeByte(op.value === undefined ? 0 : 1);
      if (op.value !== undefined) writeJson(encoder, op.value);
      return;
    case 'registerSet':
      writeTimestamp(encoder, op.ts);
      return writeJson(encoder, op.value);
    case 'counterAdd':
      return encoder.writeVarInt(op.delta);
  }
}

function writeTimestamp(encoder: Encoder, ts: HlcTimestamp): void {
  encoder.writeVarUint(ts.wallMs);
  encoder.writeVarUint(ts.logical);
}

/** Writes id ranges (must be sorted by replica, then clock, non-overlapping). */
export function writeRanges(encoder: Encoder, ranges: readonly IdRange[]): void {
  let groups = 0;
  for (let i = 0; i < ranges.length; i++) if (i === 0 || ranges[i]!.replica !== ranges[i - 1]!.replica) groups++;
  encoder.writeVarUint(groups);
  for (let i = 0; i < ranges.length; ) {
    const replica = ranges[i]!.replica;
    let j = i + 1;
    while (j < ranges.length && ranges[j]!.replica === replica) j++;
    encoder.writeVarUint(replica);
    encoder.writeVarUint(j - i);
    let end = 0;
    for (; i < j; i++) {
      const range = ranges[i]!;
      encoder.writeVarUint(range.clock - end);
      encoder.writeVarUint(range.length);
      end = range.clock + range.length;
    }
  }
}

/**
 * The last field table one receiver decoded, as bytes and as refs: a stream of small updates that
 * name the same fields (every keystroke of a text) skips re-reading and re-checking the names.
 * Identical bytes decode to identical (already validated) fields, so nothing is trusted that was
 * not checked once.
 */
export class FieldTableCache {
  /** Tables longer than this are not kept (large updates are rare and dominated by their ops). */
  static readonly MAX_BYTES = 64;
  bytes: Uint8Array | null = null;
  /** The refs `bytes` decode to (frozen: shared by every update decoded with them). */
  fields: readonly FieldRef[] = [];
}

/**
 * Decodes and validates an update (or a full state, see state-codec.ts); throws `DecodeError` on
 * anything malformed. `cache` (one per receiver) lets repeated field tables skip decoding.
 */
export function decodeUpdate(bytes: Uint8Array, cache?: FieldTableCache): Update {
  if (bytes[0] === STATE_VERSION) return decodeStateAsUpdate(bytes);
  const decoder = new Decoder(bytes);
  const version = decoder.readByte();
  if (version !== UPDATE_VERSION) throw new DecodeError(`unknown update version ${version}`, 0);
  const fields = cache === undefined ? readFieldTable(decoder) : readCachedFieldTable(decoder, cache);
  const replicas = readReplicaOps(decoder, fields);
  const deletes = readRanges(decoder);
  decoder.expectEnd();
  return { fields, replicas, deletes };
}

/** Reads a field table, reusing `cache`'s refs when the bytes are the same as last time (and refreshing it when not). */
function readCachedFieldTable(decoder: Decoder, cache: FieldTableCache): readonly FieldRef[] {
  const known = cache.bytes;
  if (known !== null && decoder.startsWith(known)) {
    decoder.skip(known.length);
    return cache.fields;
  }
  const start = decoder.offset;
  const fields = readFieldTable(decoder);
  // An empty table (an update of deletes only) is not kept: it would evict the one typing repeats.
  if (fields.length > 0 && decoder.offset - start <= FieldTableCache.MAX_BYTES) {
    cache.bytes = decoder.copy(start, decoder.offset);
    cache.fields = Object.freeze(fields);
  }
  return fields;
}

/** Reads a field table written by `writeFieldTable`. */
export function readFieldTable(decoder: Decoder): FieldRef[] {
  const fieldCount = decoder.readVarUintIn(0, decoder.remaining, 'field count');
  // Arrays of known length are allocated at that length (a push onto `[]` reserves room for 17).
  const fields = new Array<FieldRef>(fieldCount);
  // Small tables (the usual one or two fields) check duplicates by scanning; large ones by a set.
  const names = fieldCount > 8 ? new Set<string>() : null;
  for (let i = 0; i < fieldCount; i++) {
    const offset = decoder.offset;
    const name = decoder.readCodeUnits();
    const kind = FIELD_KINDS[decoder.readByte()];
    if (kind === undefined) throw new DecodeError(`unknown field kind for ${JSON.stringify(name)}`, offset);
    if (names !== null ? names.has(name) : hasName(fields, i, name)) throw new DecodeError(`duplicate field ${JSON.stringify(name)}`, offset);
    names?.add(name);
    fields[i] = { name, kind };
  }
  return fields;
}

/** True when one of the first `count` fields is named `name`. */
function hasName(fields: readonly FieldRef[], count: number, name: string): boolean {
  for (let i = 0; i < count; i++) if (fields[i]!.name === name) return true;
  return false;
}

/** Reads the per-replica ops written by `writeReplicaOps`, validating every op. */
export function readReplicaOps(decoder: Decoder, fields: readonly FieldRef[]): ReplicaOps[] {
  const replicaCount = decoder.readVarUintIn(0, decoder.remaining, 'replica count');
  const replicas = new Array<ReplicaOps>(replicaCount);
  let previousReplica = -1;
  for (let r = 0; r < replicaCount; r++) {
    const offset = decoder.offset;
    const replica = decoder.readVarUintIn(0, 0xffff_ffff, 'replica id') as ReplicaId;
    if (replica <= previousReplica) throw new DecodeError('replicas out of order', offset);
    previousReplica = replica;
    const opCount = decoder.readVarUintIn(1, decoder.remaining, 'op count');
    const ops = new Array<Op>(opCount);
    let expected = 0;
    let previous: Op | undefined;
    for (let i = 0; i < opCount; i++) {
      const opOffset = decoder.offset;
      const header = decoder.readByte();
      const kind = OP_TAGS[header & 7];
      if (kind === undefined || header > 15) throw new DecodeError(`unknown op header ${header}`, opOffset);
      const hasGap = (header & 8) !== 0;
      const gap = hasGap ? decoder.readVarUintIn(1, MAX_CLOCK, 'clock gap') : 0;
      const clock = expected + gap;
      const op = readOpBody(decoder, kind, replica, clock, fields, opOffset, previous);
      const end = clock + opLength(op);
      if (!Number.isSafeInteger(end) || end > MAX_CLOCK) throw new DecodeError('clock overflow', opOffset);
      ops[i] = op;
      expected = end;
      previous = op;
    }
    replicas[r] = { replica, ops };
  }
  return replicas;
}

function readField(decoder: Decoder, fields: readonly FieldRef[], opKind: keyof typeof OP_FIELD_KIND): FieldRef {
  const offset = decoder.offset;
  const field = fields[decoder.readVarUint()];
  if (field === undefined) throw new DecodeError('op references an unknown field', offset);
  if (field.kind !== OP_FIELD_KIND[opKind]) throw new DecodeError(`${opKind} op on ${field.kind} field ${JSON.stringify(field.name)}`, offset);
  return field;
}

function readOpBody(decoder: Decoder, kind: Op['kind'], replica: number, clock: number, fields: readonly FieldRef[], offset: number, previous: Op | undefined): Op {
  switch (kind) {
    case 'skip':
      return { kind, clock, length: decoder.readVarUintIn(1, MAX_CLOCK, 'skip length') };
    case 'insert': {
      const field = readField(decoder, fields, kind);
      const flags = decoder.readByte();
      const repeated = previousRight(previous);
      if (flags > 31 || ((flags & 8) !== 0 && (flags & 1) === 0) || ((flags & 16) !== 0 && ((flags & 2) === 0 || repeated === null))) {
        throw new DecodeError(`bad insert flags ${flags}`, offset);
      }
      const length = decoder.readVarUintIn(1, MAX_CLOCK, 'insert length');
      let originLeft: ItemId | null = null;
      if ((flags & 8) !== 0) {
        if (clock === 0) throw new DecodeError('insert refers to clock -1', offset);
        originLeft = { replica, clock: clock - 1 };
      } else if ((flags & 1) !== 0) originLeft = readOrigin(decoder, replica, clock);
      const originRight = (flags & 16) !== 0 ? repeated : (flags & 2) !== 0 ? readOrigin(decoder, replica, clock) : null;
      const content = (flags & 4) !== 0 ? decoder.readCodeUnits() : null;
      if (content !== null && content.length !== length) throw new DecodeError(`insert content has ${content.length} units, expected ${length}`, offset);
      if (originLeft !== null && originRight !== null && originLeft.replica === originRight.replica && originLeft.clock === originRight.clock) {
        throw new DecodeError('insert has the same left and right origin', offset);
      }
      if ((originLeft !== null && originLeft.replica === replica && originLeft.clock >= clock) || (originRight !== null && originRight.replica === replica && originRight.clock >= clock)) {
        throw new DecodeError('insert origin is not before the insert', offset);
      }
      return { kind, clock, field, run: { replica, clock, length, originLeft, originRight, content } };
    }
    case 'add':
      return { kind, clock, field: readField(decoder, fields, kind), value: decoder.readCodeUnits() };
    case 'mapSet': {
      const field = readField(decoder, fields, kind);
      const key = decoder.readCodeUnits();
      const ts = readTimestamp(decoder);
      const hasValue = decoder.readByte();
      if (hasValue > 1) throw new DecodeError(`bad map value flag ${hasValue}`, offset);
      return { kind, clock, field, key, ts, value: hasValue === 1 ? readJson(decoder) : undefined };
    }
    case 'registerSet': {
      const field = readField(decoder, fields, kind);
      const ts = readTimestamp(decoder);
      return { kind, clock, field, ts, value: readJson(decoder) };
    }
    case 'counterAdd':
      return { kind, clock, field: readField(decoder, fields, kind), delta: decoder.readVarInt() };
  }
}

function readTimestamp(decoder: Decoder): HlcTimestamp {
  const wallMs = decoder.readVarUint();
  const logical = decoder.readVarUint();
  return { wallMs, logical };
}

/** Reads id ranges written by `writeRanges`, validating order and lengths. */
export function readRanges(decoder: Decoder): IdRange[] {
  const groupCount = decoder.readVarUintIn(0, decoder.remaining, 'delete set replica count');
  let ranges: IdRange[] = [];
  let previousReplica = -1;
  for (let g = 0; g < groupCount; g++) {
    const offset = decoder.offset;
    const replica = decoder.readVarUintIn(0, 0xffff_ffff, 'replica id');
    if (replica <= previousReplica) throw new DecodeError('delete set replicas out of order', offset);
    previousReplica = replica;
    const count = decoder.readVarUintIn(1, decoder.remaining, 'range count');
    // The first group's ranges go into an array of their exact length (usually the only group).
    if (g === 0) ranges = new Array<IdRange>(count);
    const base = g === 0 ? 0 : ranges.length;
    let end = 0;
    for (let i = 0; i < count; i++) {
      const rangeOffset = decoder.offset;
      const clock = end + decoder.readVarUint();
      const length = decoder.readVarUintIn(1, MAX_CLOCK, 'range length');
      end = clock + length;
      if (!Number.isSafeInteger(end)) throw new DecodeError('delete range overflows', rangeOffset);
      ranges[base + i] = { replica, clock, length };
    }
  }
  return ranges;
}

/** Encodes a state vector: count, then (replica, clock) sorted by replica, zero entries dropped. */
export function encodeStateVector(vv: ReadonlyMap<ReplicaId, number>): Uint8Array {
  const encoder = new Encoder(16);
  const entries = [...vv].filter(([, clock]) => clock > 0).sort((a, b) => a[0] - b[0]);
  encoder.writeVarUint(entries.length);
  for (const [replica, clock] of entries) {
    encoder.writeVarUint(replica);
    encoder.writeVarUint(clock);
  }
  return encoder.toBytes();
}

/** Decodes a state vector; throws `DecodeError` on bad bytes, duplicate or unordered replicas. */
export function decodeStateVector(bytes: Uint8Array): Map<ReplicaId, number> {
  const decoder = new Decoder(bytes);
  const count = decoder.readVarUintIn(0, decoder.remaining, 'state vector size');
  const vv = new Map<ReplicaId, number>();
  let previous = -1;
  for (let i = 0; i < count; i++) {
    const offset = decoder.offset;
    const replica = decoder.readVarUintIn(0, 0xffff_ffff, 'replica id') as ReplicaId;
    if (replica <= previous) throw new DecodeError('state vector replicas out of order', offset);
    previous = replica;
    vv.set(replica, decoder.readVarUintIn(1, MAX_CLOCK, 'clock'));
  }
  decoder.expectEnd();
  return vv;
}
