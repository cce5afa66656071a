/**
 * RaftClient: how relays, tests and benchmarks talk to the persistence group.
 *
 * - Finds the leader: writes go to the last known leader; a follower's `notLeader` answer carries a
 *   leader hint (id, and address when the node knows it) which is followed at once; without a
 *   usable hint the client tries the next node.
 * - Retries unreachable nodes, timeouts and `unavailable` answers with jittered exponential
 *   backoff until the operation's deadline. Merges are idempotent, so a retry after an ambiguous
 *   failure is harmless.
 * - Batches merges: merges of one document issued within `batchWindowMs` are coalesced with
 *   `mergeUpdates` into one command; every caller gets the result of the batch. By default (one
 *   event-loop turn), the merges of several documents issued in one turn also travel together in
 *   one `POST /v1/merges` request (one entry per document, each with its own result).
 * - Time, randomness and the HTTP exchange are injectable.
 */
import { mergeUpdates } from '../../../lib/crdt';
import { backoffDelayMs, type BackoffOptions } from '../../../lib/client/backoff';
import { RaftClientError, RaftInvalidUpdateError, RaftProtocolError, RaftRequestError, RaftUnavailableError } from './errors';
import { createHttpExchange, NodeUnreachableError, type HttpExchange, type HttpResponse } from './http';
import { createStreamExchange } from './stream';
import {
  HEADER_FOUND,
  HEADER_INDEX,
  HEADER_NODE_ID,
  HEADER_VERSION_VECTOR,
  encodeMergeBatch,
  fromBase64,
  type Consistency,
  type ErrorBody,
  type ListResponse,
  type MergeBatchResponse,
  type MergeResponse,
  type NodeStatus,
} from './protocol';

export interface RaftClientOptions {
  /** Client addresses (`host:port`) of the nodes. */
  readonly nodes: readonly string[];
  /** Timeout of one HTTP attempt; default 3000 ms. */
  readonly requestTimeoutMs?: number;
  /** Total time an operation may take across retries; default 15 000 ms. */
  readonly deadlineMs?: number;
  /** Retry backoff; default base 20 ms, max 500 ms, factor 2, jitter 0.5. */
  readonly backoff?: BackoffOptions;
  /**
   * Window in which merges of one document are coalesced, in ms (0: no batching). Default: the
   * current event-loop turn (flushed on `setImmediate`), so concurrent merges still share one
   * command while a lone merge waits for no timer (a 2 ms timer cost ~4 ms per sequential merge).
   */
  readonly batchWindowMs?: number;
  /** Largest coalesced batch in bytes before an early flush; default 1 MiB. */
  readonly maxBatchBytes?: number;
  readonly random?: () => number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** The HTTP seam (default: node:http with keep-alive). */
  readonly exchange?: HttpExchange;
}

export interface MergeResult {
  /** Log index of the entry holding the merge. */
  readonly index: number;
  /** The document's version vector once the merge was applied (`Doc.encodeStateVector` bytes). */
  readonly versionVector: Uint8Array;
}

export interface GetResult {
  /** False when nothing was ever merged into the document (state is then empty). */
  readonly found: boolean;
  /** The document's encoded state (`Doc.encode()`; load with `Doc.load`). */
  readonly state: Uint8Array;
  readonly versionVector: Uint8Array;
  /** The applied index the read saw. */
  readonly index: number;
  /** The node that answered. */
  readonly node: string;
}

export interface ReadOptions {
  readonly consistency?: Consistency;
  /** Ask this node only (no failover): to read from a particular replica. */
  readonly node?: string;
}

interface Batch {
  readonly updates: Uint8Array[];
  bytes: number;
  readonly waiters: { resolve: (r: MergeResult) => void; reject: (e: Error) => void }[];
  /** Cancels the scheduled flush. */
  cancel: (() => void) | undefined;
}

const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 20, maxMs: 500, factor: 2, jitter: 0.5 };

export class RaftClient {
  private readonly nodes: readonly string[];
  private readonly exchange: HttpExchange;
  private readonly closeExchange: () => void;
  private readonly idToAddress = new Map<number, string>();
  private leaderGuess: string | undefined;
  private nextNode = 0;
  private readonly batches = new Map<string, Batch>();
  /** The pending end-of-turn flush of every document's batch (default batching only). */
  private turnFlush: NodeJS.Immediate | undefined;
  private closed = false;

  constructor(private readonly options: RaftClientOptions) {
    if (options.nodes.length === 0) throw new RangeError('RaftClient needs at least one node address');
    this.nodes = options.nodes;
    if (options.exchange) {
      this.exchange = options.exchange;
      this.closeExchange = () => {};
    } else {
      // Requests travel on one upgraded stream connection per node (stream.ts), HTTP as the fallback.
      const http = createHttpExchange();
      const stream = createStreamExchange(http.exchange);
      this.exchange = stream.exchange;
      this.closeExchange = () => {
        stream.close();
        http.close();
      };
    }
  }

  /** The node currently believed to lead, if any. */
  get leader(): string | undefined {
    return this.leaderGuess;
  }

