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
import { ColumnReader, writeColumn } from './state-columns';
import type { IdRange } from './rga/types';
import { MAX_CLOCK, opLength, readFieldTable, readRanges, readReplicaOps, writeFieldTable, writeRanges, writeReplicaOps, type FieldRef, type Op, type ReplicaOps, type Update } from './update-codec';

export const STATE_VERSION = 3;

// Span flags (the `kinds` column value of a span that does not continue the previous one).
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
/** The `kinds` column value of a continuation span. */
const CONTINUATION = 128;
/** `rightKinds` entry of a continuation (it copies the origin right of the span before). */
const RIGHT_COPIED = 255;

/** Column `direct` limits (see state-columns.ts): span kinds are symbols; other values above 15 are bit lengths + raw bits. */
const KIND_DIRECT = 256;
const SMALL_DIRECT = 16;

/** The span columns of one text field, in the order they are written. */
const COLUMN_NAMES = ['span kind', 'span length', 'continuation length', 'span replica', 'span clock', 'origin left', 'origin right'] as const;

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
  /** The whole delete set (residual and deleted spans), per replica (sorted by id) as canonical bounds `[start0, end0, start1, end1, ...]`. */
  readonly deleteBounds: ReadonlyMap<number, number[]>;
  /** Deletes not implied by deleted spans. */
  readonly residualDeletes: readonly IdRange[];
}

/** One replica's part of a state. Invariant: spans and ops sorted by clock, none overlapping another. */
export interface ReplicaTimeline {
  /** Its text spans (of every text field), sorted by clock; `fieldOfSpan` gives the field of each. */
  readonly spans: Span[];
  /** The field of each span (`spanFields[i]` of `spans[i]`), or null when every span is of `spanField`. */
  readonly spanFields: FieldRef[] | null;
  /** The field of every span when `spanFields` is null (null when there are no spans). */
  readonly spanField: FieldRef | null;
  /** Its other ops and its pending ops, sorted by clock. */
  readonly ops: readonly Op[];
  /**
   * True when its spans can be placed in bulk: spans and ops cover its clocks from 0 without a
   * gap, and no span comes after an op that must wait (a text insert, pending by construction).
   */
  readonly spansReady: boolean;
  /** The ranges of its deleted spans as canonical bounds `[start0, end0, ...]`. */
  readonly deletedBounds: number[];
}

/** The field of `timeline.spans[i]`. */
export function fieldOfSpan(timeline: ReplicaTimeline, i: number): FieldRef {
  return timeline.spanFields === null ? timeline.spanField! : timeline.spanFields[i]!;
}

/** Visits a timeline's spans and ops in clock order; stops when `visitOp` returns false. */
export function walkTimeline(timeline: ReplicaTimeline, visitSpan: (span: Span, field: FieldRef) => void, visitOp: (op: Op, index: number) => boolean): void {
  const { spans, ops } = timeline;
  let j = 0;
  for (let i = 0; i < spans.length; i++) {
    const span = spans[i]!;
    while (j < ops.length && ops[j]!.clock < span.clock) {
      if (!visitOp(ops[j]!, j)) return;
      j++;
    }
    visitSpan(span, fieldOfSpan(timeline, i));
  }
  for (; j < ops.length; j++) if (!visitOp(ops[j]!, j)) return;
}

/** (replica, clock) -> span index, one numeric map per replica (string keys cost more than the encoding). */
type IdToIndex = Map<number, Map<number, number>>;

/** Each span's index by its first character's id, or by its last one's when `atEnd`. */
function indexSpans(spans: readonly DocumentSpan[], atEnd: boolean): IdToIndex {
  const byReplica: IdToIndex = new Map();
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i]!;
    let map = byReplica.get(s.replica);
    if (map === undefined) byReplica.set(s.replica, (map = new Map()));
    map.set(atEnd ? s.clock + s.length - 1 : s.clock, i);
  }
  return byReplica;
}

function lookupIndex(map: IdToIndex, replica: number, clock: number): number {
  return map.get(replica)?.get(clock) ?? -1;
}

/**
 * The backward pass's stack step shared by the writer (`predictions`) and the loader
 * (`resolveRightOrigins`): pops the later spans of span i's replica with a clock at or above its
 * own, so the top is span i's predicted origin right. Returns the new stack height.
 */
function popToPrediction(stack: Int32Array, top: number, replicas: ArrayLike<number>, clocks: ArrayLike<number>, i: number): number {
  const replica = replicas[i]!;
  const clock = clocks[i]!;
  while (top > 0) {
    const j = stack[top - 1]!;
    if (replicas[j] !== replica || clocks[j]! < clock) break;
    top--;
  }
  return top;
}

