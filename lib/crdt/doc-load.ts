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
import type { FieldState, ReplicaLog } from './doc-log';
import { buildRga, canBuildRga } from './rga/bulk';
import type { Rga } from './rga/rga';
import type { Span } from './rga/span';
import type { DecodedState } from './state-codec';
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
  for (const [, items] of state.timeline) {
    let expected = 0;
    let contiguous = true;
    let sawInsertOp = false;
    for (const item of items) {
      if (item.clock !== expected) contiguous = false;
      expected = item.end;
      if ('op' in item) {
        if (item.op.kind === 'insert') sawInsertOp = true;
        continue;
      }
      if (!contiguous || sawInsertOp) return false;
      const span = item.span;
      if (span.content !== null && residual.intersect(span.replica, span.clock, span.length).length > 0) return false;
    }
  }
  for (const range of state.deletes) target.deleteSet.add(range.replica, range.clock, range.length);
  for (const [name, spans] of state.texts) {
    const byClock: Span[][] = [];
    for (const [, items] of state.timeline) {
      const group: Span[] = [];
      for (const item of items) if (!('op' in item) && item.field.name === name) group.push(item.span);
      if (group.length > 0) byClock.push(group);
    }
    buildRga(sequences.get(name)!, spans, byClock);
  }
  for (const [replica, items] of state.timeline) {
    const log = target.logOf(replica as ReplicaId);
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      if (!('op' in item)) {
        log.append({ kind: 'text', clock: item.clock, length: item.end - item.clock, field: target.declareField(item.field) as Extract<FieldState, { kind: 'text' }> });
      } else if (!target.integrateOne(log, item.op)) {
        const waiting: Op[] = [];
        for (let j = i; j < items.length; j++) waiting.push((items[j] as { op: Op }).op);
        target.enqueue(replica as ReplicaId, waiting);
        break;
      }
    }
  }
  target.drainPending();
  return true;
}
