/**
 * The client history of a chaos run: every merge and read with its call and return time and its
 * outcome, in the checker's format (`server/raft/check`).
 */
import type { Operation } from '../check/model';
import type { DocInput, DocOutput } from '../check/models';

/** Counts for the summary line. */
export interface HistoryCounts {
  readonly operations: number;
  readonly merges: number;
  readonly acknowledged: number;
  readonly unknown: number;
  readonly failed: number;
  readonly reads: number;
  readonly readsOk: number;
}

/** Collects operations; `now` is the shared monotonic clock (ms). */
export class HistoryRecorder {
  private readonly operations: Operation<DocInput, DocOutput>[] = [];
  private merges = 0;
  private acknowledged = 0;
  private unknown = 0;
  private failed = 0;
  private reads = 0;
  private readsOk = 0;
  /** Acknowledged tags by document. */
  readonly acked = new Map<string, Set<string>>();
  /** Every tag ever sent, by document (acknowledged or not). */
  readonly issued = new Map<string, Set<string>>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Records a merge; the returned functions end it exactly once. */
  beginMerge(client: number, docId: string, tag: string): { ok(): void; unknown(): void; failed(): void } {
    const call = this.now();
    const input: DocInput = { kind: 'merge', docId, tag };
    this.merges++;
    addTo(this.issued, docId, tag);
    return {
      ok: () => {
        this.acknowledged++;
        addTo(this.acked, docId, tag);
        this.operations.push({ client, input, call, return: this.now(), outcome: { known: true, value: null } });
      },
      // Timed out or the connection broke: it may still commit later, so it never "returned".
      unknown: () => {
        this.unknown++;
        this.operations.push({ client, input, call, return: undefined, outcome: { known: false } });
      },
      // Refused before it was proposed (e.g. an invalid update): it surely did not happen.
      failed: () => void this.failed++,
    };
  }

  /** Records a read; `ok` takes the tags it saw. A failed read tells nothing and is left out. */
  beginRead(client: number, docId: string): { ok(tags: ReadonlySet<string>): void; failed(): void } {
    const call = this.now();
    this.reads++;
    return {
      ok: (tags) => {
        this.readsOk++;
        this.operations.push({ client, input: { kind: 'read', docId }, call, return: this.now(), outcome: { known: true, value: tags } });
      },
      failed: () => undefined,
    };
  }

  /** The operations recorded so far. */
  history(): readonly Operation<DocInput, DocOutput>[] {
    return this.operations;
  }

  counts(): HistoryCounts {
    return {
      operations: this.operations.length,
      merges: this.merges,
      acknowledged: this.acknowledged,
      unknown: this.unknown,
      failed: this.failed,
      reads: this.reads,
      readsOk: this.readsOk,
    };
  }
}

function addTo(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key);
  if (set) set.add(value);
  else map.set(key, new Set([value]));
}
