/**
 * Tandem's persistence group as a benchmark target: 3 real node processes on loopback (tick 10 ms:
 * heartbeat 50 ms, election timeout 300 ms), written to through `RaftClient`. One write is a merge
 * of a fresh ~4 KB CRDT update (a new Doc's text insert of 4,000 characters) into its own document,
 * as each etcd write is a put of a 4 KB value under its own key.
 */
import { Doc } from '../../lib/crdt';
import { RaftClient } from '../../server/raft/client';
import { LocalCluster } from '../../server/raft/chaos/cluster';
import type { ProcessSupervisor } from '../../server/raft/chaos/processes';
import type { BenchTarget } from './stats';

const TEXT_CHARS = 4000;

/** A fresh update of about 4 KB: a new replica inserting 4,000 characters into `body`. */
export function makeUpdate(seq: number): Uint8Array {
  const doc = new Doc({ replicaId: (seq % 0xfffffff0) + 1 });
  const line = `${seq.toString(36)} the quick brown fox jumps over the lazy dog; `;
  doc.getText('body').insert(0, line.repeat(Math.ceil(TEXT_CHARS / line.length)).slice(0, TEXT_CHARS));
  return doc.encode();
}

/** The running group and a client for it. */
export class TandemTarget implements BenchTarget {
  readonly name = 'tandem';
  private closed = false;

  private constructor(
    private readonly cluster: LocalCluster,
    private readonly client: RaftClient,
    private readonly updates: Map<number, Uint8Array>,
  ) {}

  /** Starts 3 nodes without proxies and waits for a leader. */
  static async start(supervisor: ProcessSupervisor, log: (line: string) => void): Promise<TandemTarget> {
    const cluster = await LocalCluster.start(supervisor, { size: 3, proxies: false, log });
    log(`tandem: 3 nodes up on client ports ${cluster.clientAddresses.join(', ')}`);
    const client = new RaftClient({ nodes: cluster.clientAddresses, requestTimeoutMs: 2_000, deadlineMs: 5_000 });
    return new TandemTarget(cluster, client, new Map());
  }

  /** Builds the updates of a timed phase ahead, so building them (~0.2 ms each) is not timed. */
  prepare(firstSeq: number, count: number): void {
    for (let seq = firstSeq; seq < firstSeq + count; seq++) this.updates.set(seq, makeUpdate(seq));
  }

  /** The prepared update of `seq` (built here when it was not prepared: failover probes). */
  private update(seq: number): Uint8Array {
    const prepared = this.updates.get(seq);
    if (prepared === undefined) return makeUpdate(seq);
    this.updates.delete(seq);
    return prepared;
  }

  async write(seq: number, timeoutMs: number): Promise<void> {
    const update = this.update(seq);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`merge ${seq} timed out after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.client.merge(`bench-${seq}`, update), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async killLeader(): Promise<string> {
    const leader = await this.cluster.currentLeader();
    if (leader === undefined) throw new Error('tandem: no leader to kill');
    await this.cluster.kill(leader);
    return String(leader);
  }

  async restart(member: string): Promise<void> {
    this.cluster.restart(Number(member));
    await this.cluster.waitForLeader(20_000);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.client.close();
    await this.cluster.close();
  }
}
