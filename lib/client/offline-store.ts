/**
 * The browser's copy of each document, so edits made offline survive a reload or a closed tab and
 * are sent by the next handshake. One record per document: the whole encoded state (`doc.encode()`),
 * written a moment after each change. An in-memory implementation sits beside the IndexedDB one.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';

/** Where document states are kept. */
export interface DocStore {
  /** The stored state of `docId`, or null. */
  load(docId: string): Promise<Uint8Array | null>;
  /** Replaces the stored state of `docId`. */
  save(docId: string, state: Uint8Array): Promise<void>;
}

/** A `DocStore` in memory (tests, and browsers without IndexedDB). */
export class MemoryDocStore implements DocStore {
  private readonly states = new Map<string, Uint8Array>();
  async load(docId: string): Promise<Uint8Array | null> {
    return this.states.get(docId) ?? null;
  }
  async save(docId: string, state: Uint8Array): Promise<void> {
    this.states.set(docId, state.slice());
  }
}

interface TandemDb extends DBSchema {
  docs: { key: string; value: { state: Uint8Array; savedAt: number } };
}

/** A `DocStore` in IndexedDB (database `tandem`, object store `docs`). */
export class IdbDocStore implements DocStore {
  private db: Promise<IDBPDatabase<TandemDb>> | null = null;

  constructor(private readonly now: () => number) {}

  private open(): Promise<IDBPDatabase<TandemDb>> {
    this.db ??= openDB<TandemDb>('tandem', 1, {
      upgrade(db) {
        if (!db.objectStoreNames.contains('docs')) db.createObjectStore('docs');
      },
    });
    return this.db;
  }

  async load(docId: string): Promise<Uint8Array | null> {
    const record = await (await this.open()).get('docs', docId);
    return record === undefined ? null : new Uint8Array(record.state);
  }

  async save(docId: string, state: Uint8Array): Promise<void> {
    await (await this.open()).put('docs', { state, savedAt: this.now() }, docId);
  }
}

/** The document operations the saver needs (`Doc` satisfies it). */
export interface SavableDoc {
  encode(): Uint8Array;
}

/**
 * Saves `doc` to `store` at most once per `delayMs` after changes (call `markDirty()` on every
 * change), and at once on `flush()`. Failures are reported to `onError` and retried on the next change.
 */
export class DocSaver {
  private timer: unknown = null;
  private dirty = false;
  private saving: Promise<void> | null = null;

  constructor(
    private readonly docId: string,
    private readonly doc: SavableDoc,
    private readonly store: DocStore,
    private readonly timers: { setTimeout(callback: () => void, ms: number): unknown; clearTimeout(handle: unknown): void },
    private readonly delayMs = 250,
    private readonly onError: (error: unknown) => void = () => {},
    /** Called with true when a change is waiting to be saved, false once everything is saved. */
    private readonly onPendingChange: (pending: boolean) => void = () => {},
  ) {}

  private pending = false;

  private setPending(pending: boolean): void {
    if (pending === this.pending) return;
    this.pending = pending;
    this.onPendingChange(pending);
  }

  /** Something changed: save soon. */
  markDirty(): void {
    this.dirty = true;
    this.setPending(true);
    if (this.timer === null) {
      this.timer = this.timers.setTimeout(() => {
        this.timer = null;
        void this.flush();
      }, this.delayMs);
    }
  }

  /** Saves now if anything changed since the last save. */
  async flush(): Promise<void> {
    if (this.timer !== null) {
      this.timers.clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.saving !== null) await this.saving;
    if (!this.dirty) {
      if (this.saving === null && this.timer === null) this.setPending(false);
      return;
    }
    this.dirty = false;
    this.saving = this.store.save(this.docId, this.doc.encode()).catch((error: unknown) => {
      this.dirty = true;
      this.onError(error);
    });
    try {
      await this.saving;
    } finally {
      this.saving = null;
    }
    if (!this.dirty && this.timer === null) this.setPending(false);
  }
}