/**
 * Index of the nearest span after each span that is of another replica or has a smaller clock
 * (the predicted origin right); -1 when none. `replicas[i]`/`clocks[i]` are span i's id.
 */
function predictions(replicas: ArrayLike<number>, clocks: ArrayLike<number>, n: number): Int32Array {
  const out = new Int32Array(n);
  const stack = new Int32Array(n);
  let top = 0;
  for (let i = n - 1; i >= 0; i--) {
    top = popToPrediction(stack, top, replicas, clocks, i);
    out[i] = top > 0 ? stack[top - 1]! : -1;
    stack[top++] = i;
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
  for (const spans of input.texts.values()) addReplicas(spans, replicaSet);
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
    encoder.writeCodeUnits(visibleText(spans, deletedSpans));
    writeSpans(encoder, spans, replicaIndex);
  }
  writeReplicaOps(encoder, input.rest, fieldIndex);
  deletedSpans.sort((a, b) => a.replica - b.replica || a.clock - b.clock);
  writeRanges(encoder, subtractRanges(input.deletes, normalizeRanges(deletedSpans)));
  return encoder.toBytes();
}

/** Adds the replica of every span to `replicas`. */
function addReplicas(spans: readonly DocumentSpan[], replicas: Set<number>): void {
  for (let i = 0; i < spans.length; i++) replicas.add(spans[i]!.replica);
}

/** The contents of the visible spans, joined; pushes the id range of each deleted span to `deleted`. */
function visibleText(spans: readonly DocumentSpan[], deleted: IdRange[]): string {
  const parts: string[] = [];
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i]!;
    if (s.content !== null) parts.push(s.content);
    else deleted.push({ replica: s.replica, clock: s.clock, length: s.length });
  }
  return parts.join('');
}

/** True when span `j` exists and starts with character (replica, clock). */
function startsAt(spans: readonly DocumentSpan[], j: number, replica: number, clock: number): boolean {
  const span = spans[j];
  return span !== undefined && span.replica === replica && span.clock === clock;
}

/**
 * The span columns of one text field (names and order: `COLUMN_NAMES`): their values are
 * gathered by `fillSpanColumns`, a plain function of arrays and spans (its optimized code then
 * outlives each encoding's objects, see `readSpans`), then each is written as one block.
 */
function writeSpans(encoder: Encoder, spans: readonly DocumentSpan[], replicaIndex: Map<number, number>): void {
  const kinds: number[] = [];
  const lengths: number[] = [];
  const continuations: number[] = [];
  const replicas: number[] = [];
  const clocks: number[] = [];
  const lefts: number[] = [];
  const rights: number[] = [];
  fillSpanColumns(spans, replicaIndex, kinds, lengths, continuations, replicas, clocks, lefts, rights);
  writeColumn(encoder, KIND_DIRECT, kinds);
  writeColumn(encoder, SMALL_DIRECT, lengths);
  writeColumn(encoder, SMALL_DIRECT, continuations);
  writeColumn(encoder, SMALL_DIRECT, replicas);
  writeColumn(encoder, SMALL_DIRECT, clocks);
  writeColumn(encoder, SMALL_DIRECT, lefts);
  writeColumn(encoder, SMALL_DIRECT, rights);
}

