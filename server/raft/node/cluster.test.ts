/**
 * Integration: three real node processes on loopback (temp data dirs, free ports).
 * A leader is elected; merges are readable from every node; kill -9 of the leader elects a new one
 * and merges go on; every acknowledged merge survives restarting every node; SIGTERM hands over
 * leadership; merges into several documents travel in one batch request; a corrupt log stops a
 * node with exit code 2.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { Doc } from '../../../lib/crdt';
import { RaftClient } from '../client';
import type { NodeStatus } from '../client/protocol';
import { startProcessGroup, type ProcessGroup } from './harness';

let group: ProcessGroup | undefined;
let client: RaftClient | undefined;
let dir: string | undefined;
afterEach(async () => {
  client?.close();
  await group?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  group = undefined;
  client = undefined;
  dir = undefined;
});

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const start = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${String(last)})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The leader that every running node agrees on. */
function agreedLeader(g: ProcessGroup, c: RaftClient): () => Promise<NodeStatus | undefined> {
  return async () => {
    const running = g.nodes.filter((n) => n.running);
    const statuses = await Promise.all(running.map((n) => c.status(n.clientAddress)));
    const leader = statuses.find((s) => s.role === 'leader');
    if (!leader || statuses.some((s) => s.leader !== leader.id)) return undefined;
    return leader;
  };
}

function editor(replicaId: number) {
  const doc = new Doc({ replicaId });
  const updates: Uint8Array[] = [];
  doc.on('update', (u) => updates.push(u));
  return { doc, take: () => updates.splice(0) };
}

const bodyOf = (state: Uint8Array) => Doc.load(state).getText('body').toString();

describe('Raft group as processes', () => {
  it('elects, replicates to every node, survives kill -9 of the leader and a restart of every node, hands over on SIGTERM', async () => {
    dir = mkdtempSync(join(tmpdir(), 'raft-cluster-'));
    group = await startProcessGroup({ size: 3, dataDir: dir, extraArgs: ['--snapshot-every', '50', '--keep-entries', '10'] });
    client = new RaftClient({ nodes: group.clientAddresses(), deadlineMs: 10_000, requestTimeoutMs: 2000 });
    const first = await waitFor('a leader', agreedLeader(group, client));

    const alice = editor(101);
    const bob = editor(202);
    const acknowledged: string[] = [];
    const write = async (who: ReturnType<typeof editor>, text: string) => {
      who.doc.getText('body').insert(0, text);
      await Promise.all(who.take().map((u) => client!.merge('shared-doc', u)));
      acknowledged.push(text);
    };
    for (let k = 0; k < 40; k++) await write(k % 2 === 0 ? alice : bob, `<${k}>`);

    // Merges are readable from every node (linearizable: ReadIndex on followers too).
    for (const node of group.nodes) {
      const got = await client.get('shared-doc', { node: node.clientAddress });
      for (const text of acknowledged) expect(bodyOf(got.state)).toContain(text);
    }

    // Merges into several documents issued in one turn travel as one POST /v1/merges; each is
    // its own entry, applied, with its own result.
    const many = Array.from({ length: 5 }, (_, k) => editor(300 + k));
    many.forEach((e, k) => e.doc.getText('body').insert(0, `doc${k}`));
    const results = await Promise.all(many.flatMap((e, k) => e.take().map((u) => client!.merge(`multi-${k}`, u))));
    expect(new Set(results.map((r) => r.index)).size).toBe(5);
    for (let k = 0; k < 5; k++) expect(bodyOf((await client.get(`multi-${k}`)).state)).toBe(`doc${k}`);

    // kill -9 the leader: a new leader is elected and a merge succeeds.
    await group.node(first.id).kill('SIGKILL');
    const second = await waitFor('a new leader', agreedLeader(group, client));
    expect(second.id).not.toBe(first.id);
    await write(alice, '<after-kill>');

    // Restart every node (crash the survivors too): all acknowledged merges are still there.
    await group.stop();
    await Promise.all(group.nodes.map((n) => n.start()));
    await waitFor('a leader after restart', agreedLeader(group, client));
    for (const node of group.nodes) {
      const got = await waitFor(`node ${node.id} caught up`, async () => {
        const g = await client!.get('shared-doc', { node: node.clientAddress });
        return acknowledged.every((t) => bodyOf(g.state).includes(t)) ? g : undefined;
      });
      expect(got.found).toBe(true);
    }
    const list = await client.list();
    expect(list.docs.map((d) => d.docId)).toEqual(['multi-0', 'multi-1', 'multi-2', 'multi-3', 'multi-4', 'shared-doc']);

    // SIGTERM the leader: it hands over leadership and exits 0.
    const third = await waitFor('a leader', agreedLeader(group, client));
    const exit = await group.node(third.id).kill('SIGTERM');
    expect(exit.code).toBe(0);
    const fourth = await waitFor('a leader after SIGTERM', agreedLeader(group, client), 3000);
    expect(fourth.id).not.toBe(third.id);
    await write(bob, '<after-term>');
  }, 60_000);

  it('a node whose log is corrupt refuses to start: exit code 2 and a clear message', async () => {
    dir = mkdtempSync(join(tmpdir(), 'raft-corrupt-'));
    group = await startProcessGroup({ size: 3, dataDir: dir });
    client = new RaftClient({ nodes: group.clientAddresses(), deadlineMs: 10_000 });
    await waitFor('a leader', agreedLeader(group, client));
    const doc = editor(7);
    doc.doc.getText('body').insert(0, 'payload');
    for (const u of doc.take()) await client.merge('d', u);
    await group.stop();
    const db = new Database(join(dir, 'raft-1', 'raft.sqlite'));
    db.exec(`UPDATE entries SET data = CAST(X'00' || data AS BLOB) WHERE idx = (SELECT MAX(idx) FROM entries)`);
    db.close();
    const node = group.node(1);
    await expect(node.start()).rejects.toThrow(/exited \(code 2/);
    expect(node.stderr.join('\n')).toMatch(/FATAL cannot open storage: storage .* is corrupt: entry \d+: checksum mismatch/);
  }, 30_000);
});
