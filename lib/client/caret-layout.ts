/**
 * Pure layout helpers for showing remote carets over the textarea: where each peer's caret and
 * selection are as visible indices, and how to cut the text into segments around them.
 */

/** A remote caret resolved to visible indices. Invariant: 0 <= start <= end <= text length. */
export interface ResolvedCaret {
  readonly clientId: number;
  readonly name: string;
  readonly color: string;
  /** The caret (selection head). */
  readonly head: number;
  readonly start: number;
  readonly end: number;
}

/** A run of text to render: plain, or inside some peer's selection; `carets` sit before the run. */
export interface CaretSegment {
  readonly text: string;
  /** Colour of the selection covering this run, or null. */
  readonly highlight: string | null;
  /** Carets placed just before this run. */
  readonly carets: readonly ResolvedCaret[];
}

/**
 * Cuts `text` at every caret and selection edge. The last segment may be empty and only carry the
 * carets at the very end. When selections overlap, the one listed first wins the highlight.
 */
export function layoutCarets(text: string, carets: readonly ResolvedCaret[]): CaretSegment[] {
  const cuts = new Set<number>([0, text.length]);
  for (const caret of carets) {
    cuts.add(clamp(caret.head, text.length));
    cuts.add(clamp(caret.start, text.length));
    cuts.add(clamp(caret.end, text.length));
  }
  const points = [...cuts].sort((a, b) => a - b);
  const segments: CaretSegment[] = [];
  for (let i = 0; i < points.length; i++) {
    const from = points[i] as number;
    const to = i + 1 < points.length ? (points[i + 1] as number) : from;
    if (to === from && i + 1 < points.length) continue;
    const here = carets.filter((caret) => clamp(caret.head, text.length) === from);
    const covering = carets.find((caret) => caret.start <= from && to <= caret.end && caret.start < caret.end);
    segments.push({ text: text.slice(from, to), highlight: covering?.color ?? null, carets: here });
  }
  return segments;
}

function clamp(value: number, max: number): number {
  return Math.min(Math.max(0, value), max);
}