/** Pushes the column values of `spans` (one text field, in document order) to the seven columns. */
function fillSpanColumns(
  spans: readonly DocumentSpan[],
  replicaIndex: Map<number, number>,
  kinds: number[],
  lengths: number[],
  continuations: number[],
  replicas: number[],
  clocks: number[],
  lefts: number[],
  rights: number[],
): void {
  const n = spans.length;
  // id -> index maps, built on the first origin that is neither implied nor a few spans away.
  let starts: IdToIndex | null = null;
  let ends: IdToIndex | null = null;
  // Origins are looked for by scanning, within a budget of a few steps per span, then through maps.
  let budget = 8 * n;
  const endingAt = (replica: number, clock: number, before: number): number => {
    for (let j = before - 1; j >= 0 && budget > 0; j--, budget--) if (spans[j]!.replica === replica && spans[j]!.clock + spans[j]!.length - 1 === clock) return j;
    ends ??= indexSpans(spans, true);
    return lookupIndex(ends, replica, clock);
  };
  const startingAt = (replica: number, clock: number, after: number): number => {
    for (let j = after + 1; j < n && budget > 0; j++, budget--) if (spans[j]!.replica === replica && spans[j]!.clock === clock) return j;
    starts ??= indexSpans(spans, false);
    return lookupIndex(starts, replica, clock);
  };
  const predictedRight = predictions(
    spans.map((s) => s.replica),
    spans.map((s) => s.clock),
    n,
  );
  let previous: DocumentSpan | null = null;
  let previousReplica = 0;
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
      kinds.push(CONTINUATION);
      continuations.push(s.length - 1);
      previous = s;
      continue;
    }
    let flags = s.content === null ? DELETED : 0;
    // Origin left: the end of the previous span, none, or explicit (a distance or an id).
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
    else if (startsAt(spans, i + 1, s.rightReplica, s.rightClock)) {
      rightIndex = i + 1;
      rightKind = RIGHT_NEXT;
    } else if (startsAt(spans, predictedRight[i]!, s.rightReplica, s.rightClock)) {
      rightIndex = predictedRight[i]!;
      rightKind = RIGHT_PREDICTED;
    } else rightIndex = startingAt(s.rightReplica, s.rightClock, i);
    // The clock is relative to origin left when both are of one replica (origins precede: s.clock > base).
    const base = s.leftReplica === s.replica ? s.leftClock + 1 : 0;
    const replica = replicaIndex.get(s.replica)!;
    const replicaImplied = replica === previousReplica;
    flags |= (leftKind << LEFT_SHIFT) | (rightKind << RIGHT_SHIFT) | (s.clock !== base ? CLOCK_EXPLICIT : 0) | (replicaImplied ? 0 : REPLICA_EXPLICIT);
    kinds.push(flags);
    lengths.push(s.length - 1);
    if (!replicaImplied) replicas.push(replica);
    if (s.clock !== base) clocks.push(s.clock - base - 1);
    if (leftKind === LEFT_EXPLICIT) pushOriginRef(lefts, leftIndex >= 0 ? i - leftIndex : -1, s.leftReplica, s.leftClock, replicaIndex);
    if (rightKind === RIGHT_EXPLICIT) pushOriginRef(rights, rightIndex >= 0 ? rightIndex - i : -1, s.rightReplica, s.rightClock, replicaIndex);
    previous = s;
    previousReplica = replica;
  }
}

/** An explicit origin: a span distance `k >= 2` (distance 1 has its own flag) as `k - 1`, or 0 then a replica index and the clock (an origin inside a span). */
function pushOriginRef(column: number[], distance: number, replica: number, clock: number, replicaIndex: Map<number, number>): void {
  if (distance > 1) {
    column.push(distance - 1);
    return;
  }
  column.push(0, replicaIndex.get(replica)!, clock);
}

/** Decodes and validates a full state; throws `DecodeError` on anything malformed. */
export function decodeState(bytes: Uint8Array): DecodedState {
  const decoder = new Decoder(bytes);
  const version = decoder.readByte();
  if (version !== STATE_VERSION) throw new DecodeError(`unknown state version ${version}`, 0);
  const fields = readFieldTable(decoder);
  const replicaCount = decoder.readVarUintIn(0, decoder.remaining, 'replica count');
  const replicas: number[] = new Array(replicaCount);
  for (let i = 0; i < replicaCount; i++) {
    const replica = i === 0 ? decoder.readVarUintIn(0, 0xffff_ffff, 'replica id') : replicas[i - 1]! + decoder.readVarUintIn(1, 0xffff_ffff, 'replica id');
    if (replica > 0xffff_ffff) throw new DecodeError('replica id out of range', decoder.offset);
    replicas[i] = replica;
  }
  const texts = new Map<string, Span[]>();
  const decodedTexts: { field: FieldRef; spans: Span[]; replicaIndexes: Int32Array }[] = [];
  let previousField = -1;
  let textFieldCount = 0;
  for (const field of fields) if (field.kind === 'text') textFieldCount++;
  for (let t = 0; t < textFieldCount; t++) {
    const offset = decoder.offset;
    const index = decoder.readVarUintIn(previousField + 1, fields.length - 1, 'text field');
    const field = fields[index]!;
    if (field.kind !== 'text') throw new DecodeError(`spans for ${field.kind} field`, offset);
    previousField = index;
    const decoded = readSpans(decoder, replicas);
    texts.set(field.name, decoded.spans);
    decodedTexts.push({ field, ...decoded });
  }
  const rest = readReplicaOps(decoder, fields);
  const residualDeletes = readRanges(decoder);
  decoder.expectEnd();
  const timeline = groupByReplica(decodedTexts, replicas, rest);
  return { fields, texts, timeline, rest, residualDeletes, deleteBounds: deleteBoundsOf(timeline, residualDeletes) };
}

/**
 * Every replica's spans (of all text fields) sorted by clock, with its ops; throws when two of
 * them hold one clock.
 */
