/**
 * The full-state format (version 2): what `Doc.encode()` writes. Text fields are stored as their
 * spans in document order, with origins, clocks and replicas mostly implied by the neighbours, and
 * the visible text as one string; everything else (other fields' ops, pending ops, deletes that no
 * text span implies) as in an update. `decodeUpdate` accepts it like any update
 * (`decodeStateAsUpdate`); `Doc.load` builds the sequences from it in bulk (`decodeState`).
 * Layout and the meaning of each flag: lib/crdt/README.md, "Full-state format".
 */
import { Decoder } from '../codec/decoder';
import { Encoder } from '../codec/encoder';
import { DecodeError } from '../codec/errors';
import { normalizeRanges, subtractRanges, unionRanges } from './delete-set';
import type { DocumentSpan } from './rga/bulk';
import { NONE, Span } from './rga/span';
import type { IdRange, ItemId } from './rga/types';
import { MAX_CLOCK, opLength, readFieldTable, readRanges, readReplicaOps, writeFieldTable, writeRanges, writeReplicaOps, type FieldRef, type Op, type ReplicaOps, type Update } from './update-codec';

export const STATE_VERSION = 2;

/** Lengths up to this are packed into a span's header; longer ones follow it. */
const PACKED_LENGTH_LIMIT = 2 ** 44;

// Span header flags (non-continuation spans).
const DELETED = 1;
const LEFT_SHIFT = 1; // 2 bits
const RIGHT_SHIFT = 3; // 2 bits
const CLOCK_EXPLICIT = 32;
const REPLICA_EXPLICIT = 64;
const LEFT_PREVIOUS = 0;
const LEFT_UNUSED = 1;
const LEFT_NONE = 2;
const LEFT_EXPLICIT = 3;
const RIGHT_NONE = 0;
const RIGHT_NEXT = 1;
const RIGHT_PREDICTED = 2;
const RIGHT_EXPLICIT = 3;
/**
 * The most frequent flag values (typing: a new insert position with an explicit clock, visible or
 * deleted; a continued run whose origin left is further back; with a predicted origin right). A
 * span with one of them and a length up to `SHORT_LENGTHS` has a one-byte header.
 */
const COMMON_FLAGS = [40, 41, 22, 23, 48, 49, 14] as const;
const SHORT_LENGTHS = 9;
const SHORT_CODES = COMMON_FLAGS.length * SHORT_LENGTHS;

/** What `encodeState` needs from a document. */
export interface StateInput {
  readonly fields: readonly FieldRef[];
  /** Every text field with its spans in document order (`documentSpans`). */
  readonly texts: ReadonlyMap<string, readonly DocumentSpan[]>;
  /** Per replica, sorted by id: its non-text ops and its pending ops (text ones included), in clock order. */
  readonly rest: readonly ReplicaOps[];
  /** The whole delete set, canonical. */
  readonly deletes: readonly IdRange[];
}

/** A decoded full state. Invariant: ids unique across spans and `rest`; origins point at characters on the right side. */
export interface DecodedState {
  readonly fields: readonly FieldRef[];
  /** Per text field (by name): its spans in document order, ready for `buildRga`. */
  readonly texts: ReadonlyMap<string, Span[]>;
  /** Per replica (sorted by id): its spans and ops. */
  readonly timeline: ReadonlyMap<number, ReplicaTimeline>;
  readonly rest: readonly ReplicaOps[];
  /** The whole delete set (residual and deleted spans), canonical. */
  readonly deletes: IdRange[];
  /** Deletes not implied by deleted spans. */
  readonly residualDeletes: readonly IdRange[];
}

/** One replica's part of a state. Invariant: spans and ops sorted by clock, none overlapping another. */
export interface ReplicaTimeline {
  /** Its text spans (of every text field), sorted by clock; `spanFields[i]` is the field of `spans[i]`. */
  readonly spans: Span[];
  readonly spanFields: FieldRef[];
  /** Its other ops and its pending ops, sorted by clock. */
  readonly ops: readonly Op[];
}

