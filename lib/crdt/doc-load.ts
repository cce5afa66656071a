/**
 * Loading a full state (state-codec.ts) into a fresh document in bulk: the delete set as stored,
 * each text field's `Rga` built from its spans in document order (no integration search), and
 * each replica's log in one pass over its clock-ordered timeline. Falls back (returns false,
 * before touching anything but field declarations) when the state cannot take that path: a
 * sequence that is not an empty `Rga`, text spans past a gap or after a pending op, or deletes
 * that cover visible text.
 */
import type { ReplicaId } from '../clock/replica';
import { DeleteSet } from './delete-set';
import type { FieldState, FieldStateOf, ReplicaLog } from './doc-log';
import { buildRga, canBuildRga } from './rga/bulk';
import type { Rga } from './rga/rga';
import type { Span } from './rga/span';
import { walkTimeline, type DecodedState } from './state-codec';
import { opLength, type FieldRef, type Op } from './update-codec';

/** The parts of a fresh `DocCore` the bulk load fills. */
export interface LoadTarget {
  declareField(ref: FieldRef): FieldState;
  readonly deleteSet: DeleteSet;
  logOf(replica: ReplicaId): ReplicaLog;
  integrateOne(log: ReplicaLog, op: Op): boolean;
  enqueue(replica: ReplicaId, ops: readonly Op[]): void;
  drainPending(): void;
}

/** True when a document holds nothing yet (no fields, ops, deletes or pending ops): a full state can be applied to it in bulk. */
export function isEmptyForBulk(fields: ReadonlyMap<string, FieldState>, logs: ReadonlyMap<ReplicaId, ReplicaLog>, deleteSet: DeleteSet, pending: ReadonlyMap<ReplicaId, readonly Op[]>): boolean {
  if (fields.size > 0 || !deleteSet.isEmpty || pending.size > 0) return false;
  for (const log of logs.values()) if (log.clock > 0) return false;
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
  const residual = new DeleteSet();
  for (const range of state.residualDeletes) residual.add(range.replica, range.clock, range.length);
  for (const [, timeline] of state.timeline) {
    let expected = 0;
    let ready = true;
    let fits = true;
    walkTimeline(
      timeline,
      (span) => {
        if (span.clock !== expected || !ready) fits = false;
        else if (span.content !== null && !residual.isEmpty && residual.intersect(span.replica, span.clock, span.length).length > 0) fits = false;
        expected = span.clock + span.length;
      },
      (op) => {
        if (op.clock !== expected || op.kind === 'insert') ready = false;
        expected = op.clock + opLength(op);
        return true;
      },
    );
    if (!fits) return false;
  }
  for (const range of state.deletes) target.deleteSet.add(range.replica, range.clock, range.length);
  const textFields = new Map<string, FieldStateOf<'text'>>();
  for (const [name, spans] of state.texts) {
    const byClock: Span[][] = [];
    for (const [, timeline] of state.timeline) {
      if (state.texts.size === 1) byClock.push(timeline.spans);
      else byClock.push(timeline.spans.filter((_, i) => timeline.spanFields[i]!.name === name));
    }
    buildRga(sequences.get(name)!, spans, byClock);
    textFields.set(name, target.declareField({ name, kind: 'text' }) as FieldStateOf<'text'>);
  }
  for (const [replica, timeline] of state.timeline) {
    const log = target.logOf(replica as ReplicaId);
    walkTimeline(
      timeline,
      (span, field) => log.append({ kind: 'text', clock: span.clock, length: span.length, field: textFields.get(field.name)! }),
      (op, index) => {
        if (target.integrateOne(log, op)) return true;
        target.enqueue(replica as ReplicaId, timeline.ops.slice(index));
        return false;
      },
    );
  }
  target.drainPending();
  return true;
}
