/**
 * A test double of `HTMLTextAreaElement` for the text binding: the DOM's selection behaviour on
 * `value` writes, and user actions (typing, backspace, composition) that fire `input` like a browser.
 */
import type { BindableTextarea } from './text-binding';

type Listener = (event: Event) => void;

/** A textarea with the DOM's selection behaviour on `value` writes and simple typing helpers. */
export class FakeTextarea implements BindableTextarea {
  private current = '';
  selectionStart = 0;
  selectionEnd = 0;
  selectionDirection = 'none';
  scrollTop = 0;
  private readonly listeners = new Map<string, Set<Listener>>();
  get value(): string {
    return this.current;
  }
  set value(next: string) {
    this.current = next;
    // Like browsers: writing the value moves the caret to the end.
    this.selectionStart = this.selectionEnd = next.length;
  }
  setSelectionRange(start: number, end: number, direction?: 'forward' | 'backward' | 'none'): void {
    this.selectionStart = start;
    this.selectionEnd = end;
    this.selectionDirection = direction ?? 'none';
  }
  addEventListener(type: string, listener: Listener): void {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type)?.add(listener);
  }
  removeEventListener(type: string, listener: Listener): void {
    this.listeners.get(type)?.delete(listener);
  }
  listenerCount(): number {
    let count = 0;
    for (const set of this.listeners.values()) count += set.size;
    return count;
  }
  dispatch(type: string, init: { isComposing?: boolean } = {}): void {
    const event = { type, isComposing: init.isComposing ?? false } as unknown as Event;
    for (const listener of this.listeners.get(type) ?? []) listener(event);
  }
  /** The user replaces the selection with `text` (typing or paste). */
  type(text: string, composing = false): void {
    const start = this.selectionStart;
    this.current = this.current.slice(0, start) + text + this.current.slice(this.selectionEnd);
    this.selectionStart = this.selectionEnd = start + text.length;
    this.dispatch('input', { isComposing: composing });
  }
  backspace(): void {
    if (this.selectionStart === this.selectionEnd && this.selectionStart > 0) this.selectionStart--;
    this.type('');
  }
}

