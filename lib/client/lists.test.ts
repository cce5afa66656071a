import { describe, expect, it } from 'vitest';
import { DocListError, fetchDocListing, parseDocListing } from './doc-list';
import { readRecentDocs, RECENT_DOCS_KEY, RECENT_DOCS_LIMIT, rememberRecentDoc, type StorageLike } from './recent-docs';
import type { DocId } from './doc-id';

class MemoryStorage implements StorageLike {
  readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
}

describe('relay document listing', () => {
  it('reads the common envelopes and drops invalid ids', () => {
    const bare = { clients: null, title: null, updatedAt: null };
    expect(parseDocListing(['b', 'a', 'bad id'])).toEqual([
      { id: 'a', ...bare },
      { id: 'b', ...bare },
    ]);
    expect(
      parseDocListing({
        docs: [
          { id: 'x', clients: 2, title: 'Notes', updatedAt: '2026-01-01T00:00:00.000Z' },
          { docId: 'y', connections: [1, 2, 3], title: '  ' },
        ],
      }),
    ).toEqual([
      { id: 'x', clients: 2, title: 'Notes', updatedAt: '2026-01-01T00:00:00.000Z' },
      { id: 'y', ...bare, clients: 3 },
    ]);
    expect(parseDocListing({ rooms: [{ name: 'z' }] })).toEqual([{ id: 'z', ...bare }]);
    expect(() => parseDocListing({ nope: 1 })).toThrow(DocListError);
  });

  it('reports an unreachable relay and a bad body as typed errors', async () => {
    const down = () => Promise.reject(new TypeError('fetch failed'));
    await expect(fetchDocListing(down, 'http://127.0.0.1:1/docs')).rejects.toMatchObject({ kind: 'unreachable' });
    const notJson = () => Promise.resolve(new Response('<html>', { status: 200 }));
    await expect(fetchDocListing(notJson, 'http://x/docs')).rejects.toMatchObject({ kind: 'bad-response' });
    const http500 = () => Promise.resolve(new Response('', { status: 500 }));
    await expect(fetchDocListing(http500, 'http://x/docs')).rejects.toMatchObject({ kind: 'unreachable' });
    const ok = () => Promise.resolve(Response.json({ docs: ['hello'] }));
    await expect(fetchDocListing(ok, 'http://x/docs')).resolves.toEqual([{ id: 'hello', clients: null, title: null, updatedAt: null }]);
  });
});

describe('recently opened documents', () => {
  it('keeps the most recent visit first, once per id, up to the limit', () => {
    const storage = new MemoryStorage();
    rememberRecentDoc(storage, 'a' as DocId, 1);
    rememberRecentDoc(storage, 'b' as DocId, 2);
    rememberRecentDoc(storage, 'a' as DocId, 3);
    expect(readRecentDocs(storage)).toEqual([
      { id: 'a', openedAt: 3 },
      { id: 'b', openedAt: 2 },
    ]);
    for (let i = 0; i < 30; i++) rememberRecentDoc(storage, `d${i}` as DocId, 10 + i);
    const docs = readRecentDocs(storage);
    expect(docs).toHaveLength(RECENT_DOCS_LIMIT);
    expect(docs[0]?.id).toBe('d29');
  });

  it('ignores corrupt or foreign data and failing storage', () => {
    const storage = new MemoryStorage();
    storage.setItem(RECENT_DOCS_KEY, '{not json');
    expect(readRecentDocs(storage)).toEqual([]);
    storage.setItem(RECENT_DOCS_KEY, JSON.stringify([{ id: 'ok', openedAt: 1 }, { id: 'bad id', openedAt: 2 }, 7, null]));
    expect(readRecentDocs(storage)).toEqual([{ id: 'ok', openedAt: 1 }]);
    const failing: StorageLike = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
    };
    expect(readRecentDocs(failing)).toEqual([]);
    expect(rememberRecentDoc(failing, 'x' as DocId, 1)).toEqual([{ id: 'x', openedAt: 1 }]);
  });
});