function groupByReplica(texts: readonly { field: FieldRef; spans: Span[]; replicaIndexes: Int32Array }[], replicas: readonly number[], rest: readonly ReplicaOps[]): Map<number, ReplicaTimeline> {
  // All spans grouped by replica index (stable: document order, then field order, within a replica).
  let all: Span[];
  let allFields: FieldRef[] | null = null;
  const starts = new Int32Array(replicas.length + 1);
  if (texts.length === 1 && replicas.length === 1) {
    all = texts[0]!.spans;
    starts[1] = all.length;
  } else if (texts.length === 1) {
    const { spans, replicaIndexes } = texts[0]!;
    for (let i = 0; i < replicaIndexes.length; i++) starts[replicaIndexes[i]! + 1]!++;
    for (let r = 1; r <= replicas.length; r++) starts[r]! += starts[r - 1]!;
    all = groupSpans(spans, replicaIndexes, starts);
  } else {
    let total = 0;
    for (const text of texts) {
      for (let i = 0; i < text.replicaIndexes.length; i++) starts[text.replicaIndexes[i]! + 1]!++;
      total += text.spans.length;
    }
    for (let r = 1; r <= replicas.length; r++) starts[r]! += starts[r - 1]!;
    const next = starts.slice();
    all = new Array(total);
    allFields = new Array(total);
    for (const { spans, replicaIndexes, field } of texts) placeByReplica(spans, replicaIndexes, field, next, all, allFields);
  }
  const opsOf = new Map<number, readonly Op[]>();
  for (const { replica, ops } of rest) opsOf.set(replica, ops);
  const timeline = new Map<number, ReplicaTimeline>();
  let r = 0;
  // Replicas in ascending id order: the span replicas (already sorted) merged with those of `rest` (sorted).
  for (let k = 0; r < replicas.length || k < rest.length; ) {
    const spanReplica = r < replicas.length ? replicas[r]! : Number.POSITIVE_INFINITY;
    const opReplica = k < rest.length ? rest[k]!.replica : Number.POSITIVE_INFINITY;
    const replica = Math.min(spanReplica, opReplica);
    const ops = opsOf.get(replica) ?? [];
    if (spanReplica === replica && starts[r + 1]! === starts[r]! && opReplica !== replica) r++; // a replica named in the table without spans
    else if (spanReplica === replica) {
      timeline.set(replica, placeReplica(replica, all, allFields, allFields === null ? texts[0]!.field : null, starts[r]!, starts[r + 1]! - starts[r]!, ops));
      r++;
    } else timeline.set(replica, { spans: [], spanFields: null, spanField: null, ops, spansReady: checkDisjoint(replica, [], ops, []), deletedBounds: [] });
    if (opReplica === replica) k++;
  }
  return timeline;
}

/** `spans` grouped by replica index (stable), given `starts[r]`, the first position of replica index r. */
function groupSpans(spans: readonly Span[], replicaIndexes: Int32Array, starts: Int32Array): Span[] {
  const next = starts.slice();
  const out: Span[] = new Array(spans.length);
  for (let i = 0; i < spans.length; i++) out[next[replicaIndexes[i]!]!++] = spans[i]!;
  return out;
}

/** Puts each of one field's spans at `all[next[its replica index]++]`, with `field` beside it in `allFields`. */
function placeByReplica(spans: readonly Span[], replicaIndexes: Int32Array, field: FieldRef, next: Int32Array, all: Span[], allFields: FieldRef[]): void {
  for (let i = 0; i < spans.length; i++) {
    const at = next[replicaIndexes[i]!]!++;
    all[at] = spans[i]!;
    allFields[at] = field;
  }
}

/**
 * One replica's timeline from its spans `all[from .. from + count)` (of the fields
 * `fields[from ..]`, or all of `field`) and its ops: the spans in clock order, checked for clocks
 * held twice, with the bounds of its deleted spans.
 */
function placeReplica(replica: number, all: readonly Span[], fields: readonly FieldRef[] | null, field: FieldRef | null, from: number, count: number, ops: readonly Op[]): ReplicaTimeline {
  const order = clockOrder(all, from, count);
  const spans = pick(all, from, order);
  const spanFields = fields === null ? null : pick(fields, from, order);
  const deleted: number[] = [];
  const spansReady = checkDisjoint(replica, spans, ops, deleted);
  // A copy of exact size: the delete set keeps it.
  return { spans, spanFields, spanField: field, ops, spansReady, deletedBounds: deleted.slice() };
}

/** `items[from + order[i]]` for each i. */
function pick<T>(items: readonly T[], from: number, order: ArrayLike<number>): T[] {
  const out: T[] = new Array(order.length);
  for (let i = 0; i < order.length; i++) out[i] = items[from + order[i]!]!;
  return out;
}

