/**
 * Loading a full state (state-codec.ts) into a fresh document in bulk: the delete set as decoded
 * (canonical bounds per replica), each text field's `Rga` built from its spans in document order
 * (no integration search), and each replica's log in one pass over its clock-ordered timeline.
 * Falls back (returns false, before touching anything but field declarations) when the state
 * cannot take that path: a sequence that is not an empty `Rga`, text spans past a gap or after a
 * pending op, or deletes that cover visible text.
 */
import type { ReplicaId } from '../clock/replica';
import { DeleteSet } from './delete-set';
import type { FieldState, FieldStateOf, ReplicaLog } from './doc-log';
import { buildRga, canBuildRga } from './rga/bulk';
import type { Rga } from './rga/rga';
import type { Span } from './rga/span';
import { fieldOfSpan, type DecodedState, type ReplicaTimeline } from './state-codec';
import type { FieldRef, Op } from './update-codec';

/** The parts of a fresh `DocCore` the bulk load fills. */
export interface LoadTarget {
  declareField(ref: FieldRef): FieldState;
  readonly deleteSet: DeleteSet;
  logOf(replica: ReplicaId): ReplicaLog;
  integrateOne(log: ReplicaLog, op: Op): boolean;
  enqueue(replica: ReplicaId, ops: readonly Op[]): void;
  drainPending(): void;
}

/**
 * True when a document holds nothing yet (no ops, deletes or pending ops): a full state can be
 * applied to it in bulk. It may have declared fields (an app's `getText` before the first
 * `apply`): with no op integrated they hold nothing, and the bulk build fills them.
 */
export function isEmptyForBulk(logs: ReadonlyMap<ReplicaId, ReplicaLog>, deleteSet: DeleteSet, pending: ReadonlyMap<ReplicaId, readonly Op[]>): boolean {
  if (!deleteSet.isEmpty || pending.size > 0) return false;
  for (const log of logs.values()) if (log.clock > 0) return false;
  return true;
}

/**
 * True when a replica's timeline can be built in bulk: the decoder found its spans ready (see
 * `ReplicaTimeline.spansReady`), and no residual delete covers a visible span (integration would
 * report it).
 */
function fitsBulk(timeline: ReplicaTimeline, residual: DeleteSet | null): boolean {
  if (!timeline.spansReady) return false;
  if (residual === null) return true;
  for (const span of timeline.spans) if (span.content !== null && residual.intersect(span.replica, span.clock, span.length).length > 0) return false;
  return true;
}

/** Loads `state` into `target` in bulk; returns false (having only declared the fields) when it must be integrated instead. */
export function maybeLoadInBulk(target: LoadTarget, state: DecodedState): boolean {
  const sequences = new Map<string, Rga>();
  for (const ref of state.fields) {
    const field = target.declareField(ref);
    if (field.kind !== 'text') continue;
    if (!canBuildRga(field.sequence)) return false;
    sequences.set(field.name, field.sequence);
  }
  let residual: DeleteSet | null = null;
  if (state.residualDeletes.length > 0) {
    residual = new DeleteSet();
    for (const range of state.residualDeletes) residual.include(range.replica, range.clock, range.length);
  }
  for (const timeline of state.timeline.values()) if (!fitsBulk(timeline, residual)) return false;
  for (const [replica, bounds] of state.deleteBounds) target.deleteSet.setBounds(replica, bounds);
  const textFields = new Map<string, FieldStateOf<'text'>>();
  for (const [name, spans] of state.texts) {
    const byReplica = new Map<number, readonly Span[]>();
    for (const [replica, timeline] of state.timeline) {
      if (timeline.spans.length === 0) continue;
      byReplica.set(replica, state.texts.size === 1 ? timeline.spans : timeline.spans.filter((_, i) => fieldOfSpan(timeline, i).name === name));
    }
    buildRga(sequences.get(name)!, spans, byReplica);
    textFields.set(name, target.declareField({ name, kind: 'text' }) as FieldStateOf<'text'>);
  }
  for (const [replica, timeline] of state.timeline) appendTimeline(target, replica as ReplicaId, timeline, textFields);
  target.drainPending();
  return true;
}

/**
 * Appends a replica's timeline to its log: its ops integrated one by one (the rest queued from
 * the first that must wait), each run of spans of one field between two ops as one text entry.
 */
function appendTimeline(target: LoadTarget, replica: ReplicaId, timeline: ReplicaTimeline, textFields: ReadonlyMap<string, FieldStateOf<'text'>>): void {
  const log = target.logOf(replica);
  const { spans, spanFields, ops } = timeline;
  let j = 0;
  for (let i = 0; i <= spans.length; i++) {
    const clock = i < spans.length ? spans[i]!.clock : Number.POSITIVE_INFINITY;
    for (; j < ops.length && ops[j]!.clock < clock; j++) {
      if (target.integrateOne(log, ops[j]!)) continue;
      target.enqueue(replica, ops.slice(j));
      return;
    }
    if (i === spans.length) return;
    const nextOp = j < ops.length ? ops[j]!.clock : Number.POSITIVE_INFINITY;
    const last = runEnd(spans, spanFields, i, nextOp);
    // Spans ready for bulk placement leave no clock gap: the run covers its first clock to its last.
    log.appendText(textFields.get(fieldOfSpan(timeline, i).name)!, spans[last]!.clock + spans[last]!.length - spans[i]!.clock);
    i = last;
  }
}

/**
 * The index of the last span of the run starting at `spans[from]`: the spans after it of the
 * same field (all are when `fields` is null) with clocks below `limit`. A plain function of
 * arrays and spans, so its optimized code outlives the decoded state (see `readSpans`).
 */
function runEnd(spans: readonly Span[], fields: readonly FieldRef[] | null, from: number, limit: number): number {
  // No op left and one field: the run is every span left (a walk over them in clock order would miss the cache at each).
  if (fields === null && limit === Number.POSITIVE_INFINITY) return spans.length - 1;
  let i = from;
  if (fields === null) while (i + 1 < spans.length && spans[i + 1]!.clock < limit) i++;
  else while (i + 1 < spans.length && fields[i + 1] === fields[from] && spans[i + 1]!.clock < limit) i++;
  return i;
}
