/**
 * RaftNode in process: three nodes on SqliteStorage (temp dirs) and a MemoryNetwork, driven by
 * real timers with a short tick. Waits are on conditions with bounded timeouts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Doc } from '../../../lib/crdt';
import { parseDocId } from '../../../lib/sync/protocol';
import { SeededRandom } from '../core/random';
import { Role, asNodeId, type HardState, type NodeId } from '../core/types';
import { SqliteStorage, StorageWriteError } from '../storage/sqlite';
import { MemoryNetwork } from '../transport/memory';
import { NotLeaderError } from './errors';
import { RaftNode, type BatchingStorage } from './raft-node';

const ids = [1, 2, 3].map(asNodeId);
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

interface Cluster {
  readonly network: MemoryNetwork;
  readonly nodes: Map<NodeId, RaftNode>;
  readonly fatal: Error[];
  leader(): RaftNode | undefined;
  /** Starts node `id` again on its database file (after it was stopped). */
  restart(id: NodeId): RaftNode;
  /** The database file of node `id`. */
  pathOf(id: NodeId): string;
}

interface ClusterOptions {
  snapshotEvery?: number;
  keepEntries?: number;
  wrap?: (id: NodeId, s: SqliteStorage) => BatchingStorage;
}

function startCluster(options: ClusterOptions = {}): Cluster {
  const dir = mkdtempSync(join(tmpdir(), 'raft-node-'));
  const network = new MemoryNetwork();
  const nodes = new Map<NodeId, RaftNode>();
  const fatal: Error[] = [];
  const pathOf = (id: NodeId): string => join(dir, `node-${id}.sqlite`);
  const startNode = (id: NodeId): RaftNode => {
    const sqlite = SqliteStorage.open({ path: pathOf(id), voters: ids });
    const node = new RaftNode({
      id,
      voters: ids,
      storage: options.wrap ? options.wrap(id, sqlite) : sqlite,
      transport: network.transport(id),
      random: new SeededRandom(id * 7919),
      tickMs: 4,
      snapshotEvery: options.snapshotEvery ?? 10_000,
      keepEntries: options.keepEntries ?? 1000,
      requestTimeoutMs: 3000,
      bootId: `b${id}-${Date.now()}`,
      log: () => {},
      onFatal: (error) => fatal.push(error),
    });
    node.start();
    nodes.set(id, node);
    return node;
  };
  for (const id of ids) startNode(id);
  cleanups.push(async () => {
    for (const node of nodes.values()) await node.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { network, nodes, fatal, leader: () => [...nodes.values()].find((n) => n.role === Role.Leader), restart: startNode, pathOf };
}

function editor(replicaId: number) {
  const doc = new Doc({ replicaId });
  const updates: Uint8Array[] = [];
  doc.on('update', (u) => updates.push(u));
  return { doc, next: () => updates[updates.length - 1]! };
}

const text = (state: Uint8Array | undefined) => (state ? Doc.load(state).getText('body').toString() : '');

describe('RaftNode', () => {
  it('elects a leader; merges are acknowledged after apply; followers redirect writes with the leader hint; reads are linearizable on every node', async () => {
    const cluster = startCluster();
    const leader = await waitFor('a leader', () => cluster.leader());
    const follower = [...cluster.nodes.values()].find((n) => n !== leader)!;
    const { doc, next } = editor(11);
    doc.getText('body').insert(0, 'hello');
    const result = await leader.merge('doc-1', next());
    expect(result.index).toBeGreaterThan(0);
    expect(result.versionVector).toEqual(doc.encodeStateVector());
    const refused = await follower.merge('doc-1', next()).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(NotLeaderError);
    expect((refused as NotLeaderError).leader).toBe(leader.id);
    // §6.4: a linearizable read on any node sees every acknowledged merge.
    for (const node of cluster.nodes.values()) {
      const read = await node.read(parseDocId('doc-1'), 'linearizable');
      expect(read.index).toBeGreaterThanOrEqual(result.index);
      expect(text(read.doc?.state)).toBe('hello');
    }
    expect((await leader.read(parseDocId('nothing'), 'stale')).doc).toBeUndefined();
  });

  it('§7: a follower cut off while the leader compacts catches up through a snapshot', async () => {
    const cluster = startCluster({ snapshotEvery: 5, keepEntries: 1 });
    const leader = await waitFor('a leader', () => cluster.leader());
    const lagging = [...cluster.nodes.values()].find((n) => n !== leader)!;
    cluster.network.isolate(lagging.id);
    const { doc, next } = editor(12);
    for (let k = 0; k < 20; k++) {
      doc.getText('body').insert(k, String(k % 10));
      await leader.merge('doc-s', next());
    }
    expect(leader.snapshotIndex).toBeGreaterThan(0);
    cluster.network.heal(lagging.id);
    const want = doc.getText('body').toString();
    await waitFor('snapshot install', () => lagging.snapshotIndex > 0 && lagging.status().applied >= leader.status().commit);
    expect(text((await lagging.read(parseDocId('doc-s'), 'stale')).doc?.state)).toBe(want);
  });

  it('thesis §3.10: a graceful shutdown of the leader hands leadership to a follower', async () => {
    const cluster = startCluster();
    const leader = await waitFor('a leader', () => cluster.leader());
    await leader.shutdown(2000);
    const next = await waitFor('a new leader', () => [...cluster.nodes.values()].find((n) => n !== leader && n.role === Role.Leader), 3000);
    expect(next.id).not.toBe(leader.id);
  });

  it('a failed write stops the node (onFatal) instead of acknowledging', async () => {
    let broken: NodeId | undefined;
    const cluster = startCluster({
      wrap: (id, s) =>
        new Proxy(s, {
          get(target, key, receiver) {
            if (key === 'append' && id === broken) return () => { throw new StorageWriteError('test', 'append', new Error('EIO')); };
            const value = Reflect.get(target, key, receiver) as unknown;
            return typeof value === 'function' ? value.bind(target) : value;
          },
        }),
    });
    const leader = await waitFor('a leader', () => cluster.leader());
    broken = leader.id;
    const { doc, next } = editor(13);
    doc.getText('body').insert(0, 'x');
    const outcome = await leader.merge('doc-f', next()).catch((e: unknown) => e);
    expect(outcome).toBeInstanceOf(Error);
    await waitFor('onFatal', () => cluster.fatal.length > 0);
    expect(cluster.fatal[0]).toBeInstanceOf(StorageWriteError);
  });

  it('a commit index alone is stored only now and then (term and vote always); a node restarted with a stale one relearns it and applies everything', async () => {
    const stored = new Map<NodeId, HardState[]>(ids.map((id) => [id, []]));
    let dropHardState: NodeId | undefined;
    const cluster = startCluster({
      wrap: (id, s) =>
        new Proxy(s, {
          get(target, key, receiver) {
            if (key === 'setHardState') {
              return (hardState: HardState) => {
                if (id === dropHardState) return; // as if the node crashed before writing it
                stored.get(id)!.push(hardState);
                target.setHardState(hardState);
              };
            }
            const value = Reflect.get(target, key, receiver) as unknown;
            return typeof value === 'function' ? value.bind(target) : value;
          },
        }),
    });
    const leader = await waitFor('a leader', () => cluster.leader());
    const follower = [...cluster.nodes.values()].find((n) => n !== leader)!;
    const { doc, next } = editor(14);
    for (let k = 0; k < 40; k++) {
      doc.getText('body').insert(k, String(k % 10));
      await leader.merge('doc-h', next());
    }
    const commit = leader.status().commit;
    await waitFor('the follower applies everything', () => follower.status().applied >= commit);
    for (const node of cluster.nodes.values()) {
      const writes = stored.get(node.id)!;
      // 40 appends, and a hard state written only for the election (term, vote), not per commit.
      expect(writes.length).toBeLessThanOrEqual(3);
      expect(writes.at(-1)!.term).toBe(node.status().term);
      expect(writes.every((hs, i) => i === 0 || hs.term !== writes[i - 1]!.term || hs.vote !== writes[i - 1]!.vote)).toBe(true);
    }
    // A crash: the follower stops without writing its commit index.
    dropHardState = follower.id;
    await follower.stop();
    cluster.nodes.delete(follower.id);
    dropHardState = undefined;
    const reopened = SqliteStorage.open({ path: cluster.pathOf(follower.id), voters: ids });
    const staleCommit = reopened.initialState().hardState.commit;
    reopened.close();
    expect(staleCommit).toBeLessThan(commit);
    const restarted = cluster.restart(follower.id);
    await waitFor('the restarted follower applies everything', () => restarted.status().applied >= commit);
    expect(text((await restarted.read(parseDocId('doc-h'), 'stale')).doc?.state)).toBe(doc.getText('body').toString());
  });
});