/** Most bits per pass of the radix sort in `clockOrder`. */
const RADIX_BITS = 11;

/**
 * The order of `spans[from .. from + count)` by clock (stable), as offsets from `from`: an LSD
 * radix sort of the clocks (a few linear passes of at most `RADIX_BITS` bits each) when they fit
 * 31 bits (always, in practice), else a comparison sort.
 */
function clockOrder(spans: readonly Span[], from: number, count: number): Int32Array {
  const clocks = new Int32Array(count);
  let sorted = true;
  let max = 0;
  let last = -1;
  for (let i = 0; i < count; i++) {
    const clock = spans[from + i]!.clock;
    if (clock < last) sorted = false;
    if (clock > max) max = clock;
    last = clock;
    clocks[i] = clock;
  }
  let order = new Int32Array(count);
  if (sorted || max > 0x7fff_ffff) {
    for (let i = 0; i < count; i++) order[i] = i;
    if (sorted) return order;
    return Int32Array.from(Array.from(order).sort((a, b) => spans[from + a]!.clock - spans[from + b]!.clock || a - b));
  }
  // Equal digits, as few passes as the largest clock needs; one stable counting pass per digit, lowest first.
  const width = 32 - Math.clz32(max);
  const passes = Math.ceil(width / RADIX_BITS);
  const digitBits = Math.ceil(width / passes);
  const mask = (1 << digitBits) - 1;
  const counts = new Int32Array(1 << digitBits);
  let next = new Int32Array(count);
  for (let pass = 0; pass < passes; pass++) {
    const shift = pass * digitBits;
    counts.fill(0);
    // The first pass reads the clocks in place (its order is the identity).
    if (pass === 0) for (let i = 0; i < count; i++) counts[(clocks[i]! >>> shift) & mask]!++;
    else for (let i = 0; i < count; i++) counts[(clocks[order[i]!]! >>> shift) & mask]!++;
    let position = 0;
    for (let digit = 0; digit < counts.length; digit++) {
      const size = counts[digit]!;
      counts[digit] = position;
      position += size;
    }
    if (pass === 0) for (let i = 0; i < count; i++) next[counts[(clocks[i]! >>> shift) & mask]!++] = i;
    else {
      for (let i = 0; i < count; i++) {
        const at = order[i]!;
        next[counts[(clocks[at]! >>> shift) & mask]!++] = at;
      }
    }
    const swap = order;
    order = next;
    next = swap;
  }
  return order;
}

/**
 * Throws unless a replica's spans and ops hold each clock at most once; returns whether its spans
 * are ready for bulk placement (see `ReplicaTimeline.spansReady`). Pushes the bounds of its
 * deleted spans (adjacent ones joined) to `deletedBounds`: one pass over the spans in clock order,
 * which is not their order in memory (each visit is a cache miss on a large document).
 */
function checkDisjoint(replica: number, spans: readonly Span[], ops: readonly Op[], deletedBounds: number[]): boolean {
  let end = 0;
  let ready = true;
  // An op past a gap, or a text insert (pending), blocks every span after it.
  let blocked = false;
  let j = 0;
  for (let i = 0; i <= spans.length; i++) {
    const span = i < spans.length ? spans[i]! : null;
    const clock = span !== null ? span.clock : Number.POSITIVE_INFINITY;
    for (; j < ops.length && ops[j]!.clock < clock; j++) {
      const op = ops[j]!;
      if (op.clock < end) throw new DecodeError(`replica ${replica} holds clock ${op.clock} twice`, -1);
      if (op.clock !== end || op.kind === 'insert') blocked = true;
      end = op.clock + opLength(op);
    }
    if (span === null) break;
    if (clock < end) throw new DecodeError(`replica ${replica} holds clock ${clock} twice`, -1);
    if (clock !== end || blocked) ready = false;
    end = clock + span.length;
    if (span.content !== null) continue;
    const last = deletedBounds.length - 1;
    if (last > 0 && deletedBounds[last] === clock) deletedBounds[last] = end;
    else deletedBounds.push(clock, end);
  }
  return ready;
}

