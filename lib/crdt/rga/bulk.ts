/**
 * Whole-sequence access for the full-state codec (lib/crdt/state-codec.ts): the spans of a
 * sequence in document order (tombstones included, maximally merged, so equal states give equal
 * lists), and building a fresh `Rga` straight from such a list without any integration search.
 *
 * `Rga` is read and filled through its bulk methods (`forEachSpan`, `buildFrom`); the reference
 * implementation's characters are read by element access (`sequence['chars']`, a test-only path).
 */
import { Rga } from './rga';
import { ReferenceRga } from './reference';
import { NONE, type Span, spanContinues } from './span';
import type { Sequence } from './types';

/**
 * One maximal run in document order: consecutive clocks of one replica, one origin pair (of its
 * first character; later characters have origin left = the previous one), all visible or all
 * deleted (`content === null`). `leftReplica`/`rightReplica` are `NONE` for the document ends.
 */
export interface DocumentSpan {
  readonly replica: number;
  readonly clock: number;
  length: number;
  readonly leftReplica: number;
  readonly leftClock: number;
  readonly rightReplica: number;
  readonly rightClock: number;
  content: string | null;
}

/** True when `next` continues `head`: same replica, next clock, origin left = head's last, same origin right and deletedness. */
function continues(head: DocumentSpan, next: DocumentSpan): boolean {
  return spanContinues(head, next) && (head.content === null) === (next.content === null);
}

function pushSpan(out: DocumentSpan[], span: DocumentSpan): void {
  const last = out[out.length - 1];
  if (last !== undefined && continues(last, span)) {
    last.length += span.length;
    if (last.content !== null) last.content += span.content as string;
    return;
  }
  out.push(span);
}

/** The spans of `sequence` in document order, maximally merged; null for a `Sequence` this file does not know. */
export function documentSpans(sequence: Sequence): DocumentSpan[] | null {
  const out: DocumentSpan[] = [];
  if (sequence instanceof Rga) {
    sequence.forEachSpan((s) => pushSpan(out, { replica: s.replica, clock: s.clock, length: s.length, leftReplica: s.leftReplica, leftClock: s.leftClock, rightReplica: s.rightReplica, rightClock: s.rightClock, content: s.content }));
    return out;
  }
  if (sequence instanceof ReferenceRga) {
    for (const c of sequence['chars']) {
      pushSpan(out, {
        replica: c.id.replica,
        clock: c.id.clock,
        length: 1,
        leftReplica: c.originLeft?.replica ?? NONE,
        leftClock: c.originLeft?.clock ?? 0,
        rightReplica: c.originRight?.replica ?? NONE,
        rightClock: c.originRight?.clock ?? 0,
        content: c.deleted ? null : c.char,
      });
    }
    return out;
  }
  return null;
}

/** True when `sequence` is an `Rga` holding nothing, so `buildRga` may fill it. */
export function canBuildRga(sequence: Sequence): sequence is Rga {
  return sequence instanceof Rga && sequence.isEmpty;
}

/**
 * Fills an empty `Rga` with `spans`, given in document order, with `byReplica` the same spans
 * per replica sorted by clock. Requires what the state decoder checked: ids unique, origins
 * pointing at characters placed before (left) and after (right) each span.
 */
export function buildRga(rga: Rga, spans: readonly Span[], byReplica: ReadonlyMap<number, readonly Span[]>): void {
  rga.buildFrom(spans, byReplica);
}
