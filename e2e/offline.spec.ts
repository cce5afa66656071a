import { expect, test } from '@playwright/test';
import { openEditor, uniqueDocId } from './helpers';

test.describe('offline', () => {
  test('edits made while the relay is unreachable survive a reload and reach others later', async ({ browser }) => {
    const docId = uniqueDocId('e2e-persist');
    const context = await browser.newContext();
    let relayReachable = false;
    await context.routeWebSocket(/\/doc\//, (socket) => {
      if (relayReachable) socket.connectToServer();
      else socket.close({ code: 4000, reason: 'relay unreachable (test)' });
    });
    const page = await context.newPage();
    await page.goto(`/d/${docId}`);
    const editor = page.getByTestId('editor');
    await expect(editor).toBeEnabled();
    await expect(page.getByTestId('status')).not.toHaveText('live');
    await editor.pressSequentially('kept in this browser');
    await expect(page.getByTestId('local-save')).toHaveText('saved');

    await page.reload();
    await expect(editor).toHaveValue('kept in this browser');
    await expect(page.getByTestId('status')).not.toHaveText('live');

    // The relay comes back; the browser's online event makes it reconnect at once.
    relayReachable = true;
    await context.setOffline(true);
    await expect(page.getByTestId('status')).toHaveText('offline');
    await context.setOffline(false);
    await expect(page.getByTestId('status')).toHaveText('live');

    const other = await openEditor(browser, docId);
    await expect(other.editor).toHaveValue('kept in this browser');
    await Promise.all([context.close(), other.context.close()]);
  });

  test('the home page says so when the relay is unreachable', async ({ page }) => {
    await page.route(/:4199\/docs$/, (route) => route.abort('connectionrefused'));
    await page.route(/\/api\/docs$/, (route) => route.fulfill({ status: 502, json: { error: 'cannot reach relay' } }));
    await page.goto('/');
    await expect(page.getByTestId('relay-unreachable')).toContainText('The relay is unreachable.');
    // Creating a document still works.
    await expect(page.getByRole('button', { name: 'New document' })).toBeEnabled();
  });
});
