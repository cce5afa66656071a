import { expect, test } from '@playwright/test';
import { moveCaret, openEditor, uniqueDocId } from './helpers';

test.describe('presence and title', () => {
  test('each editor sees the other, with a remote caret, and the shared title', async ({ browser }) => {
    const docId = uniqueDocId('e2e-presence');
    const alice = await openEditor(browser, docId);
    const bob = await openEditor(browser, docId);

    await expect(alice.page.getByTestId('peer-count')).toHaveText('2');
    await expect(bob.page.getByTestId('peer-count')).toHaveText('2');

    await moveCaret(alice, 'end');
    await alice.editor.pressSequentially('where is my caret');
    await expect(bob.editor).toHaveValue('where is my caret');
    // Alice's caret is drawn in Bob's editor.
    await expect(bob.page.getByTestId('remote-caret')).toHaveCount(1);

    await alice.page.getByTestId('title').fill('Shared title');
    await expect(bob.page.getByTestId('title')).toHaveValue('Shared title');

    // Alice leaves: Bob is alone again.
    await alice.context.close();
    await expect(bob.page.getByTestId('peer-count')).toHaveText('1');
    await expect(bob.page.getByTestId('remote-caret')).toHaveCount(0);
    await bob.context.close();
  });
});
