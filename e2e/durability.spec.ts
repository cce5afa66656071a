import { expect, test } from '@playwright/test';
import { openEditor, uniqueDocId } from './helpers';

test.describe('durability through the Raft group', () => {
  test('typed edits are acknowledged as saved, and a browser that opens the document later reads them back', async ({ browser }) => {
    const docId = uniqueDocId('e2e-durable');
    const writer = await openEditor(browser, docId);
    const durability = writer.page.getByTestId('durability');
    await writer.editor.pressSequentially('saved by a majority');
    // The relay batches the room into the group; the ack's durable vector covers every edit.
    await expect(durability).toHaveText('all changes saved');
    await writer.context.close();

    const reader = await openEditor(browser, docId);
    await expect(reader.editor).toHaveValue('saved by a majority');
    await expect(reader.page.getByTestId('durability')).toHaveText('all changes saved');
    await reader.context.close();
  });
});
