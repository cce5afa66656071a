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
import { NONE, Span, spanContinues, type SpanIds } from './span';
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
function continues(head: SpanIds & { readonly content: string | null }, next: SpanIds & { readonly content: string | null }): boolean {
  return spanContinues(head, next) && (head.content === null) === (next.content === null);
}

/**
 * Appends span `s` to `out`, merged into the last one when it continues it. The list holds
 * `Span`s of its own (never the tree's, which it changes): a class whose map lives as long as any
 * document does, so the optimized code of this per-span loop survives between encodings (an
 * object literal's map dies with the list at the next GC, 'weak objects').
 */
function pushSpan(out: Span[], s: SpanIds & { readonly content: string | null }): void {
  const last = out[out.length - 1];
  if (last !== undefined && continues(last, s)) {
    if (last.content !== null) last.content += s.content as string;
    else last.length += s.length;
    return;
  }
  out.push(new Span(s.replica, s.clock, s.length, s.leftReplica, s.leftClock, s.rightReplica, s.rightClock, s.content));
}

/** The spans of `sequence` in document order, maximally merged; null for a `Sequence` this file does not know. */
export function documentSpans(sequence: Sequence): DocumentSpan[] | null {
  const out: Span[] = [];
  if (sequence instanceof Rga) {
    sequence.forEachSpan((s) => pushSpan(out, s));
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
