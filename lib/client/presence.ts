/**
 * Carets as the awareness protocol carries them: anchored to character ids so they stay on the
 * same text while others edit. Pure functions over the `TextField` caret API.
 */
import type { CaretAnchor, CursorRange, AwarenessEntry } from '../sync/protocol';
import type { ResolvedCaret } from './caret-layout';

/** The caret API of a text field (`TextField` satisfies it). */
export interface CaretText {
  readonly length: number;
  idAt(index: number): { readonly replica: number; readonly clock: number } | null;
  indexOf(id: { readonly replica: number; readonly clock: number }): number;
}

/** The anchor of the caret at `index`: the character right of it, or null at the end. */
export function anchorAt(text: CaretText, index: number): CaretAnchor {
  if (index >= text.length) return null;
  const id = text.idAt(Math.max(0, index));
  return id === null ? null : { replica: id.replica, clock: id.clock };
}

/** The visible index of an anchor, or null when this replica does not know the character yet. */
export function resolveAnchor(text: CaretText, anchor: CaretAnchor): number | null {
  if (anchor === null) return text.length;
  const index = text.indexOf(anchor);
  return index < 0 ? null : Math.min(index, text.length);
}

/** A textarea selection as a cursor range (`head` is where the caret blinks). */
export function selectionToCursor(
  text: CaretText,
  field: string,
  start: number,
  end: number,
  direction: string,
): CursorRange {
  const backward = direction === 'backward';
  return {
    field,
    anchor: anchorAt(text, backward ? end : start),
    head: anchorAt(text, backward ? start : end),
  };
}

/** The peers' carets in `field`, resolved to indices; peers whose characters are unknown yet are left out. */
export function resolvePeerCarets(
  text: CaretText,
  field: string,
  peers: ReadonlyMap<number, AwarenessEntry>,
): ResolvedCaret[] {
  const carets: ResolvedCaret[] = [];
  for (const entry of peers.values()) {
    const state = entry.state;
    if (state === null || state.cursor === null || state.cursor.field !== field) continue;
    const head = resolveAnchor(text, state.cursor.head);
    const anchor = resolveAnchor(text, state.cursor.anchor);
    if (head === null || anchor === null) continue;
    carets.push({
      clientId: entry.clientId,
      name: state.name,
      color: /^#[0-9a-f]{3,8}$/i.test(state.color) ? state.color : '#64748b',
      head,
      start: Math.min(head, anchor),
      end: Math.max(head, anchor),
    });
  }
  return carets.sort((a, b) => a.clientId - b.clientId);
}