  /** Merges `update` into `docId` durably (committed on a majority and applied on the leader). */
  merge(docId: string, update: Uint8Array): Promise<MergeResult> {
    if (this.closed) return Promise.reject(new RaftClientError('client is closed'));
    const window = this.options.batchWindowMs;
    if (window !== undefined && window <= 0) return this.sendMerge(docId, update);
    return new Promise((resolve, reject) => {
      let batch = this.batches.get(docId);
      if (!batch) {
        batch = { updates: [], bytes: 0, waiters: [], cancel: undefined };
        this.batches.set(docId, batch);
        if (window === undefined) {
          this.turnFlush ??= setImmediate(() => this.flushTurn());
        } else {
          const timer = setTimeout(() => this.flush(docId), window);
          batch.cancel = () => clearTimeout(timer);
        }
      }
      batch.updates.push(update);
      batch.bytes += update.length;
      batch.waiters.push({ resolve, reject });
      if (batch.bytes >= (this.options.maxBatchBytes ?? 1 << 20)) this.flush(docId);
    });
  }

  /** Reads a document; linearizable by default (ReadIndex on the node), or stale. */
  async get(docId: string, options: ReadOptions = {}): Promise<GetResult> {
    const consistency = options.consistency ?? 'linearizable';
    const path = `/v1/docs/${encodeURIComponent(docId)}?consistency=${consistency}`;
    const { response, address } = await this.execute('GET', path, undefined, options.node);
    return {
      found: header(response, HEADER_FOUND) === '1',
      state: response.body,
      versionVector: fromBase64(header(response, HEADER_VERSION_VECTOR) ?? ''),
      index: Number(header(response, HEADER_INDEX) ?? 0),
      node: address,
    };
  }

  /** Lists the documents the group holds. */
  async list(options: ReadOptions = {}): Promise<ListResponse> {
    const { response } = await this.execute('GET', `/v1/docs?consistency=${options.consistency ?? 'linearizable'}`, undefined, options.node);
    return parseJson<ListResponse>(response);
  }

  /** The status of one node (no failover). */
  async status(node: string): Promise<NodeStatus> {
    const { response } = await this.execute('GET', '/v1/status', undefined, node);
    return parseJson<NodeStatus>(response);
  }

  /** Flushes pending batches and closes idle connections. */
  close(): void {
    if (this.turnFlush) clearImmediate(this.turnFlush);
    this.turnFlush = undefined;
    for (const docId of [...this.batches.keys()]) this.flush(docId);
    this.closed = true;
    this.closeExchange();
  }

  /** The end of a turn: every document's batch; several documents go in one request. */
  private flushTurn(): void {
    this.turnFlush = undefined;
    const turnBatches = [...this.batches].filter(([, batch]) => batch.cancel === undefined);
    if (turnBatches.length <= 1) {
      for (const [docId] of turnBatches) this.flush(docId);
      return;
    }
    const items: { docId: string; update: Uint8Array; batch: Batch }[] = [];
    for (const [docId, batch] of turnBatches) {
      const combined = combine(batch);
      if (combined === undefined) {
        this.flush(docId); // a bad update in it: sent one by one so only that one fails
        continue;
      }
      this.batches.delete(docId);
      items.push({ docId, update: combined, batch });
    }
    const max = this.options.maxBatchBytes ?? 1 << 20;
    let chunk: typeof items = [];
    let bytes = 0;
    for (const item of items) {
      if (chunk.length > 0 && bytes + item.update.length > max) {
        void this.sendMergeBatch(chunk);
        chunk = [];
        bytes = 0;
      }
      chunk.push(item);
      bytes += item.update.length;
    }
    if (chunk.length > 0) void this.sendMergeBatch(chunk);
  }

  /**
   * One request for merges into several documents. An `invalidUpdate` fails its merge alone; any
   * other per-merge error (e.g. leadership lost mid-request) retries that merge on its own.
   */
  private async sendMergeBatch(items: readonly { docId: string; update: Uint8Array; batch: Batch }[]): Promise<void> {
    const settle = (batch: Batch, result: Promise<MergeResult>) =>
      result.then(
        (r) => batch.waiters.forEach((w) => w.resolve(r)),
        (e: Error) => batch.waiters.forEach((w) => w.reject(e)),
      );
    if (items.length === 1) {
      void settle(items[0]!.batch, this.sendMerge(items[0]!.docId, items[0]!.update));
      return;
    }
    let body: MergeBatchResponse;
    try {
      const { response } = await this.execute('POST', '/v1/merges', encodeMergeBatch(items), undefined);
      body = parseJson<MergeBatchResponse>(response);
      if (!Array.isArray(body.results) || body.results.length !== items.length) throw new RaftProtocolError('merge batch answer does not match the request');
    } catch (error) {
      items.forEach((item) => void settle(item.batch, Promise.reject(error as Error)));
      return;
    }
    items.forEach((item, k) => {
      const result = body.results[k]!;
      if ('index' in result) void settle(item.batch, Promise.resolve({ index: result.index, versionVector: fromBase64(result.versionVector) }));
      else if (result.error === 'invalidUpdate') void settle(item.batch, Promise.reject(new RaftInvalidUpdateError(result.message)));
      else void settle(item.batch, this.sendMerge(item.docId, item.update));
    });
  }

