import { describe, expect, it } from 'vitest';
import { FakeTextarea } from './fake-textarea';
import { bindTextarea, type BindableText, type ObserveText } from './text-binding';
import { applyDeltas, type TextDelta } from './text-diff';

/** A string-backed text field that reports deltas to observers, like `TextField.observe`. */
class FakeText implements BindableText {
  private text: string;
  private readonly listeners = new Set<(deltas: readonly TextDelta[]) => void>();
  constructor(initial = '') {
    this.text = initial;
  }
  insert(index: number, text: string): void {
    this.change([{ index, insert: text }]);
  }
  delete(index: number, length: number): void {
    this.change([{ index, delete: length }]);
  }
  /** A change made by a peer. */
  remote(deltas: TextDelta[]): void {
    this.change(deltas);
  }
  toString(): string {
    return this.text;
  }
  readonly observe: ObserveText = (listener) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };
  private change(deltas: TextDelta[]): void {
    this.text = applyDeltas(this.text, deltas);
    for (const listener of this.listeners) listener(deltas);
  }
}

function setup(initial = '') {
  const text = new FakeText(initial);
  const textarea = new FakeTextarea();
  const binding = bindTextarea(textarea, text, text.observe);
  return { text, textarea, binding };
}

describe('text binding: local input becomes field edits', () => {
  it('renders the field and turns typing, selection replace and backspace into edits', () => {
    const { text, textarea } = setup('hello');
    expect(textarea.value).toBe('hello');
    textarea.setSelectionRange(5, 5);
    textarea.type(' world');
    expect(text.toString()).toBe('hello world');
    textarea.setSelectionRange(0, 5);
    textarea.type('HELLO');
    expect(text.toString()).toBe('HELLO world');
    textarea.backspace();
    expect(text.toString()).toBe('HELL world');
  });

  it('reports an insert inside repeated characters where the caret is', () => {
    const text = new FakeText('aaa');
    const edits: unknown[] = [];
    const textarea = new FakeTextarea();
    bindTextarea(textarea, text, text.observe, { onLocalEdit: (edit) => edits.push(edit) });
    textarea.setSelectionRange(1, 1);
    textarea.type('a');
    expect(edits).toEqual([{ index: 1, deleteCount: 0, insert: 'a' }]);
  });
});

describe('text binding: remote deltas move the local caret correctly', () => {
  it('a remote insert before the caret shifts it right, after it does not', () => {
    const { text, textarea } = setup('hello world');
    textarea.setSelectionRange(5, 5);
    text.remote([{ index: 0, insert: '>> ' }]);
    expect(textarea.value).toBe('>> hello world');
    expect(textarea.selectionStart).toBe(8);
    text.remote([{ index: 10, insert: '!!' }]);
    expect(textarea.selectionStart).toBe(8);
    expect(textarea.selectionEnd).toBe(8);
  });

  it('a remote delete spanning the caret clamps it', () => {
    const { text, textarea } = setup('0123456789');
    textarea.setSelectionRange(5, 5);
    text.remote([{ index: 3, delete: 4 }]);
    expect(textarea.value).toBe('012789');
    expect(textarea.selectionStart).toBe(3);
  });

  it('typing continues where the caret was after remote changes', () => {
    const { text, textarea } = setup('ab');
    textarea.setSelectionRange(1, 1);
    text.remote([{ index: 1, insert: 'XYZ' }]); // exactly at the caret: the caret stays left of it
    textarea.type('1');
    text.remote([{ index: 0, insert: '__' }]);
    textarea.type('2');
    expect(text.toString()).toBe('__a12XYZb');
    expect(textarea.value).toBe(text.toString());
  });

  it('does not echo its own edits back into the textarea', () => {
    const { text, textarea } = setup('');
    textarea.type('abc');
    textarea.setSelectionRange(1, 1);
    textarea.type('x');
    expect(textarea.selectionStart).toBe(2);
    expect(text.toString()).toBe('axbc');
  });
});

describe('text binding: IME composition', () => {
  it('holds remote deltas during composition and rebases the composed text on them', () => {
    const { text, textarea } = setup('hello');
    textarea.setSelectionRange(5, 5);
    textarea.dispatch('compositionstart');
    textarea.type('k', true);
    text.remote([{ index: 0, insert: 'oh ' }]);
    expect(textarea.value).toBe('hellok'); // untouched while composing
    textarea.setSelectionRange(5, 6);
    textarea.type('か', true);
    textarea.dispatch('compositionend');
    expect(text.toString()).toBe('oh helloか');
    expect(textarea.value).toBe('oh helloか');
    expect(textarea.selectionStart).toBe(9);
  });
});

describe('text binding: teardown', () => {
  it('destroy removes every listener and stops following the field', () => {
    const { text, textarea, binding } = setup('x');
    expect(textarea.listenerCount()).toBe(3);
    binding.destroy();
    expect(textarea.listenerCount()).toBe(0);
    text.remote([{ index: 0, insert: 'y' }]);
    expect(textarea.value).toBe('x');
  });
});
