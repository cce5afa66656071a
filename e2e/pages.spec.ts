import { expect, test } from '@playwright/test';
import { openEditor, uniqueDocId } from './helpers';

test.describe('pages', () => {
  test('the home page lists a document after it has been edited', async ({ browser }) => {
    const docId = uniqueDocId('e2e-listed');
    const writer = await openEditor(browser, docId);
    await writer.editor.pressSequentially('hello listing');
    await expect(writer.editor).toHaveValue('hello listing');

    const home = await writer.context.newPage();
    await home.goto('/');
    await expect(home.getByTestId('relay-docs').getByRole('link', { name: docId, exact: true })).toBeVisible();
    // This browser opened it, so it is also under "Opened in this browser".
    await expect(home.getByTestId('recent-docs').getByRole('link', { name: docId, exact: true })).toBeVisible();

    // Following the link opens the same text.
    await home.getByTestId('relay-docs').getByRole('link', { name: docId, exact: true }).click();
    await expect(home.getByTestId('status')).toHaveText('live');
    await expect(home.getByTestId('editor')).toHaveValue('hello listing');
    await writer.context.close();
  });

  test('"New document" with a typed name opens that document', async ({ page }) => {
    const name = uniqueDocId('Fresh Notes');
    await page.goto('/');
    await page.getByLabel('Document name').fill(name);
    await page.getByRole('button', { name: 'New document' }).click();
    await expect(page).toHaveURL(new RegExp(`/d/${name.toLowerCase().replace(/ /g, '-')}$`));
    await expect(page.getByTestId('status')).toHaveText('live');
  });

  test('"New document" without a name opens a random readable id', async ({ page }) => {
    await page.goto('/');
    await page.getByRole('button', { name: 'New document' }).click();
    await expect(page).toHaveURL(/\/d\/[a-z]+-[a-z]+-\d{4}$/);
    await expect(page.getByTestId('status')).toHaveText('live');
  });

  test('a bad document id shows the error page', async ({ page }) => {
    const response = await page.goto('/d/bad%20id!');
    expect(response?.status()).toBe(404);
    await expect(page.getByTestId('invalid-doc-id')).toBeVisible();
    await expect(page.getByTestId('invalid-doc-id')).toContainText('bad id!');
    await expect(page.getByRole('heading', { name: 'Invalid document id' })).toBeVisible();
    await expect(page.getByTestId('editor')).toHaveCount(0);

    await page.goto(`/d/${'x'.repeat(129)}`);
    await expect(page.getByRole('heading', { name: 'Invalid document id' })).toBeVisible();
  });
});
