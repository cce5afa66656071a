/** SqliteStorage: the shared contract, durability across reopen, checksums, compaction. */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { describeStorageContract } from '../core/storage-suite';
import { asIndex, asNodeId, asTerm, type Entry } from '../core/types';
import { SqliteStorage, StorageCorruptionError, StorageWriteError } from './sqlite';

const root = mkdtempSync(join(tmpdir(), 'raft-sqlite-'));
let counter = 0;
const freshPath = () => join(root, `db-${++counter}.sqlite`);
const opened: SqliteStorage[] = [];
const open = (path: string) => {
  const s = SqliteStorage.open({ path, voters: [asNodeId(1), asNodeId(2), asNodeId(3)] });
  opened.push(s);
  return s;
};
afterAll(() => {
  for (const s of opened) s.close();
  rmSync(root, { recursive: true, force: true });
});

const bytes = (s: string) => new TextEncoder().encode(s);
const entry = (index: number, term: number, data = `e${index}`): Entry => ({ index: asIndex(index), term: asTerm(term), data: bytes(data) });

describeStorageContract('SqliteStorage', () => open(freshPath()));

describe('SqliteStorage background checkpoints', () => {
  it('the worker copies the WAL into the database file while the writer goes on (no inline checkpoint needed)', async () => {
    const path = freshPath();
    const s = open(path);
    const payload = 'x'.repeat(4000);
    // About 1,500 pages: below the inline auto-checkpoint bound, so only the worker can move them.
    for (let k = 1; k <= 300; k++) s.batch(() => s.append([entry(k, 1, payload)]));
    await vi.waitFor(() => expect(statSync(path).size).toBeGreaterThan(1_000_000), { timeout: 10_000, interval: 50 });
    expect(s.entries(asIndex(300), asIndex(301), Infinity)[0]!.data).toEqual(bytes(payload));
    s.close();
    const r = open(path);
    expect(r.lastIndex()).toBe(300);
  });
});

describe('SqliteStorage WAL preallocation', () => {
  const openPreallocated = (path: string, bytes: number) => {
    const s = SqliteStorage.open({ path, voters: [asNodeId(1)], walPreallocateBytes: bytes });
    opened.push(s);
    return s;
  };

  it('grows the WAL once at open (zeros after its end, the database file untouched), keeps what is stored, and commits reuse the file without growing it', () => {
    const path = freshPath();
    const first = open(path);
    first.batch(() => {
      first.append([entry(1, 1), entry(2, 1, 'two')]);
      first.setHardState({ term: asTerm(1), vote: asNodeId(1), commit: asIndex(1) });
    });
    first.close(); // a clean close checkpoints and deletes the WAL
    const s = openPreallocated(path, 1 << 20);
    const walSize = statSync(`${path}-wal`).size;
    expect(walSize).toBeGreaterThanOrEqual(1 << 20);
    expect(s.initialState().hardState).toEqual({ term: 1, vote: 1, commit: 1 });
    expect(s.entries(asIndex(1), asIndex(3), Infinity).map((e) => e.data)).toEqual([bytes('e1'), bytes('two')]);
    const db = new Database(path, { readonly: true });
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'wal_preallocation'").get()).toEqual({ n: 0 });
    // The database file is not grown with it: no free list for every later append to update.
    expect(db.pragma('freelist_count', { simple: true })).toBe(0);
    db.close();
    for (let k = 3; k <= 50; k++) s.batch(() => s.append([entry(k, 1, 'y'.repeat(2000))]));
    expect(statSync(`${path}-wal`).size).toBe(walSize);
    s.close();
    const r = openPreallocated(path, 1 << 20);
    expect(r.lastIndex()).toBe(50);
    expect(r.entries(asIndex(50), asIndex(51), Infinity)[0]!.data).toEqual(bytes('y'.repeat(2000)));
  });

  it('does nothing when the WAL is already that large (a reopen after a crash keeps its WAL as it is)', () => {
    const path = freshPath();
    const s = openPreallocated(path, 256 << 10);
    s.batch(() => s.append([entry(1, 1)]));
    const before = statSync(`${path}-wal`).size;
    const again = openPreallocated(path, 128 << 10); // a second connection, as after a restart without a clean close
    expect(statSync(`${path}-wal`).size).toBe(before);
    expect(again.entries(asIndex(1), asIndex(2), Infinity)[0]!.data).toEqual(bytes('e1'));
  });
});

