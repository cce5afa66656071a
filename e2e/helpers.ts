import { expect, type Browser, type BrowserContext, type Locator, type Page } from '@playwright/test';

/** A document id no other test (or earlier run against the same relay) uses. */
export function uniqueDocId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e9).toString(36)}`;
}

/** One browser context with the editor open on a document. */
export interface EditorSession {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly editor: Locator;
  readonly status: Locator;
}

/** Opens `/d/<id>` in a fresh context and waits until the editor is live. */
export async function openEditor(browser: Browser, docId: string): Promise<EditorSession> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`/d/${docId}`);
  const status = page.getByTestId('status');
  const editor = page.getByTestId('editor');
  await expect(status).toHaveText('live');
  await expect(editor).toBeEnabled();
  return { context, page, editor, status };
}

/** Puts the caret at the start or the end of the textarea. */
export async function moveCaret(session: EditorSession, where: 'start' | 'end'): Promise<void> {
  await session.editor.focus();
  await session.page.keyboard.press(where === 'start' ? 'Control+Home' : 'Control+End');
}

/** Puts the caret at `index` (UTF-16) in the textarea. */
export async function placeCaret(session: EditorSession, index: number): Promise<void> {
  await session.editor.focus();
  await session.editor.evaluate((element, at) => {
    (element as HTMLTextAreaElement).setSelectionRange(at, at);
  }, index);
}

/** Escapes a string for use inside a RegExp. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Waits until every editor shows every word (each contiguously), then checks they all show
 * exactly the same text; returns that text.
 */
export async function expectConverged(sessions: readonly EditorSession[], words: readonly string[]): Promise<string> {
  for (const session of sessions) {
    for (const word of words) await expect(session.editor).toHaveValue(new RegExp(escapeRegExp(word)));
  }
  const text = await sessions[0]!.editor.inputValue();
  for (const session of sessions.slice(1)) await expect(session.editor).toHaveValue(text);
  return text;
}

/** Counts each character of `text`. */
export function characterCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const char of text) counts.set(char, (counts.get(char) ?? 0) + 1);
  return counts;
}
