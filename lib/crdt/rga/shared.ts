/**
 * Small helpers both sequence implementations use to build their outputs, so that equal states
 * produce equal (canonical) runs, id ranges and deltas whatever the storage looks like.
 */
import { InvalidRunError } from './errors';
import type { IdRange, InsertRun, ItemId, TextDelta } from './types';

/** True when two nullable ids name the same character. */
export function sameId(a: ItemId | null, b: ItemId | null): boolean {
  if (a === null || b === null) return a === b;
  return a.replica === b.replica && a.clock === b.clock;
}

/** Throws `InvalidRunError` when a run breaks the seam's invariants. */
export function validateRun(run: InsertRun): void {
  if (!Number.isInteger(run.length) || run.length < 0) {
    throw new InvalidRunError(`run ${run.replica}:${run.clock} has invalid length ${run.length}`);
  }
  if (!Number.isInteger(run.clock) || run.clock < 0) {
    throw new InvalidRunError(`run ${run.replica}:${run.clock} has an invalid clock`);
  }
  if (run.content !== null && run.content.length !== run.length) {
    throw new InvalidRunError(
      `run ${run.replica}:${run.clock} has length ${run.length} but ${run.content.length} characters`,
    );
  }
}

/**
 * Appends a piece to a list of runs of one replica in clock order, merging it into the last run
 * when it continues it: next clock, origin left = the last character, same origin right and the
 * same deletedness (deleted pieces carry `content: null`). This makes `runsOf` canonical.
 */
export function pushRun(runs: InsertRun[], piece: InsertRun): void {
  const last = runs.length > 0 ? runs[runs.length - 1] : undefined;
  if (
    last !== undefined &&
    last.replica === piece.replica &&
    last.clock + last.length === piece.clock &&
    piece.originLeft !== null &&
    piece.originLeft.replica === piece.replica &&
    piece.originLeft.clock === piece.clock - 1 &&
    sameId(last.originRight, piece.originRight) &&
    (last.content === null) === (piece.content === null)
  ) {
    runs[runs.length - 1] = {
      ...last,
      length: last.length + piece.length,
      content: last.content === null ? null : last.content + (piece.content as string),
    };
    return;
  }
  runs.push(piece);
}

/** Appends an id range, merging it into the last one when it continues it. */
export function pushRange(ranges: IdRange[], replica: number, clock: number, length: number): void {
  const last = ranges.length > 0 ? ranges[ranges.length - 1] : undefined;
  if (last !== undefined && last.replica === replica && last.clock + last.length === clock) {
    ranges[ranges.length - 1] = { replica, clock: last.clock, length: last.length + length };
    return;
  }
  ranges.push({ replica, clock, length });
}

/** Appends an insert delta, merging it with the previous insert when it continues it. */
export function pushInsert(deltas: TextDelta[], index: number, insert: string): void {
  const last = deltas.length > 0 ? deltas[deltas.length - 1] : undefined;
  if (last !== undefined && 'insert' in last && last.index + last.insert.length === index) {
    deltas[deltas.length - 1] = { index: last.index, insert: last.insert + insert };
    return;
  }
  deltas.push({ index, insert });
}

/** Appends a delete delta, merging it with an adjacent previous delete (forward or backward). */
export function pushDelete(deltas: TextDelta[], index: number, count: number): void {
  const last = deltas.length > 0 ? deltas[deltas.length - 1] : undefined;
  if (last !== undefined && 'delete' in last) {
    if (last.index === index) {
      deltas[deltas.length - 1] = { index, delete: last.delete + count };
      return;
    }
    if (index + count === last.index) {
      deltas[deltas.length - 1] = { index, delete: last.delete + count };
      return;
    }
  }
  deltas.push({ index, delete: count });
}

/** Applies deltas to a plain string (used by tests and by editors that mirror the text). */
export function applyDeltas(text: string, deltas: readonly TextDelta[]): string {
  let out = text;
  for (const delta of deltas) {
    if ('insert' in delta) out = out.slice(0, delta.index) + delta.insert + out.slice(delta.index);
    else out = out.slice(0, delta.index) + out.slice(delta.index + delta.delete);
  }
  return out;
}
