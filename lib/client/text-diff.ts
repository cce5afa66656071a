/**
 * Pure text helpers for the editor binding: the diff of a textarea's old and new value, and the
 * mapping of caret/selection positions through remote text deltas. No DOM here.
 */

/** A change to the visible text; indices count UTF-16 code units of the text before this delta. */
export type TextDelta =
  | { readonly index: number; readonly insert: string }
  | { readonly index: number; readonly delete: number };

/** One splice: at `index`, remove `deleteCount` code units, then insert `insert`. */
export interface TextEdit {
  readonly index: number;
  readonly deleteCount: number;
  readonly insert: string;
}

/**
 * Which way a position leans when text is inserted exactly at it: `before` stays put (the caret
 * sticks to the character on its left), `after` moves past the inserted text.
 */
export type Assoc = 'before' | 'after';

/** A textarea selection. Invariant: 0 <= start <= end. */
export interface Selection {
  readonly start: number;
  readonly end: number;
  readonly direction: 'forward' | 'backward' | 'none';
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/**
 * The single splice that turns `before` into `after`, found by common prefix and suffix.
 * `caret` (the caret in `after`, e.g. `selectionEnd` after the input event) disambiguates edits
 * inside repeated characters: typing "a" at 1 in "aaa" is reported at 1, not at 3, so the CRDT
 * gets the origins the user meant. Never splits a surrogate pair. Returns null when equal.
 */
export function diffText(before: string, after: string, caret?: number): TextEdit | null {
  if (before === after) return null;
  const minLength = Math.min(before.length, after.length);
  let prefix = 0;
  while (prefix < minLength && before.charCodeAt(prefix) === after.charCodeAt(prefix)) prefix++;
  if (caret !== undefined && Number.isFinite(caret)) {
    const grown = Math.max(0, after.length - before.length);
    prefix = Math.min(prefix, Math.max(0, Math.floor(caret) - grown));
  }
  // Do not cut between the halves of a surrogate pair.
  if (prefix > 0 && isHighSurrogate(before.charCodeAt(prefix - 1))) prefix--;
  let suffix = 0;
  const maxSuffix = minLength - prefix;
  while (
    suffix < maxSuffix &&
    before.charCodeAt(before.length - 1 - suffix) === after.charCodeAt(after.length - 1 - suffix)
  ) {
    suffix++;
  }
  if (suffix > 0 && isLowSurrogate(before.charCodeAt(before.length - suffix))) suffix--;
  return {
    index: prefix,
    deleteCount: before.length - prefix - suffix,
    insert: after.slice(prefix, after.length - suffix),
  };
}

/** Applies a splice to a string. */
export function applyEdit(text: string, edit: TextEdit): string {
  return text.slice(0, edit.index) + edit.insert + text.slice(edit.index + edit.deleteCount);
}

/** Applies deltas, in order, to a string. */
export function applyDeltas(text: string, deltas: readonly TextDelta[]): string {
  let result = text;
  for (const delta of deltas) {
    if ('insert' in delta) {
      result = result.slice(0, delta.index) + delta.insert + result.slice(delta.index);
    } else {
      result = result.slice(0, delta.index) + result.slice(delta.index + delta.delete);
    }
  }
  return result;
}

/**
 * Where position `position` ends up after `delta`: an insert before it shifts it right, an insert
 * after it does not, an insert exactly at it follows `assoc`; a delete before it shifts it left and
 * a delete spanning it clamps it to the start of the deleted range.
 */
export function mapPosition(position: number, delta: TextDelta, assoc: Assoc = 'before'): number {
  if ('insert' in delta) {
    const length = delta.insert.length;
    if (delta.index < position) return position + length;
    if (delta.index === position && assoc === 'after') return position + length;
    return position;
  }
  if (position <= delta.index) return position;
  if (position >= delta.index + delta.delete) return position - delta.delete;
  return delta.index;
}

/** `mapPosition` through a list of deltas applied in order. */
export function mapPositionThrough(position: number, deltas: readonly TextDelta[], assoc: Assoc = 'before'): number {
  let result = position;
  for (const delta of deltas) result = mapPosition(result, delta, assoc);
  return result;
}

/**
 * Maps a selection through remote deltas. A collapsed caret sticks to the character on its left
 * (so a peer typing at the very same spot does not push our caret into their word); a range does
 * not grow to swallow text inserted at its edges.
 */
export function mapSelection(selection: Selection, deltas: readonly TextDelta[]): Selection {
  if (selection.start === selection.end) {
    const caret = mapPositionThrough(selection.start, deltas, 'before');
    return { start: caret, end: caret, direction: selection.direction };
  }
  const start = mapPositionThrough(selection.start, deltas, 'after');
  const end = Math.max(start, mapPositionThrough(selection.end, deltas, 'before'));
  return { start, end, direction: selection.direction };
}

/**
 * Maps a local splice, computed against an older text, onto the text after `deltas`: its start
 * sticks to the left, its deleted range shrinks by whatever the deltas already removed. Used when
 * remote deltas were held back during IME composition.
 */
export function rebaseEdit(edit: TextEdit, deltas: readonly TextDelta[]): TextEdit {
  const start = mapPositionThrough(edit.index, deltas, 'before');
  const end = Math.max(start, mapPositionThrough(edit.index + edit.deleteCount, deltas, 'before'));
  return { index: start, deleteCount: end - start, insert: edit.insert };
}

/** The deltas a splice makes (a delete, then an insert), empty parts left out. */
export function editToDeltas(edit: TextEdit): TextDelta[] {
  const deltas: TextDelta[] = [];
  if (edit.deleteCount > 0) deltas.push({ index: edit.index, delete: edit.deleteCount });
  if (edit.insert.length > 0) deltas.push({ index: edit.index, insert: edit.insert });
  return deltas;
}