/** Visits a timeline's spans and ops in clock order; stops when `visitOp` returns false. */
export function walkTimeline(timeline: ReplicaTimeline, visitSpan: (span: Span, field: FieldRef) => void, visitOp: (op: Op, index: number) => boolean): void {
  const { spans, spanFields, ops } = timeline;
  if (ops.length === 0) {
    for (let i = 0; i < spans.length; i++) visitSpan(spans[i]!, spanFields[i]!);
    return;
  }
  let j = 0;
  for (let i = 0; i < spans.length; i++) {
    const span = spans[i]!;
    while (j < ops.length && ops[j]!.clock < span.clock) {
      if (!visitOp(ops[j]!, j)) return;
      j++;
    }
    visitSpan(span, spanFields[i]!);
  }
  for (; j < ops.length; j++) if (!visitOp(ops[j]!, j)) return;
}

/** `items` sorted by clock (stable for equal clocks), through a numeric typed-array sort when the keys fit. */
function sortByClock<T extends { readonly clock: number }>(items: T[], extra: unknown[]): void {
  const n = items.length;
  let small = n < 2 ** 21;
  for (let i = 0; i < n && small; i++) small = items[i]!.clock < 2 ** 31;
  let order: ArrayLike<number>;
  if (small) {
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = items[i]!.clock * 2 ** 21 + i;
    keys.sort();
    const indices = new Int32Array(n);
    for (let i = 0; i < n; i++) indices[i] = keys[i]! % 2 ** 21;
    order = indices;
  } else {
    order = Array.from({ length: n }, (_, i) => i).sort((a, b) => items[a]!.clock - items[b]!.clock || a - b);
  }
  const copy = items.slice();
  const extraCopy = extra.slice();
  for (let i = 0; i < n; i++) {
    items[i] = copy[order[i]!]!;
    extra[i] = extraCopy[order[i]!];
  }
}

/** (replica, clock) -> span index, one numeric map per replica (string keys cost more than the encoding). */
class IdToIndex {
  private readonly byReplica = new Map<number, Map<number, number>>();
  set(replica: number, clock: number, index: number): void {
    let map = this.byReplica.get(replica);
    if (map === undefined) this.byReplica.set(replica, (map = new Map()));
    map.set(clock, index);
  }
  get(replica: number, clock: number): number {
    return this.byReplica.get(replica)?.get(clock) ?? -1;
  }
}

/** Index of the nearest span after each span that is of another replica or has a smaller clock (the predicted origin right); -1 when none. */
function predictions(spans: readonly { replica: number; clock: number }[], step: 1 | -1): Int32Array {
  const n = spans.length;
  const out = new Int32Array(n);
  const stack: number[] = [];
  for (let t = 0; t < n; t++) {
    const i = step === 1 ? n - 1 - t : t;
    const s = spans[i]!;
    while (stack.length > 0) {
      const j = stack[stack.length - 1]!;
      if (spans[j]!.replica === s.replica && spans[j]!.clock >= s.clock) stack.pop();
      else break;
    }
    out[i] = stack.length > 0 ? stack[stack.length - 1]! : -1;
    stack.push(i);
  }
  return out;
}

