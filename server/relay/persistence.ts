/**
 * Where the relay keeps documents durably: the `DocumentPersistence` seam, an in-memory
 * implementation for tests, and the Raft implementation on `RaftClient` (server/raft/client).
 *
 * Contract (what every implementation promises):
 * - `load(docId)` returns the document's stored state as of a moment after the call began
 *   (linearizable for Raft), with that state's version vector; both null when nothing is stored.
 * - `merge(docId, update)` resolves only once the update is durable (for Raft: committed on a
 *   majority and applied), with the document's version vector after it. Merging is idempotent and
 *   commutative, so a retry after an ambiguous failure is harmless.
 * - A failure that retrying cannot fix rejects with `PersistenceRejectedError`; any other rejection
 *   (`PersistenceUnavailableError` or else) may succeed later.
 */
import { Doc } from '../../lib/crdt';
import type { DocId } from '../../lib/sync/protocol';
import { isDocId } from '../../lib/sync/protocol';
import { RaftClient, RaftInvalidUpdateError, type RaftClientOptions } from '../raft/client';

/** A document as stored. */
export interface StoredDocument {
  /** `Doc.encode()` bytes, or null when nothing was ever stored. */
  readonly state: Uint8Array | null;
  /** The stored state's version vector (`Doc.encodeStateVector()` bytes), or null when nothing is stored. */
  readonly stateVector: Uint8Array | null;
}

/** The durable store behind a relay. */
export interface DocumentPersistence {
  /** Human-readable description for the startup line, e.g. `raft 127.0.0.1:7101,...`. */
  readonly description: string;
  /** Client addresses (`host:port`) of the Raft nodes behind this store; empty when there are none. */
  readonly raftNodes: readonly string[];
  /** The stored document (see the module contract). */
  load(docId: DocId): Promise<StoredDocument>;
  /** Makes `update` durable; resolves with the document's version vector after it. */
  merge(docId: DocId, update: Uint8Array): Promise<Uint8Array>;
  /** Ids of every stored document, sorted. */
  list(): Promise<DocId[]>;
  /** Releases connections; pending calls may fail. */
  close(): void;
}

/** The store refused the update for good (it does not decode, or clashes with a field's type). */
export class PersistenceRejectedError extends Error {
  override readonly name = 'PersistenceRejectedError';
}

/** The store cannot answer now; retry later. */
export class PersistenceUnavailableError extends Error {
  override readonly name = 'PersistenceUnavailableError';
}

/**
 * Documents in memory, for unit tests: `available = false` makes every call fail with
 * `PersistenceUnavailableError`; `hold()` keeps merges waiting until `release()`.
 */
export class MemoryPersistence implements DocumentPersistence {
  readonly description = 'memory';
  readonly raftNodes: readonly string[] = [];
  readonly docs = new Map<DocId, Doc>();
  available = true;
  /** Every merge call, in order (including failed ones). */
  readonly merges: { readonly docId: DocId; readonly update: Uint8Array }[] = [];
  loads = 0;
  private held: (() => void)[] | null = null;

  async load(docId: DocId): Promise<StoredDocument> {
    this.loads++;
    this.check();
    const doc = this.docs.get(docId);
    if (doc === undefined) return { state: null, stateVector: null };
    return { state: doc.encode(), stateVector: doc.encodeStateVector() };
  }

  async merge(docId: DocId, update: Uint8Array): Promise<Uint8Array> {
    this.merges.push({ docId, update });
    if (this.held !== null) await new Promise<void>((resolve) => this.held!.push(resolve));
    this.check();
    const doc = this.docs.get(docId) ?? new Doc();
    try {
      doc.apply(update);
    } catch (error) {
      throw new PersistenceRejectedError(`update rejected: ${String(error)}`);
    }
    this.docs.set(docId, doc);
    return doc.encodeStateVector();
  }

  async list(): Promise<DocId[]> {
    this.check();
    return [...this.docs.keys()].sort();
  }

  /** Merges wait from now on until `release()`. */
  hold(): void {
    this.held ??= [];
  }

  /** Lets held merges go on (they then see `available`). */
  release(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const resolve of held) resolve();
  }

  close(): void {
    this.release();
  }

  private check(): void {
    if (!this.available) throw new PersistenceUnavailableError('memory persistence is unavailable');
  }
}

/** The Raft persistence group through `RaftClient` (linearizable loads, merges on the leader). */
export class RaftPersistence implements DocumentPersistence {
  readonly description: string;
  readonly raftNodes: readonly string[];
  private readonly client: RaftClient;

  constructor(options: RaftClientOptions) {
    // The relay batches itself; the client's own window only adds latency.
    this.client = new RaftClient({ batchWindowMs: 0, requestTimeoutMs: 2000, deadlineMs: 8000, ...options });
    this.description = `raft ${options.nodes.join(',')}`;
    this.raftNodes = [...options.nodes];
  }

  async load(docId: DocId): Promise<StoredDocument> {
    const result = await this.client.get(docId, { consistency: 'linearizable' });
    if (!result.found) return { state: null, stateVector: null };
    return { state: result.state, stateVector: result.versionVector };
  }

  async merge(docId: DocId, update: Uint8Array): Promise<Uint8Array> {
    try {
      return (await this.client.merge(docId, update)).versionVector;
    } catch (error) {
      if (error instanceof RaftInvalidUpdateError) throw new PersistenceRejectedError(error.message);
      throw error;
    }
  }

  async list(): Promise<DocId[]> {
    const listing = await this.client.list({ consistency: 'stale' });
    return listing.docs
      .map((doc) => doc.docId)
      .filter(isDocId)
      .sort();
  }

  close(): void {
    this.client.close();
  }
}