  private flush(docId: string): void {
    const batch = this.batches.get(docId);
    if (!batch) return;
    this.batches.delete(docId);
    batch.cancel?.();
    const combined = combine(batch);
    if (combined) {
      this.sendMerge(docId, combined).then(
        (r) => batch.waiters.forEach((w) => w.resolve(r)),
        (e: Error) => batch.waiters.forEach((w) => w.reject(e)),
      );
      return;
    }
    batch.updates.forEach((u, k) => this.sendMerge(docId, u).then(batch.waiters[k]!.resolve, batch.waiters[k]!.reject));
  }

  private async sendMerge(docId: string, update: Uint8Array): Promise<MergeResult> {
    const { response } = await this.execute('POST', `/v1/docs/${encodeURIComponent(docId)}/merge`, update, undefined);
    const body = parseJson<MergeResponse>(response);
    return { index: body.index, versionVector: fromBase64(body.versionVector) };
  }

  /**
   * Sends one request, following leader hints and retrying with backoff until the deadline.
   * With `pinned`, only that node is asked (errors other than unreachability are not retried).
   */
  private async execute(method: 'GET' | 'POST', path: string, body: Uint8Array | undefined, pinned: string | undefined) {
    const now = this.options.now ?? Date.now;
    const deadline = now() + (this.options.deadlineMs ?? 15_000);
    const perRequest = this.options.requestTimeoutMs ?? 3000;
    let attempt = 0;
    let target = pinned ?? this.leaderGuess ?? this.pickNext();
    let lastError: Error | undefined;
    for (;;) {
      if (this.closed) throw new RaftClientError('client is closed');
      const remaining = deadline - now();
      if (remaining <= 0) throw new RaftUnavailableError(`${method} ${path}: no answer before the deadline`, lastError);
      let backoff = true;
      try {
        const response = await this.exchange({ address: target, method, path, ...(body ? { body } : {}), timeoutMs: Math.min(perRequest, remaining) });
        const nodeId = Number(header(response, HEADER_NODE_ID));
        if (Number.isInteger(nodeId) && nodeId > 0) this.idToAddress.set(nodeId, target);
        if (response.status === 200) {
          if (method === 'POST') this.leaderGuess = target;
          return { response, address: target };
        }
        const error = parseError(response);
        lastError = new RaftRequestError(error.error, error.message, target);
        switch (error.error) {
          case 'notLeader':
          case 'unavailable':
          case 'timeout': {
            if (this.leaderGuess === target) this.leaderGuess = undefined;
            const hinted = error.leaderAddress ?? (error.leaderId ? this.idToAddress.get(error.leaderId) : undefined);
            if (hinted !== undefined && hinted !== target && error.error === 'notLeader') {
              this.leaderGuess = hinted;
              if (!pinned) {
                target = hinted;
                backoff = false;
              }
            }
            break;
          }
          case 'invalidUpdate':
            throw new RaftInvalidUpdateError(error.message);
          default:
            throw lastError;
        }
      } catch (error) {
        if (!(error instanceof NodeUnreachableError)) throw error;
        lastError = error;
        if (this.leaderGuess === target) this.leaderGuess = undefined;
      }
      if (pinned && lastError instanceof RaftRequestError && lastError.code === 'notLeader') throw lastError;
      if (backoff) {
        if (!pinned) target = this.pickNext(target);
        const delay = backoffDelayMs(attempt++, this.options.random ?? Math.random, this.options.backoff ?? DEFAULT_BACKOFF);
        await (this.options.sleep ?? defaultSleep)(Math.min(delay, Math.max(0, deadline - now())));
      }
    }
  }

  /** The next node round-robin, skipping `not` when there is another. */
  private pickNext(not?: string): string {
    for (let k = 0; k < this.nodes.length; k++) {
      const candidate = this.nodes[this.nextNode++ % this.nodes.length]!;
      if (candidate !== not || this.nodes.length === 1) return candidate;
    }
    return this.nodes[0]!;
  }
}

/** The batch's updates as one (`mergeUpdates`), or undefined when one of them does not decode. */
function combine(batch: Batch): Uint8Array | undefined {
  if (batch.updates.length === 1) return batch.updates[0]!;
  try {
    return mergeUpdates(batch.updates);
  } catch {
    return undefined;
  }
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function header(response: HttpResponse, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function parseJson<T>(response: HttpResponse): T {
  try {
    return JSON.parse(new TextDecoder().decode(response.body)) as T;
  } catch {
    throw new RaftProtocolError(`response is not JSON (status ${response.status})`);
  }
}

function parseError(response: HttpResponse): ErrorBody {
  const body = parseJson<Partial<ErrorBody>>(response);
  if (typeof body.error !== 'string') throw new RaftProtocolError(`error response without a code (status ${response.status})`);
  return body as ErrorBody;
}