/** Encodes a full state (canonical: the inputs are). */
export function encodeState(input: StateInput): Uint8Array {
  const encoder = new Encoder(1024);
  encoder.writeByte(STATE_VERSION);
  const fieldIndex = writeFieldTable(encoder, input.fields);
  const textNames = [...input.texts.keys()].sort((a, b) => fieldIndex.get(a)! - fieldIndex.get(b)!);
  const replicaSet = new Set<number>();
  for (const spans of input.texts.values()) for (const s of spans) replicaSet.add(s.replica);
  const replicas = [...replicaSet].sort((a, b) => a - b);
  const replicaIndex = new Map<number, number>();
  encoder.writeVarUint(replicas.length);
  replicas.forEach((replica, i) => {
    encoder.writeVarUint(i === 0 ? replica : replica - replicas[i - 1]!);
    replicaIndex.set(replica, i);
  });
  const deletedSpans: IdRange[] = [];
  for (const name of textNames) {
    const spans = input.texts.get(name)!;
    encoder.writeVarUint(fieldIndex.get(name)!);
    encoder.writeVarUint(spans.length);
    writeSpans(encoder, spans, replicaIndex, replicas);
    let text = '';
    const parts: string[] = [];
    for (const s of spans) {
      if (s.content !== null) parts.push(s.content);
      else deletedSpans.push({ replica: s.replica, clock: s.clock, length: s.length });
    }
    text = parts.join('');
    encoder.writeCodeUnits(text);
  }
  writeReplicaOps(encoder, input.rest, fieldIndex);
  deletedSpans.sort((a, b) => a.replica - b.replica || a.clock - b.clock);
  writeRanges(encoder, subtractRanges(input.deletes, normalizeRanges(deletedSpans)));
  return encoder.toBytes();
}

/** True when span `j` exists and starts with character (replica, clock). */
function startsAt(spans: readonly DocumentSpan[], j: number, replica: number, clock: number): boolean {
  const span = spans[j];
  return span !== undefined && span.replica === replica && span.clock === clock;
}

function writeSpans(encoder: Encoder, spans: readonly DocumentSpan[], replicaIndex: Map<number, number>, replicas: readonly number[]): void {
  const n = spans.length;
  // id -> index maps, built on the first origin that is neither implied nor a few spans away.
  let starts: IdToIndex | null = null;
  let ends: IdToIndex | null = null;
  const buildMap = (atEnd: boolean): IdToIndex => {
    const map = new IdToIndex();
    spans.forEach((s, i) => map.set(s.replica, atEnd ? s.clock + s.length - 1 : s.clock, i));
    return map;
  };
  // Origins are looked for by scanning, within a budget of a few steps per span, then through maps.
  let budget = 8 * n;
  const endingAt = (replica: number, clock: number, before: number): number => {
    for (let j = before - 1; j >= 0 && budget > 0; j--, budget--) if (spans[j]!.replica === replica && spans[j]!.clock + spans[j]!.length - 1 === clock) return j;
    ends ??= buildMap(true);
    return ends.get(replica, clock);
  };
  const startingAt = (replica: number, clock: number, after: number): number => {
    for (let j = after + 1; j < n && budget > 0; j++, budget--) if (spans[j]!.replica === replica && spans[j]!.clock === clock) return j;
    starts ??= buildMap(false);
    return starts.get(replica, clock);
  };
  const predictedRight = predictions(spans, 1);
  let previous: DocumentSpan | null = null;
  for (let i = 0; i < n; i++) {
    const s = spans[i]!;
    if (
      previous !== null &&
      s.replica === previous.replica &&
      s.clock === previous.clock + previous.length &&
      s.leftReplica === s.replica &&
      s.leftClock === s.clock - 1 &&
      s.rightReplica === previous.rightReplica &&
      s.rightClock === previous.rightClock &&
      (s.content === null) !== (previous.content === null)
    ) {
      encoder.writeVarUint(s.length * 2 + 1);
      previous = s;
      continue;
    }
    let flags = s.content === null ? DELETED : 0;
    // Origin left: the end of the previous span, of the predicted one, none, or explicit.
    let leftKind = LEFT_EXPLICIT;
    let leftIndex = -1;
    if (s.leftReplica === NONE) leftKind = LEFT_NONE;
    else {
      const before = spans[i - 1];
      if (before !== undefined && before.replica === s.leftReplica && before.clock + before.length - 1 === s.leftClock) {
        leftIndex = i - 1;
        leftKind = LEFT_PREVIOUS;
      } else leftIndex = endingAt(s.leftReplica, s.leftClock, i);
    }
    let rightKind = RIGHT_EXPLICIT;
    let rightIndex = -1;
    if (s.rightReplica === NONE) rightKind = RIGHT_NONE;
    else {
      if (startsAt(spans, i + 1, s.rightReplica, s.rightClock)) {
        rightIndex = i + 1;
        rightKind = RIGHT_NEXT;
      } else if (startsAt(spans, predictedRight[i]!, s.rightReplica, s.rightClock)) {
        rightIndex = predictedRight[i]!;
        rightKind = RIGHT_PREDICTED;
      } else rightIndex = startingAt(s.rightReplica, s.rightClock, i);
    }
    // An origin left given as an id is relative to the span's clock, so the clock cannot be relative to it.
    const base = s.leftReplica === s.replica && !(leftKind === LEFT_EXPLICIT && leftIndex < 0) ? s.leftClock + 1 : 0;
    const replicaImplied = s.replica === (previous === null ? replicas[0] : previous.replica);
    flags |= (leftKind << LEFT_SHIFT) | (rightKind << RIGHT_SHIFT) | (s.clock !== base ? CLOCK_EXPLICIT : 0) | (replicaImplied ? 0 : REPLICA_EXPLICIT);
    const common = (COMMON_FLAGS as readonly number[]).indexOf(flags);
    if (common >= 0 && s.length <= SHORT_LENGTHS) encoder.writeVarUint(((s.length - 1) * COMMON_FLAGS.length + common) * 2);
    else if (s.length < PACKED_LENGTH_LIMIT) encoder.writeVarUint((SHORT_CODES + s.length * 128 + flags) * 2);
    else {
      encoder.writeVarUint((SHORT_CODES + flags) * 2);
      encoder.writeVarUint(s.length);
    }
    if (!replicaImplied) encoder.writeVarUint(replicaIndex.get(s.replica)!);
    if (s.clock !== base) encoder.writeVarUint(s.clock - base - 1); // origins precede: s.clock > base
    if (leftKind === LEFT_EXPLICIT) writeOriginRef(encoder, leftIndex >= 0 ? i - leftIndex : -1, s.leftReplica, s.leftClock, s.clock, replicaIndex);
    if (rightKind === RIGHT_EXPLICIT) writeOriginRef(encoder, rightIndex >= 0 ? rightIndex - i : -1, s.rightReplica, s.rightClock, s.clock, replicaIndex);
    previous = s;
  }
}