/** The whole delete set as per-replica bounds: each replica's deleted spans (in clock order, adjacent ones joined) united with its residual deletes. */
function deleteBoundsOf(timeline: ReadonlyMap<number, ReplicaTimeline>, residual: readonly IdRange[]): Map<number, number[]> {
  const out = new Map<number, number[]>();
  let k = 0;
  const replicas = [...timeline.keys()];
  for (const range of residual) if (!timeline.has(range.replica)) replicas.push(range.replica);
  replicas.sort((a, b) => a - b);
  for (const replica of replicas) {
    let bounds = timeline.get(replica)?.deletedBounds ?? [];
    while (k < residual.length && residual[k]!.replica < replica) k++;
    if (k < residual.length && residual[k]!.replica === replica) {
      const ranges: IdRange[] = [];
      for (let i = 0; i < bounds.length; i += 2) ranges.push({ replica, clock: bounds[i]!, length: bounds[i + 1]! - bounds[i]! });
      const theirs: IdRange[] = [];
      for (; k < residual.length && residual[k]!.replica === replica; k++) theirs.push(residual[k]!);
      bounds = [];
      for (const range of unionRanges(ranges, theirs)) bounds.push(range.clock, range.clock + range.length);
    }
    if (bounds.length > 0) out.set(replica, bounds);
  }
  return out;
}

/**
 * The spans of one text field in document order, and the replica index of each. The per-span
 * loops are plain functions of arrays, typed arrays, strings and spans (`decodeSpanColumns`,
 * `resolveRightOrigins`): their optimized code then depends on no map that dies with the decoder
 * or the column readers, so the GCs between two loads do not throw it away ('weak objects') and
 * every load after the first runs optimized.
 */
function readSpans(decoder: Decoder, replicaIds: readonly number[]): { spans: Span[]; replicaIndexes: Int32Array } {
  const offset = decoder.offset;
  const n = decoder.readVarUintIn(0, decoder.remaining * 8, 'span count');
  const text = decoder.readCodeUnits();
  const kinds = new ColumnReader(decoder, KIND_DIRECT, COLUMN_NAMES[0]).readAll();
  const lengths = new ColumnReader(decoder, SMALL_DIRECT, COLUMN_NAMES[1]).readAll();
  const continuations = new ColumnReader(decoder, SMALL_DIRECT, COLUMN_NAMES[2]).readAll();
  const replicaColumn = new ColumnReader(decoder, SMALL_DIRECT, COLUMN_NAMES[3]).readAll();
  const clocks = new ColumnReader(decoder, SMALL_DIRECT, COLUMN_NAMES[4]).readAll();
  const lefts = new ColumnReader(decoder, SMALL_DIRECT, COLUMN_NAMES[5]).readAll();
  const rights = new ColumnReader(decoder, SMALL_DIRECT, COLUMN_NAMES[6]).readAll();
  if (kinds.length !== n) throw new DecodeError(`${kinds.length} span kinds for ${n} spans`, offset);
  const spans: Span[] = new Array(n);
  const replicaIndexes = new Int32Array(n);
  const clockOf = new Float64Array(n);
  // Origins right are resolved once every span is read (they point forward): the kind per span,
  // and the target (a span index, or -1 - k for the k-th explicit id in `rightIds`).
  const rightKinds = new Uint8Array(n);
  const rightTargets = new Int32Array(n);
  const rightIds: number[] = [];
  const absoluteLefts: number[] = [];
  decodeSpanColumns(n, text, kinds, lengths, continuations, replicaColumn, clocks, lefts, rights, replicaIds, spans, replicaIndexes, clockOf, rightKinds, rightTargets, rightIds, absoluteLefts, offset);
  resolveRightOrigins(spans, rightKinds, rightTargets, rightIds, replicaIndexes, clockOf);
  if (absoluteLefts.length > 0 || rightIds.length > 0) validateAbsoluteOrigins(spans, absoluteLefts, rightKinds, rightTargets);
  return { spans, replicaIndexes };
}

/**
 * Builds the `n` spans of one text field from its columns (`readSpans`), their contents being
 * `text` cut in order: fills `spans`, each span's replica index and clock, and the kind and
 * target of its origin right (resolved later); pushes explicit origin right ids to `rightIds`
 * (replica, clock) and the indexes of spans with an explicit origin left id to `absoluteLefts`.
 * Contents are `text.slice`s: V8 copies short ones and makes longer ones views of `text` (no
 * copy; `text` stays alive as long as one of them does, costing about what copies would).
 */
