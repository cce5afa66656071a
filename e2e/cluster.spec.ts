import { expect, test } from '@playwright/test';

test.describe('cluster page', () => {
  test('shows the relay and the three Raft nodes with exactly one leader', async ({ page }) => {
    await page.goto('/');
    await page.getByRole('link', { name: 'Cluster' }).click();
    await expect(page).toHaveURL(/\/cluster$/);
    await expect(page.getByRole('heading', { name: 'Cluster' })).toBeVisible();

    const raftRows = page.getByTestId('raft-row');
    await expect(raftRows).toHaveCount(3);
    // The group may still be settling right after start; the page refreshes itself every second.
    await expect(page.locator('[data-testid="raft-row"][data-role="leader"]')).toHaveCount(1, { timeout: 15_000 });
    await expect(page.locator('[data-testid="raft-row"][data-role="follower"]')).toHaveCount(2);
    await expect(page.getByTestId('raft-summary')).toContainText(/Leader: node \d \(term \d+\) · 3 of 3 nodes answer/);

    const relayRows = page.getByTestId('relay-row');
    await expect(relayRows).toHaveCount(1);
    await expect(relayRows.first()).toContainText('ok');
    await expect(relayRows.first()).toContainText('raft 127.0.0.1:');

    // Live: the timestamp moves without a reload.
    const first = await page.getByTestId('cluster-updated').textContent();
    await expect(page.getByTestId('cluster-updated')).not.toHaveText(first ?? '', { timeout: 5_000 });
  });
});