/**
 * An explicit origin: a span distance `k >= 2` (distance 1 has its own flag) as `k - 1`, or 0 then
 * a replica index and a clock relative to the span's (an origin inside a span).
 */
function writeOriginRef(encoder: Encoder, distance: number, replica: number, clock: number, spanClock: number, replicaIndex: Map<number, number>): void {
  if (distance > 1) return encoder.writeVarUint(distance - 1);
  encoder.writeVarUint(0);
  encoder.writeVarUint(replicaIndex.get(replica)!);
  encoder.writeVarInt(clock - spanClock);
}

/** Decodes and validates a full state; throws `DecodeError` on anything malformed. */
export function decodeState(bytes: Uint8Array): DecodedState {
  const decoder = new Decoder(bytes);
  const version = decoder.readByte();
  if (version !== STATE_VERSION) throw new DecodeError(`unknown state version ${version}`, 0);
  const fields = readFieldTable(decoder);
  const replicaCount = decoder.readVarUintIn(0, decoder.remaining, 'replica count');
  const replicas: number[] = [];
  for (let i = 0; i < replicaCount; i++) {
    const replica = (i === 0 ? 0 : replicas[i - 1]! + 1) + decoder.readVarUintIn(i === 0 ? 0 : 1, 0xffff_ffff, 'replica id') - (i === 0 ? 0 : 1);
    if (replica > 0xffff_ffff) throw new DecodeError('replica id out of range', decoder.offset);
    replicas.push(replica);
  }
  const texts = new Map<string, Span[]>();
  const byReplica = new Map<number, { spans: Span[]; spanFields: FieldRef[]; ops: readonly Op[] }>();
  const timelineOf = (replica: number) => {
    let timeline = byReplica.get(replica);
    if (timeline === undefined) byReplica.set(replica, (timeline = { spans: [], spanFields: [], ops: [] }));
    return timeline;
  };
  let previousField = -1;
  const textFieldCount = fields.filter((f) => f.kind === 'text').length;
  for (let t = 0; t < textFieldCount; t++) {
    const offset = decoder.offset;
    const index = decoder.readVarUintIn(previousField + 1, fields.length - 1, 'text field');
    const field = fields[index]!;
    if (field.kind !== 'text') throw new DecodeError(`spans for ${field.kind} field`, offset);
    previousField = index;
    const spans = readSpans(decoder, replicas);
    texts.set(field.name, spans);
    let last: { spans: Span[]; spanFields: FieldRef[] } | undefined;
    let lastReplica = -1;
    for (const span of spans) {
      if (span.replica !== lastReplica) {
        last = timelineOf(span.replica);
        lastReplica = span.replica;
      }
      last!.spans.push(span);
      last!.spanFields.push(field);
    }
  }
  const rest = readReplicaOps(decoder, fields);
  const residualDeletes = readRanges(decoder);
  decoder.expectEnd();
  for (const { replica, ops } of rest) timelineOf(replica).ops = ops;
  const timeline = new Map<number, ReplicaTimeline>();
  const deletedSpans: IdRange[] = [];
  for (const replica of [...byReplica.keys()].sort((a, b) => a - b)) {
    const entry = byReplica.get(replica)!;
    sortByClock(entry.spans, entry.spanFields);
    let end = 0;
    walkTimeline(
      entry,
      (span) => {
        if (span.clock < end) throw new DecodeError(`replica ${replica} holds clock ${span.clock} twice`, -1);
        end = span.clock + span.length;
        if (span.content === null) deletedSpans.push({ replica, clock: span.clock, length: span.length });
      },
      (op) => {
        if (op.clock < end) throw new DecodeError(`replica ${replica} holds clock ${op.clock} twice`, -1);
        end = op.clock + opLength(op);
        return true;
      },
    );
    timeline.set(replica, entry);
  }
  return { fields, texts, timeline, rest, residualDeletes, deletes: unionRanges(residualDeletes, normalizeRanges(deletedSpans)) };
}