function decodeSpanColumns(
  n: number,
  text: string,
  kinds: ArrayLike<number>,
  lengths: ArrayLike<number>,
  continuations: ArrayLike<number>,
  replicaColumn: ArrayLike<number>,
  clocks: ArrayLike<number>,
  lefts: ArrayLike<number>,
  rights: ArrayLike<number>,
  replicaIds: readonly number[],
  spans: Span[],
  replicaIndexes: Int32Array,
  clockOf: Float64Array,
  rightKinds: Uint8Array,
  rightTargets: Int32Array,
  rightIds: number[],
  absoluteLefts: number[],
  offset: number,
): void {
  // Cursors into the columns.
  let li = 0;
  let ci = 0;
  let ri = 0;
  let ki = 0;
  let lo = 0;
  let ro = 0;
  let at = 0;
  let previous: Span | null = null;
  let replicaIndex = 0;
  for (let i = 0; i < n; i++) {
    const kind = kinds[i]!;
    let span: Span;
    if (kind === CONTINUATION) {
      if (previous === null) throw new DecodeError('first span continues nothing', offset);
      if (ci >= continuations.length) throw new DecodeError('continuation lengths missing', offset);
      const length = continuations[ci++]! + 1;
      const clock = previous.clock + previous.length;
      if (clock + length > MAX_CLOCK) throw new DecodeError('span clock out of range', offset);
      let spanContent: string | null = null;
      if (previous.content === null) {
        if (at + length > text.length) throw new DecodeError('spans hold more visible characters than the text', offset);
        spanContent = text.slice(at, at + length);
        at += length;
      }
      span = new Span(previous.replica, clock, length, previous.replica, clock - 1, NONE, 0, spanContent);
      rightKinds[i] = RIGHT_COPIED;
    } else {
      if (kind >= CONTINUATION) throw new DecodeError(`unknown span kind ${kind}`, offset);
      if (li >= lengths.length) throw new DecodeError('span lengths missing', offset);
      const length = lengths[li++]! + 1;
      if ((kind & REPLICA_EXPLICIT) !== 0) {
        if (ri >= replicaColumn.length) throw new DecodeError('span replicas missing', offset);
        replicaIndex = replicaColumn[ri++]!;
        if (replicaIndex >= replicaIds.length) throw new DecodeError('span replica out of range', offset);
      } else if (replicaIds.length === 0) throw new DecodeError('span without a replica', offset);
      const replica = replicaIds[replicaIndex]!;
      const leftKind = (kind >> LEFT_SHIFT) & 3;
      let leftReplica = NONE;
      let leftClock = 0;
      if (leftKind === LEFT_UNUSED) throw new DecodeError('unknown origin left kind', offset);
      if (leftKind === LEFT_PREVIOUS) {
        if (previous === null) throw new DecodeError('origin left before the document start', offset);
        leftReplica = previous.replica;
        leftClock = previous.clock + previous.length - 1;
      } else if (leftKind === LEFT_EXPLICIT) {
        if (lo >= lefts.length) throw new DecodeError('origins left missing', offset);
        const distance = lefts[lo++]! + 1;
        if (distance > 1) {
          if (distance > i) throw new DecodeError('origin left before the document start', offset);
          const origin = spans[i - distance]!;
          leftReplica = origin.replica;
          leftClock = origin.clock + origin.length - 1;
        } else {
          if (lo + 2 > lefts.length) throw new DecodeError('origins left missing', offset);
          const index = lefts[lo++]!;
          if (index >= replicaIds.length) throw new DecodeError('origin replica out of range', offset);
          leftReplica = replicaIds[index]!;
          leftClock = lefts[lo++]!;
          absoluteLefts.push(i);
        }
      }
      let clock = leftReplica === replica ? leftClock + 1 : 0;
      if ((kind & CLOCK_EXPLICIT) !== 0) {
        if (ki >= clocks.length) throw new DecodeError('span clocks missing', offset);
        clock += clocks[ki++]! + 1;
      }
      if (clock + length > MAX_CLOCK) throw new DecodeError('span clock out of range', offset);
      let spanContent: string | null = null;
      if ((kind & DELETED) === 0) {
        if (at + length > text.length) throw new DecodeError('spans hold more visible characters than the text', offset);
        spanContent = text.slice(at, at + length);
        at += length;
      }
      span = new Span(replica, clock, length, leftReplica, leftClock, NONE, 0, spanContent);
      const rightKind = (kind >> RIGHT_SHIFT) & 3;
      rightKinds[i] = rightKind;
      if (rightKind === RIGHT_EXPLICIT) {
        if (ro >= rights.length) throw new DecodeError('origins right missing', offset);
        const distance = rights[ro++]! + 1;
        if (distance > 1) {
          if (distance >= n - i) throw new DecodeError('origin right past the document end', offset);
          rightTargets[i] = i + distance;
        } else {
          if (ro + 2 > rights.length) throw new DecodeError('origins right missing', offset);
          const index = rights[ro++]!;
          if (index >= replicaIds.length) throw new DecodeError('origin replica out of range', offset);
          rightTargets[i] = -1 - (rightIds.length >> 1);
          rightIds.push(replicaIds[index]!, rights[ro++]!);
        }
      }
    }
    spans[i] = span;
    replicaIndexes[i] = replicaIndex;
    clockOf[i] = span.clock;
    previous = span;
  }
  if (li !== lengths.length || ci !== continuations.length || ri !== replicaColumn.length || ki !== clocks.length || lo !== lefts.length || ro !== rights.length) {
    throw new DecodeError('span columns hold more values than the spans use', offset);
  }
  if (at !== text.length) throw new DecodeError(`text has ${text.length} units, spans ${at}`, offset);
}

