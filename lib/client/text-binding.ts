/**
 * Binds a `<textarea>` to a text field of a `Doc`: local input becomes `insert`/`delete` calls,
 * remote deltas update the value and move the local selection so it stays on the text it was on.
 *
 * Local edits are found by diffing the value the binding last rendered (the shadow) with the new
 * value on each `input` event, which covers typing, paste, cut, drag-and-drop, spellcheck and
 * autocorrect alike. During IME composition local edits are applied at `compositionend`, and
 * remote deltas are held back (setting the value would cancel the composition) and rebased then.
 */
import {
  diffText,
  mapPositionThrough,
  mapSelection,
  rebaseEdit,
  type Selection,
  type TextDelta,
  type TextEdit,
} from './text-diff';

/** What the binding needs from a text field (`TextField` from lib/crdt satisfies it). */
export interface BindableText {
  insert(index: number, text: string): void;
  delete(index: number, length: number): void;
  toString(): string;
}

/** Subscribes to every change of the field (local and remote); returns an unsubscribe function. */
export type ObserveText = (listener: (deltas: readonly TextDelta[]) => void) => () => void;

/** The part of `HTMLTextAreaElement` the binding touches (a fake one is used in unit tests). */
export interface BindableTextarea {
  value: string;
  selectionStart: number;
  selectionEnd: number;
  selectionDirection: 'forward' | 'backward' | 'none' | string;
  scrollTop: number;
  setSelectionRange(start: number, end: number, direction?: 'forward' | 'backward' | 'none'): void;
  addEventListener(type: 'input' | 'compositionstart' | 'compositionend', listener: (event: Event) => void): void;
  removeEventListener(type: 'input' | 'compositionstart' | 'compositionend', listener: (event: Event) => void): void;
}

/** Options of `bindTextarea`. */
export interface TextBindingOptions {
  /** Groups the delete and insert of one splice into one transaction (one update on the wire). */
  readonly transact?: (fn: () => void) => void;
  /** Called after every local splice applied to the field. */
  readonly onLocalEdit?: (edit: TextEdit) => void;
}

/** A live binding; `destroy()` removes every listener. */
export interface TextBinding {
  destroy(): void;
  /** The value the binding last rendered (equals the field's text outside composition). */
  readonly shadow: string;
}

function readSelection(textarea: BindableTextarea): Selection {
  const direction = textarea.selectionDirection === 'backward' || textarea.selectionDirection === 'forward'
    ? textarea.selectionDirection
    : 'none';
  const start = Math.min(textarea.selectionStart, textarea.selectionEnd);
  const end = Math.max(textarea.selectionStart, textarea.selectionEnd);
  return { start, end, direction };
}

/**
 * Where a caret that sits at `caret` in the locally edited value ends up once the held remote
 * deltas and the rebased local splice are both applied.
 */
export function mapLocalCaret(caret: number, edit: TextEdit, rebased: TextEdit, held: readonly TextDelta[]): number {
  const insertedEnd = edit.index + edit.insert.length;
  if (caret < edit.index) return mapPositionThrough(caret, held, 'before');
  if (caret <= insertedEnd) return rebased.index + (caret - edit.index);
  const inShadow = caret - edit.insert.length + edit.deleteCount;
  const mapped = mapPositionThrough(inShadow, held, 'before');
  return Math.max(rebased.index + rebased.insert.length, mapped - rebased.deleteCount + rebased.insert.length);
}

/** Binds `textarea` to `text`; the textarea's value is replaced with the field's text at once. */
export function bindTextarea(
  textarea: BindableTextarea,
  text: BindableText,
  observe: ObserveText,
  options: TextBindingOptions = {},
): TextBinding {
  const transact = options.transact ?? ((fn: () => void) => fn());
  let shadow = text.toString();
  let composing = false;
  let applyingLocal = false;
  let held: TextDelta[] = [];

  textarea.value = shadow;

  function render(value: string, selection: Selection): void {
    const scrollTop = textarea.scrollTop;
    if (textarea.value !== value) textarea.value = value;
    const length = value.length;
    const start = Math.min(Math.max(0, selection.start), length);
    const end = Math.min(Math.max(start, selection.end), length);
    textarea.setSelectionRange(start, end, selection.direction);
    textarea.scrollTop = scrollTop;
  }

  function flushLocal(): void {
    const value = textarea.value;
    const selection = readSelection(textarea);
    const edit = diffText(shadow, value, selection.end);
    const heldDeltas = held;
    held = [];
    if (edit !== null) {
      const rebased = heldDeltas.length > 0 ? rebaseEdit(edit, heldDeltas) : edit;
      applyingLocal = true;
      try {
        transact(() => {
          if (rebased.deleteCount > 0) text.delete(rebased.index, rebased.deleteCount);
          if (rebased.insert.length > 0) text.insert(rebased.index, rebased.insert);
        });
      } finally {
        applyingLocal = false;
      }
      options.onLocalEdit?.(rebased);
      shadow = text.toString();
      if (shadow !== value) {
        render(shadow, {
          start: mapLocalCaret(selection.start, edit, rebased, heldDeltas),
          end: mapLocalCaret(selection.end, edit, rebased, heldDeltas),
          direction: selection.direction,
        });
      }
      return;
    }
    shadow = text.toString();
    if (shadow !== value) render(shadow, mapSelection(selection, heldDeltas));
  }

  function onRemote(deltas: readonly TextDelta[]): void {
    if (applyingLocal || deltas.length === 0) return;
    if (composing) {
      held.push(...deltas);
      return;
    }
    if (textarea.value !== shadow) {
      // A local change the binding has not seen yet (no input event so far): rebase it on these deltas.
      held.push(...deltas);
      flushLocal();
      return;
    }
    const selection = mapSelection(readSelection(textarea), deltas);
    shadow = text.toString();
    render(shadow, selection);
  }

  const onInput = (event: Event): void => {
    if (composing || (event as InputEvent).isComposing === true) return;
    flushLocal();
  };
  const onCompositionStart = (): void => {
    composing = true;
  };
  const onCompositionEnd = (): void => {
    composing = false;
    flushLocal();
  };

  textarea.addEventListener('input', onInput);
  textarea.addEventListener('compositionstart', onCompositionStart);
  textarea.addEventListener('compositionend', onCompositionEnd);
  const unobserve = observe(onRemote);

  return {
    destroy(): void {
      unobserve();
      textarea.removeEventListener('input', onInput);
      textarea.removeEventListener('compositionstart', onCompositionStart);
      textarea.removeEventListener('compositionend', onCompositionEnd);
    },
    get shadow(): string {
      return shadow;
    },
  };
}
