/**
 * The text binding over real `Doc`s: editors type concurrently while updates travel through a
 * seeded, delaying network. Properties defended: convergence (same text on every replica and in
 * every textarea), no lost or duplicated characters, and — because carets stick to the character
 * on their left and FugueMax does not interleave — each typist's word stays contiguous.
 */
import { describe, expect, it } from 'vitest';
import { Doc } from '../crdt';
import { FakeTextarea } from './fake-textarea';
import { bindTextarea } from './text-binding';
import { mulberry32 } from '../random';

/** mulberry32: a seeded PRNG. */
function seededRandom(seed: number): () => number {
  return mulberry32(seed);
}

const REMOTE = Symbol('remote');

interface Editor {
  readonly doc: Doc;
  readonly textarea: FakeTextarea;
  /** Updates sent by this editor, not yet delivered to the other. */
  readonly outbox: Uint8Array[];
}

function makeEditors(count: number, initial: string): Editor[] {
  const seed = new Doc({ replicaId: 1 });
  seed.getText('body').insert(0, initial);
  const snapshot = seed.encode();
  return Array.from({ length: count }, (_, i) => {
    const doc = new Doc({ replicaId: 100 + i });
    doc.apply(snapshot, REMOTE);
    const textarea = new FakeTextarea();
    const body = doc.getText('body');
    bindTextarea(textarea, body, (listener) => body.observe(listener), { transact: (fn) => doc.transact(fn) });
    const outbox: Uint8Array[] = [];
    doc.on('update', (update, origin) => {
      if (origin !== REMOTE) outbox.push(update);
    });
    return { doc, textarea, outbox };
  });
}

/** Delivers some (or all) pending updates of `from` to every other editor, in order. */
function deliver(editors: readonly Editor[], from: Editor, howMany: number): void {
  const batch = from.outbox.splice(0, howMany);
  for (const update of batch) {
    for (const editor of editors) if (editor !== from) editor.doc.apply(update, REMOTE);
  }
}

function runConcurrentTyping(seed: number, caretAt: (text: string, who: number) => number): { texts: string[]; words: string[] } {
  const random = seededRandom(seed);
  const editors = makeEditors(2, '<>');
  const words = ['applesauce', 'blueberries'];
  editors.forEach((editor, who) => {
    const at = caretAt(editor.textarea.value, who);
    editor.textarea.setSelectionRange(at, at);
  });
  const progress = [0, 0];
  while (progress.some((typed, who) => typed < (words[who] as string).length) || editors.some((e) => e.outbox.length > 0)) {
    const who = random() < 0.5 ? 0 : 1;
    const editor = editors[who] as Editor;
    const word = words[who] as string;
    const action = random();
    if (action < 0.6 && (progress[who] as number) < word.length) {
      editor.textarea.type(word.charAt(progress[who] as number));
      progress[who] = (progress[who] as number) + 1;
    } else if (editor.outbox.length > 0) {
      deliver(editors, editor, 1 + Math.floor(random() * editor.outbox.length));
    }
  }
  return { texts: editors.flatMap((editor) => [editor.doc.getText('body').toString(), editor.textarea.value]), words };
}

describe('text binding over real Docs: concurrent typing', () => {
  it('typing at the same place converges and each word stays contiguous (FugueMax + left-sticky carets)', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const { texts, words } = runConcurrentTyping(seed, () => 1);
      const [first] = texts;
      for (const text of texts) expect(text, `seed ${seed}`).toBe(first);
      expect([`<${words[0]}${words[1]}>`, `<${words[1]}${words[0]}>`], `seed ${seed}`).toContain(first);
    }
  });

  it('typing at different places converges with both words intact', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const { texts, words } = runConcurrentTyping(seed, (text, who) => (who === 0 ? 0 : text.length));
      const [first] = texts;
      for (const text of texts) expect(text, `seed ${seed}`).toBe(first);
      expect(first, `seed ${seed}`).toBe(`${words[0]}<>${words[1]}`);
    }
  });

  it('a remote delete spanning the caret clamps it, and typing continues there', () => {
    const [alice, bob] = makeEditors(2, 'hello brave new world') as [Editor, Editor];
    bob.textarea.setSelectionRange(9, 9); // inside "brave"
    alice.textarea.setSelectionRange(6, 16);
    alice.textarea.type(''); // deletes "brave new "
    deliver([alice, bob], alice, 10);
    expect(bob.textarea.value).toBe('hello world');
    expect(bob.textarea.selectionStart).toBe(6);
    bob.textarea.type('big ');
    deliver([alice, bob], bob, 10);
    expect(alice.textarea.value).toBe('hello big world');
    expect(bob.textarea.value).toBe('hello big world');
  });
});
