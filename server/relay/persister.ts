/**
 * `BatchingPersister`: makes a relay's accepted updates durable. Per document it collects updates,
 * merges them into one (`mergeUpdates`) and sends that to the `DocumentPersistence` at most once
 * per `intervalMs`, with at most one merge in flight, so the durable vectors it reports for one
 * document come in commit order and only grow. When a merge is acknowledged it calls `onDurable`
 * with the returned version vector (the relay turns that into `ack` messages).
 *
 * Nothing leaves a batch before it is acknowledged: a failed merge goes back to the head of the
 * queue and is retried with jittered exponential backoff. A merge the store rejects for good
 * (`PersistenceRejectedError`) is split and its updates retried one by one, so only the bad one is
 * dropped (logged). Timers, clock and randomness are injected.
 */
import { mergeUpdates } from '../../lib/crdt';
import { backoffDelayMs, type BackoffOptions } from '../../lib/client/backoff';
import type { DocId } from '../../lib/sync/protocol';
import { PersistenceRejectedError, type DocumentPersistence } from './persistence';

/** The timer functions the persister uses (the real ones by default). */
export interface PersisterTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface PersisterOptions {
  readonly persistence: DocumentPersistence;
  /** Least time between two merges of one document. Default 50 ms. */
  readonly intervalMs?: number;
  /** Called once per acknowledged merge, in commit order per document. */
  readonly onDurable: (docId: DocId, stateVector: Uint8Array) => void;
  readonly log?: (line: string) => void;
  /** Retry schedule after a failed merge. Default base 50 ms, max 2 s, factor 2, jitter 0.5. */
  readonly backoff?: BackoffOptions;
  readonly timers?: PersisterTimers;
  readonly now?: () => number;
  readonly random?: () => number;
}

export const DEFAULT_PERSIST_INTERVAL_MS = 50;
const DEFAULT_RETRY_BACKOFF: BackoffOptions = { baseMs: 50, maxMs: 2000, factor: 2, jitter: 0.5 };

/** One document's queue. Invariant: `timer !== null` implies `inFlight === null`. */
interface DocQueue {
  /** Updates accepted but not yet acknowledged, oldest first (the in-flight batch is not here). */
  readonly pending: Uint8Array[];
  inFlight: Promise<void> | null;
  timer: unknown;
  /** When the last merge was sent (ms), or -Infinity. */
  lastSentAt: number;
  /** Consecutive failed merges. */
  failures: number;
  /** How many of the next pending updates must be sent alone (after a rejected batch). */
  isolate: number;
}

/** Batches and persists updates per document; see the module comment. */
export class BatchingPersister {
  private readonly queues = new Map<DocId, DocQueue>();
  private readonly intervalMs: number;
  private readonly log: (line: string) => void;
  private readonly timers: PersisterTimers;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly backoff: BackoffOptions;
  private stopped = false;