function readSpans(decoder: Decoder, replicas: readonly number[]): Span[] {
  const n = decoder.readVarUintIn(0, decoder.remaining, 'span count');
  const spans: Span[] = new Array(n);
  // Origins resolved after every span is read: right ones may point forward. Codes: kind, then a value.
  const rightKinds = new Uint8Array(n);
  // Explicit origins, by span index (rare: sparse maps rather than arrays of n).
  const rightValues = new Map<number, number | ItemId>();
  const leftAbsolute = new Map<number, ItemId>();
  let visible = 0;
  let previous: Span | null = null;
  for (let i = 0; i < n; i++) {
    const offset = decoder.offset;
    const header = decoder.readVarUint();
    let span: Span;
    if (header % 2 === 1) {
      if (previous === null) throw new DecodeError('first span continues nothing', offset);
      const length = (header - 1) / 2;
      if (length < 1) throw new DecodeError('empty span', offset);
      const end = previous.clock + previous.length - 1;
      if (!Number.isSafeInteger(end + 1 + length) || end + 1 + length > MAX_CLOCK) throw new DecodeError('span clock out of range', offset);
      span = new Span(previous.replica, end + 1, length, previous.replica, end, previous.rightReplica, previous.rightClock, previous.content === null ? '' : null);
      rightKinds[i] = 255;
    } else {
      let value = header / 2;
      let flags: number;
      let length: number;
      if (value < SHORT_CODES) {
        flags = COMMON_FLAGS[value % COMMON_FLAGS.length]!;
        length = Math.floor(value / COMMON_FLAGS.length) + 1;
      } else {
        value -= SHORT_CODES;
        flags = value % 128;
        length = Math.floor(value / 128);
      }
      if (length === 0) length = decoder.readVarUintIn(PACKED_LENGTH_LIMIT, MAX_CLOCK, 'span length');
      const replica = (flags & REPLICA_EXPLICIT) !== 0 ? replicas[decoder.readVarUintIn(0, replicas.length - 1, 'replica index')] : previous === null ? replicas[0] : previous.replica;
      if (replica === undefined) throw new DecodeError('span without a replica', offset);
      const leftKind = (flags >> LEFT_SHIFT) & 3;
      const rightKind = (flags >> RIGHT_SHIFT) & 3;
      // The clock needs origin left's replica and clock, so resolve origin left first (it only looks back).
      let leftReplica = NONE;
      let leftClock = 0;
      const clockDelta = (flags & CLOCK_EXPLICIT) !== 0 ? decoder.readVarUintIn(0, MAX_CLOCK - 1, 'clock delta') + 1 : 0;
      if (leftKind === LEFT_UNUSED) throw new DecodeError('unknown origin left kind', offset);
      if (leftKind === LEFT_PREVIOUS) {
        const origin = spans[i - 1];
        if (origin === undefined) throw new DecodeError('origin left before the document start', offset);
        leftReplica = origin.replica;
        leftClock = origin.clock + origin.length - 1;
      } else if (leftKind === LEFT_EXPLICIT) {
        const ref = readOriginRef(decoder, replicas, offset);
        if (typeof ref === 'number') {
          const origin = spans[i - ref];
          if (ref > i || origin === undefined) throw new DecodeError('origin left before the document start', offset);
          leftReplica = origin.replica;
          leftClock = origin.clock + origin.length - 1;
        } else {
          leftReplica = ref.replica;
          leftClock = ref.clock; // relative to the span clock, fixed below
          leftAbsolute.set(i, ref);
        }
      }
      const absoluteLeft = leftAbsolute.has(i);
      const base = !absoluteLeft && leftReplica === replica ? leftClock + 1 : 0;
      let clock: number;
      if (absoluteLeft) {
        // An absolute origin left is relative to the span's clock, which then cannot depend on it.
        clock = clockDelta;
        leftClock += clock;
      } else clock = base + clockDelta;
      if (clock < 0 || leftClock < 0 || !Number.isSafeInteger(clock + length) || clock + length > MAX_CLOCK) throw new DecodeError('span clock out of range', offset);
      if (leftReplica === replica && leftClock >= clock) throw new DecodeError('origin left is not before the span', offset);
      span = new Span(replica, clock, length, leftReplica, leftClock, NONE, 0, (flags & DELETED) !== 0 ? null : '');
      rightKinds[i] = rightKind;
      if (rightKind === RIGHT_EXPLICIT) {
        const ref = readOriginRef(decoder, replicas, offset);
        rightValues.set(i, typeof ref === 'number' ? ref : { replica: ref.replica, clock: ref.clock + clock });
      }
    }
    if (span.content !== null) visible += span.length;
    spans[i] = span;
    previous = span;
  }
  const text = decoder.readCodeUnits();
  if (text.length !== visible) throw new DecodeError(`text has ${text.length} units, spans ${visible}`, decoder.offset);
  resolveRightOrigins(spans, rightKinds, rightValues);
  validateAbsoluteOrigins(spans, leftAbsolute, rightValues);
  let at = 0;
  for (const span of spans) {
    if (span.content === null) continue;
    span.content = text.slice(at, at + span.length);
    at += span.length;
  }
  return spans;
}