/**
 * Sets every span's origin right and checks both origins against the span, in one backward pass:
 * the predicted origin right of span i (the nearest later span of another replica or with a
 * smaller clock) is the top of a stack of later spans; a continuation takes the origin right of
 * the span it continues, set when the pass reaches that span.
 */
function resolveRightOrigins(spans: Span[], kinds: Uint8Array, targets: Int32Array, ids: readonly number[], replicas: Int32Array, clocks: Float64Array): void {
  const n = spans.length;
  const stack = new Int32Array(n);
  let top = 0;
  for (let i = n - 1; i >= 0; i--) {
    top = popToPrediction(stack, top, replicas, clocks, i);
    const kind = kinds[i]!;
    if (kind !== RIGHT_COPIED) {
      const s = spans[i]!;
      let rightReplica = NONE;
      let rightClock = 0;
      if (kind !== RIGHT_NONE) {
        let target = i + 1;
        if (kind === RIGHT_PREDICTED) target = top > 0 ? stack[top - 1]! : -1;
        else if (kind === RIGHT_EXPLICIT) target = targets[i]!;
        if (target >= 0) {
          if (target >= n) throw new DecodeError('origin right past the document end', -1);
          const origin = spans[target]!;
          rightReplica = origin.replica;
          rightClock = origin.clock;
        } else if (kind === RIGHT_EXPLICIT) {
          rightReplica = ids[2 * (-1 - target)]!;
          rightClock = ids[2 * (-1 - target) + 1]!;
        } else throw new DecodeError('origin right past the document end', -1);
        s.setOriginRight(rightReplica, rightClock);
      }
      checkOrigins(s, rightReplica, rightClock);
      // The continuations after this span (already passed) share its origin right.
      for (let j = i + 1; j < n && kinds[j] === RIGHT_COPIED; j++) {
        const c = spans[j]!;
        if (rightReplica !== NONE) c.setOriginRight(rightReplica, rightClock);
        checkOrigins(c, rightReplica, rightClock);
      }
    }
    stack[top++] = i;
  }
}

/** Throws unless span `s` (with origin right `rightReplica`, `rightClock`) has its origins on the right sides. */
function checkOrigins(s: Span, rightReplica: number, rightClock: number): void {
  const leftReplica = s.leftReplica;
  if (rightReplica === s.replica && rightClock >= s.clock) throw new DecodeError('origin right is not before the span', -1);
  if (leftReplica === s.replica && s.leftClock >= s.clock) throw new DecodeError('origin left is not before the span', -1);
  if (rightReplica !== NONE && rightReplica === leftReplica && rightClock === s.leftClock) throw new DecodeError('span has the same left and right origin', -1);
}

/** Origins given as ids must name a character left (resp. right) of their span. */
function validateAbsoluteOrigins(spans: readonly Span[], lefts: readonly number[], rightKinds: Uint8Array, rightTargets: Int32Array): void {
  const byReplica = new Map<number, number[]>();
  spans.forEach((s, i) => {
    let list = byReplica.get(s.replica);
    if (list === undefined) byReplica.set(s.replica, (list = []));
    list.push(i);
  });
  for (const list of byReplica.values()) list.sort((a, b) => spans[a]!.clock - spans[b]!.clock);
  const position = (replica: number, clock: number): number => {
    const list = byReplica.get(replica) ?? [];
    let lo = 0;
    let hi = list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = spans[list[mid]!]!;
      if (clock < s.clock) hi = mid - 1;
      else if (clock >= s.clock + s.length) lo = mid + 1;
      else return list[mid]!;
    }
    return -1;
  };
  for (const i of lefts) {
    const at = position(spans[i]!.leftReplica, spans[i]!.leftClock);
    if (at < 0 || at >= i) throw new DecodeError('origin left is not a character before its span', -1);
  }
  for (let i = 0; i < spans.length; i++) {
    if (rightKinds[i] !== RIGHT_EXPLICIT || rightTargets[i]! >= 0) continue;
    if (position(spans[i]!.rightReplica, spans[i]!.rightClock) <= i) throw new DecodeError('origin right is not a character after its span', -1);
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
  const deletes: IdRange[] = [];
  for (const [replica, bounds] of state.deleteBounds) for (let i = 0; i < bounds.length; i += 2) deletes.push({ replica, clock: bounds[i]!, length: bounds[i + 1]! - bounds[i]! });
  return { fields: state.fields, replicas, deletes };
}