  constructor(private readonly options: PersisterOptions) {
    this.intervalMs = options.intervalMs ?? DEFAULT_PERSIST_INTERVAL_MS;
    this.log = options.log ?? (() => {});
    this.timers = options.timers ?? { setTimeout: (callback, ms) => setTimeout(callback, ms), clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>) };
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.backoff = options.backoff ?? DEFAULT_RETRY_BACKOFF;
  }

  /** Queues an update the room accepted. */
  add(docId: DocId, update: Uint8Array): void {
    const queue = this.queueOf(docId);
    queue.pending.push(update);
    this.schedule(docId, queue);
  }

  /** Updates of `docId` not yet acknowledged (queued or in flight). */
  unacknowledged(docId: DocId): number {
    const queue = this.queues.get(docId);
    return queue === undefined ? 0 : queue.pending.length + (queue.inFlight === null ? 0 : 1);
  }

  /** Drops the bookkeeping of `docId` when nothing of it is queued or in flight (after its room left memory). */
  forget(docId: DocId): void {
    const queue = this.queues.get(docId);
    if (queue !== undefined && queue.pending.length === 0 && queue.inFlight === null && queue.timer === null) this.queues.delete(docId);
  }

  /** True when every accepted update has been acknowledged. */
  idle(): boolean {
    for (const queue of this.queues.values()) if (queue.pending.length > 0 || queue.inFlight !== null) return false;
    return true;
  }

  /**
   * Sends everything queued now (ignoring the interval) and waits until it is acknowledged or
   * `timeoutMs` passed; then stops (no more timers). For a clean shutdown. Resolves with true when
   * nothing was left unacknowledged.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = this.now() + timeoutMs;
    while (!this.idle() && this.now() < deadline) {
      for (const [docId, queue] of this.queues) {
        if (queue.inFlight === null && queue.pending.length > 0) {
          this.clearTimer(queue);
          this.send(docId, queue);
        }
      }
      const inFlight = [...this.queues.values()].map((queue) => queue.inFlight).filter((p): p is Promise<void> => p !== null);
      if (inFlight.length === 0) break;
      await Promise.race([Promise.all(inFlight), new Promise((resolve) => this.timers.setTimeout(() => resolve(undefined), Math.max(0, deadline - this.now())))]);
    }
    this.stopped = true;
    for (const queue of this.queues.values()) this.clearTimer(queue);
    return this.idle();
  }

  private queueOf(docId: DocId): DocQueue {
    let queue = this.queues.get(docId);
    if (queue === undefined) {
      queue = { pending: [], inFlight: null, timer: null, lastSentAt: Number.NEGATIVE_INFINITY, failures: 0, isolate: 0 };
      this.queues.set(docId, queue);
    }
    return queue;
  }

  private clearTimer(queue: DocQueue): void {
    if (queue.timer !== null) this.timers.clearTimeout(queue.timer);
    queue.timer = null;
  }

  /** Arms the document's timer: after the interval since the last send, or the retry backoff. */
  private schedule(docId: DocId, queue: DocQueue): void {
    if (this.stopped || queue.inFlight !== null || queue.timer !== null || queue.pending.length === 0) return;
    const delay =
      queue.failures > 0
        ? backoffDelayMs(queue.failures - 1, this.random, this.backoff)
        : Math.max(0, queue.lastSentAt + this.intervalMs - this.now());
    queue.timer = this.timers.setTimeout(() => {
      queue.timer = null;
      this.send(docId, queue);
    }, delay);
  }

  private send(docId: DocId, queue: DocQueue): void {
    if (queue.inFlight !== null || queue.pending.length === 0) return;
    const batch = queue.isolate > 0 ? queue.pending.splice(0, 1) : queue.pending.splice(0);
    if (queue.isolate > 0) queue.isolate--;
    let merged: Uint8Array;
    try {
      merged = batch.length === 1 ? batch[0]! : mergeUpdates(batch);
    } catch (error) {
      this.log(`relay: cannot merge a batch of ${batch.length} updates of ${docId} (${String(error)}); sending them one by one`);
      queue.pending.unshift(...batch);
      queue.isolate = batch.length;
      this.schedule(docId, queue);
      return;
    }
    queue.lastSentAt = this.now();
    queue.inFlight = this.options.persistence.merge(docId, merged).then(
      (stateVector) => {
        queue.failures = 0;
        queue.inFlight = null;
        this.options.onDurable(docId, stateVector);
        this.schedule(docId, queue);
      },
      (error: unknown) => {
        queue.inFlight = null;
        if (error instanceof PersistenceRejectedError) {
          if (batch.length > 1) {
            this.log(`relay: the store rejected a batch of ${batch.length} updates of ${docId}; retrying them one by one`);
            queue.pending.unshift(...batch);
            queue.isolate = batch.length;
          } else {
            this.log(`relay: the store rejected an update of ${docId} for good; dropped: ${error.message}`);
          }
        } else {
          queue.failures++;
          queue.pending.unshift(merged); // nothing leaves the batch until acknowledged
          this.log(`relay: persisting ${docId} failed (attempt ${queue.failures}), will retry: ${error instanceof Error ? error.message : String(error)}`);
        }
        this.schedule(docId, queue);
      },
    );
  }
}