function readOriginRef(decoder: Decoder, replicas: readonly number[], offset: number): number | ItemId {
  const code = decoder.readVarUint();
  if (code > 0) return code + 1;
  const replica = replicas[decoder.readVarUint()];
  if (replica === undefined) throw new DecodeError('origin replica out of range', offset);
  return { replica, clock: decoder.readVarInt() };
}

function resolveRightOrigins(spans: Span[], kinds: Uint8Array, values: ReadonlyMap<number, number | ItemId>): void {
  const n = spans.length;
  const predicted = predictions(spans, 1);
  for (let i = n - 1; i >= 0; i--) {
    const s = spans[i]!;
    let target = -1;
    switch (kinds[i]) {
      case 255: {
        s.rightReplica = spans[i - 1]!.rightReplica;
        s.rightClock = spans[i - 1]!.rightClock;
        continue;
      }
      case RIGHT_NONE:
        continue;
      case RIGHT_NEXT:
        target = i + 1;
        break;
      case RIGHT_PREDICTED:
        target = predicted[i]!;
        break;
      case RIGHT_EXPLICIT: {
        const value = values.get(i)!;
        if (typeof value !== 'number') {
          s.rightReplica = value.replica;
          s.rightClock = value.clock;
          continue;
        }
        target = i + value;
      }
    }
    const origin = spans[target];
    if (target < 0 || origin === undefined) throw new DecodeError('origin right past the document end', -1);
    s.rightReplica = origin.replica;
    s.rightClock = origin.clock;
  }
  // Continuation spans copy the origin right of the span before: resolve them front to back.
  for (let i = 0; i < n; i++) {
    if (kinds[i] === 255) {
      spans[i]!.rightReplica = spans[i - 1]!.rightReplica;
      spans[i]!.rightClock = spans[i - 1]!.rightClock;
    }
    const s = spans[i]!;
    if (s.rightReplica === s.replica && s.rightClock >= s.clock) throw new DecodeError('origin right is not before the span', -1);
    if (s.rightReplica !== NONE && s.rightReplica === s.leftReplica && s.rightClock === s.leftClock) throw new DecodeError('span has the same left and right origin', -1);
  }
}

