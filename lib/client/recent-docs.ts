/**
 * The documents this browser opened recently, kept in localStorage. Storage and time are passed in
 * so the logic is testable in Node; corrupt or foreign data is ignored, never thrown.
 */
import { isDocId, type DocId } from './doc-id';

/** One recently opened document. */
export interface RecentDoc {
  readonly id: DocId;
  /** Milliseconds since the epoch of the last visit. */
  readonly openedAt: number;
}

/** The part of `Storage` used here. */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** The localStorage key. */
export const RECENT_DOCS_KEY = 'tandem.recentDocs.v1';

/** How many documents are remembered. */
export const RECENT_DOCS_LIMIT = 20;

/** The remembered documents, most recent first. */
export function readRecentDocs(storage: StorageLike): RecentDoc[] {
  let raw: string | null;
  try {
    raw = storage.getItem(RECENT_DOCS_KEY);
  } catch {
    return [];
  }
  if (raw === null) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  const docs: RecentDoc[] = [];
  const seen = new Set<string>();
  for (const entry of parsed) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { id, openedAt } = entry as { id?: unknown; openedAt?: unknown };
    if (typeof id !== 'string' || !isDocId(id) || seen.has(id)) continue;
    if (typeof openedAt !== 'number' || !Number.isFinite(openedAt)) continue;
    seen.add(id);
    docs.push({ id, openedAt });
  }
  return docs.sort((a, b) => b.openedAt - a.openedAt).slice(0, RECENT_DOCS_LIMIT);
}

/** Records a visit to `id` at `now`; returns the new list. Storage failures (quota, privacy mode) are ignored. */
export function rememberRecentDoc(storage: StorageLike, id: DocId, now: number): RecentDoc[] {
  const docs = [{ id, openedAt: now }, ...readRecentDocs(storage).filter((doc) => doc.id !== id)].slice(0, RECENT_DOCS_LIMIT);
  try {
    storage.setItem(RECENT_DOCS_KEY, JSON.stringify(docs));
  } catch {
    // Not being able to remember is not worth bothering the user.
  }
  return docs;
}
