/** The sequence CRDT: `Rga` (fast, spans + index) and `ReferenceRga` (plain array), one seam. */
export type { IdRange, InsertRun, ItemId, Sequence, TextDelta } from './types';
export { ReferenceRga } from './reference';
export { Rga } from './rga';
export type { SpanTreeOptions } from './span-tree';
export { InvalidRunError, MissingOriginError, SequenceRangeError } from './errors';
export { applyDeltas } from './shared';