describe('SqliteStorage durability', () => {
  it('reopen after close keeps hard state, entries and snapshot (one batch = one transaction)', () => {
    const path = freshPath();
    const s = open(path);
    s.batch(() => {
      s.append([entry(1, 1), entry(2, 1), entry(3, 2)]);
      s.setHardState({ term: asTerm(2), vote: asNodeId(3), commit: asIndex(2) });
    });
    s.createSnapshot(asIndex(2), bytes('state@2'));
    s.close();
    const r = open(path);
    expect(r.initialState()).toEqual({ hardState: { term: 2, vote: 3, commit: 2 }, voters: [1, 2, 3] });
    expect(r.lastIndex()).toBe(3);
    expect(r.entries(asIndex(1), asIndex(4), Infinity).map((e) => new TextDecoder().decode(e.data))).toEqual(['e1', 'e2', 'e3']);
    expect(r.snapshot().index).toBe(2);
    expect(new TextDecoder().decode(r.snapshot().data)).toBe('state@2');
  });

  it('a new database has the WITHOUT ROWID meta table; one made with the older rowid meta table still works and keeps its table', () => {
    const fresh = freshPath();
    open(fresh).close();
    const sqlOf = (path: string) => {
      const db = new Database(path);
      const row = db.prepare(`SELECT sql FROM sqlite_master WHERE name = 'meta'`).get() as { sql: string };
      db.close();
      return row.sql;
    };
    expect(sqlOf(fresh)).toContain('WITHOUT ROWID');
    const old = freshPath();
    const db = new Database(old);
    db.pragma('journal_mode = WAL');
    db.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL, crc INTEGER NOT NULL)`);
    db.close();
    const s = open(old);
    s.batch(() => {
      s.append([entry(1, 1), entry(2, 1)]);
      s.setHardState({ term: asTerm(1), vote: asNodeId(2), commit: asIndex(1) });
    });
    s.setHardState({ term: asTerm(1), vote: asNodeId(2), commit: asIndex(2) });
    s.close();
    const r = open(old);
    expect(r.initialState().hardState).toEqual({ term: 1, vote: 2, commit: 2 });
    expect(r.lastIndex()).toBe(2);
    expect(sqlOf(old)).not.toContain('WITHOUT ROWID');
  });

  it('syncInBackground: an unsynced batch is made durable off the event loop; a failed fsync poisons the storage', async () => {
    const path = freshPath();
    const s = open(path);
    s.batch(() => s.append([entry(1, 1, 'unsynced')]), false);
    await new Promise<void>((resolve, reject) => s.syncInBackground((error) => (error ? reject(error) : resolve())));
    // Two at once (the second covers the first): both complete.
    s.batch(() => s.append([entry(2, 1)]), false);
    const both = [0, 1].map(() => new Promise<Error | undefined>((resolve) => s.syncInBackground(resolve)));
    expect(await Promise.all(both)).toEqual([undefined, undefined]);
    s.close();
    expect(open(path).entries(asIndex(1), asIndex(3), Infinity).map((e) => new TextDecoder().decode(e.data))).toEqual(['unsynced', 'e2']);
    // The WAL descriptor fails under it: the fsync error is a StorageWriteError and later calls throw it.
    const t = open(freshPath());
    t.batch(() => t.append([entry(1, 1)]), false);
    await new Promise<void>((resolve) => t.syncInBackground(() => resolve()));
    const { closeSync } = await import('node:fs');
    closeSync((t as unknown as { wal: { fd: number } }).wal.fd);
    const failure = await new Promise<Error | undefined>((resolve) => t.syncInBackground(resolve));
    expect(failure).toBeInstanceOf(StorageWriteError);
    expect(() => t.append([entry(2, 1)])).toThrow(StorageWriteError);
  });

  it('a failed batch leaves nothing behind and poisons the storage', () => {
    const path = freshPath();
    const s = open(path);
    s.append([entry(1, 1)]);
    expect(() =>
      s.batch(() => {
        s.append([entry(2, 1)]);
        throw new Error('disk full');
      }),
    ).toThrow(StorageWriteError);
    expect(() => s.lastIndex() + s.term(asIndex(1))).toThrow(StorageWriteError);
    s.close();
    expect(open(path).lastIndex()).toBe(1);
  });

  it('compaction survives reopen: first index, term of the compacted entry, snapshot', () => {
    const path = freshPath();
    const s = open(path);
    s.append(Array.from({ length: 10 }, (_, k) => entry(k + 1, k < 5 ? 1 : 2)));
    s.createSnapshot(asIndex(8), bytes('state@8'));
    s.compact(asIndex(6));
    s.close();
    const r = open(path);
    expect(r.firstIndex()).toBe(7);
    expect(r.lastIndex()).toBe(10);
    expect(r.term(asIndex(6))).toBe(2);
    expect(r.entries(asIndex(7), asIndex(11), Infinity)).toHaveLength(4);
    expect(r.snapshot().index).toBe(8);
  });

  it('applySnapshot survives reopen', () => {
    const path = freshPath();
    const s = open(path);
    s.append([entry(1, 1), entry(2, 1)]);
    s.applySnapshot({ index: asIndex(20), term: asTerm(4), voters: [asNodeId(1), asNodeId(2), asNodeId(3)], data: bytes('sm@20') });
    s.close();
    const r = open(path);
    expect(r.firstIndex()).toBe(21);
    expect(r.term(asIndex(20))).toBe(4);
    expect(r.snapshot().voters).toEqual([1, 2, 3]);
  });
});

describe('SqliteStorage checksums', () => {
  const flip = (path: string, sql: string) => {
    const db = new Database(path);
    db.exec(sql);
    db.close();
  };

  it('a flipped byte in a stored entry is detected at open (StorageCorruptionError)', () => {
    const path = freshPath();
    const s = open(path);
    s.append([entry(1, 1, 'hello'), entry(2, 1, 'world')]);
    s.close();
    flip(path, `UPDATE entries SET data = X'68656c6c6e' WHERE idx = 1`); // "hello" -> "helln"
    expect(() => open(path)).toThrow(StorageCorruptionError);
  });

  it('an entry corrupted while open is detected on read', () => {
    const path = freshPath();
    const s = open(path);
    s.append([entry(1, 1, 'hello'), entry(2, 1, 'world')]);
    flip(path, `UPDATE entries SET term = 7 WHERE idx = 2`);
    expect(() => s.entries(asIndex(1), asIndex(3), Infinity)).toThrow(StorageCorruptionError);
  });

  it('a corrupt hard state or snapshot is detected at open', () => {
    const path = freshPath();
    const s = open(path);
    s.append([entry(1, 1)]);
    s.setHardState({ term: asTerm(1), vote: asNodeId(1), commit: asIndex(1) });
    s.createSnapshot(asIndex(1), bytes('snapshot-data'));
    s.close();
    flip(path, `UPDATE meta SET crc = crc + 1 WHERE key = 'snapshot'`);
    expect(() => open(path)).toThrow(/snapshot.*checksum/);
    flip(path, `UPDATE meta SET crc = crc - 1 WHERE key = 'snapshot'`);
    expect(open(path).snapshot().index).toBe(1);
    flip(path, `UPDATE meta SET value = X'0909' WHERE key = 'hard'`);
    expect(() => open(path)).toThrow(StorageCorruptionError);
  });

  it('a missing entry (a gap) is corruption', () => {
    const path = freshPath();
    const s = open(path);
    s.append([entry(1, 1), entry(2, 1), entry(3, 1)]);
    s.close();
    flip(path, `DELETE FROM entries WHERE idx = 2`);
    expect(() => open(path)).toThrow(/gap/);
  });
});

describe('SqliteStorage empty payloads', () => {
  it('an empty entry (Raft no-op) read back from disk passes its checksum (regression: zlib.crc32 of an empty blob)', () => {
    const path = freshPath();
    const s = open(path);
    const view = Buffer.from([9, 9, 9]).subarray(1, 1);
    s.append([{ index: asIndex(1), term: asTerm(1), data: view }]);
    expect(s.entries(asIndex(1), asIndex(2), Infinity)[0]!.data.length).toBe(0);
    s.close();
    expect(open(path).entries(asIndex(1), asIndex(2), Infinity)).toHaveLength(1);
  });
});

describe('SqliteStorage unsynced batches', () => {
  it('a batch with sync=false (commit index only) is still there after reopen, and later synced batches work', () => {
    const path = freshPath();
    const s = open(path);
    s.batch(() => s.append([entry(1, 1)]));
    s.batch(() => s.setHardState({ term: asTerm(1), vote: asNodeId(1), commit: asIndex(1) }), false);
    s.batch(() => s.append([entry(2, 1)]));
    s.close();
    const r = open(path);
    expect(r.initialState().hardState.commit).toBe(1);
    expect(r.lastIndex()).toBe(2);
  });
});
