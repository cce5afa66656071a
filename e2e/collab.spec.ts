import { expect, test } from '@playwright/test';
import { characterCounts, expectConverged, moveCaret, openEditor, placeCaret, uniqueDocId } from './helpers';

test.describe('two browsers editing one document', () => {
  test('typing at the same time in different places converges with both texts intact', async ({ browser }) => {
    const docId = uniqueDocId('e2e-apart');
    const alice = await openEditor(browser, docId);
    const bob = await openEditor(browser, docId);

    await moveCaret(alice, 'end');
    await alice.editor.pressSequentially('[start|end]');
    await expect(bob.editor).toHaveValue('[start|end]');

    await placeCaret(alice, 1);
    await moveCaret(bob, 'end');
    const aliceWord = 'alpha-from-alice';
    const bobWord = 'omega-from-bob';
    await Promise.all([
      alice.editor.pressSequentially(aliceWord, { delay: 15 }),
      bob.editor.pressSequentially(bobWord, { delay: 15 }),
    ]);

    const text = await expectConverged([alice, bob], [aliceWord, bobWord]);
    expect(text).toBe(`[${aliceWord}start|end]${bobWord}`);

    // A third browser that opens the document later sees the same text.
    const carol = await openEditor(browser, docId);
    await expect(carol.editor).toHaveValue(text);

    await Promise.all([alice.context.close(), bob.context.close(), carol.context.close()]);
  });

  test('typing at the same time in the same place: identical text, each word contiguous', async ({ browser }) => {
    const docId = uniqueDocId('e2e-same');
    const alice = await openEditor(browser, docId);
    const bob = await openEditor(browser, docId);

    await moveCaret(alice, 'end');
    await alice.editor.pressSequentially('<>');
    await expect(bob.editor).toHaveValue('<>');
    await placeCaret(alice, 1);
    await placeCaret(bob, 1);

    const aliceWord = 'applesauce';
    const bobWord = 'blueberries';
    await Promise.all([
      alice.editor.pressSequentially(aliceWord, { delay: 10 }),
      bob.editor.pressSequentially(bobWord, { delay: 10 }),
    ]);

    const text = await expectConverged([alice, bob], [aliceWord, bobWord]);
    // Every character typed by each appears (no loss, no duplication)...
    const expectedCounts = characterCounts(`<>${aliceWord}${bobWord}`);
    expect(characterCounts(text)).toEqual(expectedCounts);
    // ...and with FugueMax the two runs do not interleave: both orders are valid.
    expect([`<${aliceWord}${bobWord}>`, `<${bobWord}${aliceWord}>`]).toContain(text);

    const carol = await openEditor(browser, docId);
    await expect(carol.editor).toHaveValue(text);

    await Promise.all([alice.context.close(), bob.context.close(), carol.context.close()]);
  });

  test('both typing in several rounds and deleting stay identical', async ({ browser }) => {
    const docId = uniqueDocId('e2e-rounds');
    const alice = await openEditor(browser, docId);
    const bob = await openEditor(browser, docId);

    await moveCaret(alice, 'end');
    await moveCaret(bob, 'end');
    const words: string[] = [];
    for (let round = 0; round < 3; round++) {
      const a = `a${round}xyz`;
      const b = `b${round}qrs`;
      words.push(a, b);
      await Promise.all([alice.editor.pressSequentially(a, { delay: 5 }), bob.editor.pressSequentially(b, { delay: 5 })]);
    }
    const text = await expectConverged([alice, bob], words);
    expect(text.length).toBe(words.join('').length);

    // Alice deletes her last word with backspaces while Bob keeps typing at his caret.
    await Promise.all([
      (async () => {
        for (let i = 0; i < 5; i++) await alice.page.keyboard.press('Backspace');
      })(),
      bob.editor.pressSequentially('!tail', { delay: 5 }),
    ]);
    const after = await expectConverged([alice, bob], ['!tail']);
    expect(after).not.toContain('a2xyz');
    expect(after.length).toBe(text.length - 5 + 5);

    await Promise.all([alice.context.close(), bob.context.close()]);
  });

  test('a browser that goes offline keeps editing and merges when back online', async ({ browser }) => {
    const docId = uniqueDocId('e2e-offline');
    const alice = await openEditor(browser, docId);
    const bob = await openEditor(browser, docId);

    await moveCaret(alice, 'end');
    await alice.editor.pressSequentially('shared;');
    await expect(bob.editor).toHaveValue('shared;');

    await alice.context.setOffline(true);
    await expect(alice.status).toHaveText('offline');
    await moveCaret(alice, 'end');
    await alice.editor.pressSequentially('made-offline;');
    await moveCaret(bob, 'start');
    await bob.editor.pressSequentially('while-away;');
    await expect(bob.editor).toHaveValue('while-away;shared;');

    await alice.context.setOffline(false);
    await expect(alice.status).toHaveText('live');
    const text = await expectConverged([alice, bob], ['made-offline;', 'while-away;']);
    expect(text).toBe('while-away;shared;made-offline;');

    await Promise.all([alice.context.close(), bob.context.close()]);
  });
});