/** Origins given as ids must name a character left (resp. right) of their span. */
function validateAbsoluteOrigins(spans: readonly Span[], left: ReadonlyMap<number, ItemId>, right: ReadonlyMap<number, number | ItemId>): void {
  if (left.size === 0 && right.size === 0) return;
  let index: Map<number, Span[]> | null = null;
  const position = (id: ItemId): number => {
    if (index === null) {
      index = new Map();
      spans.forEach((s) => {
        let list = index!.get(s.replica);
        if (list === undefined) index!.set(s.replica, (list = []));
        list.push(s);
      });
      for (const list of index.values()) list.sort((a, b) => a.clock - b.clock);
    }
    const list = index.get(id.replica) ?? [];
    let lo = 0;
    let hi = list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = list[mid]!;
      if (id.clock < s.clock) hi = mid - 1;
      else if (id.clock >= s.clock + s.length) lo = mid + 1;
      else return spans.indexOf(s);
    }
    return -1;
  };
  for (let i = 0; i < spans.length; i++) {
    if (left.has(i)) {
      const at = position({ replica: spans[i]!.leftReplica, clock: spans[i]!.leftClock });
      if (at < 0 || at >= i) throw new DecodeError('origin left is not a character before its span', -1);
    }
    const r = right.get(i);
    if (r !== undefined && typeof r !== 'number') {
      const at = position(r);
      if (at <= i) throw new DecodeError('origin right is not a character after its span', -1);
    }
  }
}

/** A full state as a plain update (text spans become insert runs), for `apply` into a document that already holds something. */
export function decodeStateAsUpdate(bytes: Uint8Array): Update {
  return stateAsUpdate(decodeState(bytes));
}

/** A decoded full state as a plain update. */
export function stateAsUpdate(state: DecodedState): Update {
  const replicas: ReplicaOps[] = [];
  for (const [replica, timeline] of state.timeline) {
    const ops: Op[] = [];
    walkTimeline(
      timeline,
      (s, field) =>
        ops.push({
          kind: 'insert',
          clock: s.clock,
          field,
          run: {
            replica,
            clock: s.clock,
            length: s.length,
            originLeft: s.leftReplica === NONE ? null : { replica: s.leftReplica, clock: s.leftClock },
            originRight: s.rightReplica === NONE ? null : { replica: s.rightReplica, clock: s.rightClock },
            content: s.content,
          },
        }),
      (op) => ops.push(op) > 0,
    );
    replicas.push({ replica: replica as ReplicaOps['replica'], ops });
  }
  return { fields: state.fields, replicas, deletes: state.deletes };
}
