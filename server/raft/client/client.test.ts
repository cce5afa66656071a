/** RaftClient against a scripted exchange: leader hints, backoff, deadlines, batching, typed errors. */
import { describe, expect, it } from 'vitest';
import { Doc, mergeUpdates } from '../../../lib/crdt';
import { RaftClient } from './client';
import { RaftInvalidUpdateError, RaftUnavailableError } from './errors';
import { NodeUnreachableError, type HttpExchange, type HttpRequest, type HttpResponse } from './http';
import { HEADER_NODE_ID, decodeMergeBatch, encodeMergeBatch, toBase64, type ErrorBody } from './protocol';

const json = (status: number, body: unknown, nodeId: number): HttpResponse => ({
  status,
  headers: { [HEADER_NODE_ID]: String(nodeId) },
  body: new TextEncoder().encode(JSON.stringify(body)),
});
const notLeader = (nodeId: number, leaderId: number, leaderAddress?: string) =>
  json(421, { error: 'notLeader', message: 'not the leader', leaderId, ...(leaderAddress ? { leaderAddress } : {}) } satisfies ErrorBody, nodeId);
const ok = (nodeId: number, index = 5) => json(200, { index, versionVector: toBase64(Uint8Array.of(1, 2)) }, nodeId);

/** A fake cluster: `answer` decides per request; every request is recorded. */
function fake(answer: (req: HttpRequest) => HttpResponse | Error) {
  const requests: HttpRequest[] = [];
  const exchange: HttpExchange = async (req) => {
    requests.push(req);
    const r = answer(req);
    if (r instanceof Error) throw r;
    return r;
  };
  return { requests, exchange };
}

/** Injected clock: sleeping advances time at once. */
function clock() {
  let t = 0;
  const sleeps: number[] = [];
  return { now: () => t, sleep: async (ms: number) => void (sleeps.push(ms), (t += ms)), sleeps, advance: (ms: number) => (t += ms) };
}

const nodes = ['n1:1', 'n2:2', 'n3:3'];

describe('RaftClient', () => {
  it('follows a leader hint with an address at once (no backoff) and remembers the leader', async () => {
    const c = clock();
    const { requests, exchange } = fake((req) => (req.address === 'n3:3' ? ok(3) : notLeader(Number(req.address.slice(1, 2)), 3, 'n3:3')));
    const client = new RaftClient({ nodes, exchange, now: c.now, sleep: c.sleep, batchWindowMs: 0, random: () => 0.5 });
    expect(await client.merge('d', Uint8Array.of(1))).toEqual({ index: 5, versionVector: Uint8Array.of(1, 2) });
    expect(requests.map((r) => r.address)).toEqual(['n1:1', 'n3:3']);
    expect(c.sleeps).toEqual([]);
    expect(client.leader).toBe('n3:3');
    await client.merge('d', Uint8Array.of(2));
    expect(requests.map((r) => r.address)).toEqual(['n1:1', 'n3:3', 'n3:3']);
  });

  it('maps a leader id without an address to the address learned from x-raft-node-id', async () => {
    const c = clock();
    const { requests, exchange } = fake((req) => {
      if (req.path === '/v1/status') return json(200, { id: 3 }, 3);
      return req.address === 'n3:3' ? ok(3) : notLeader(1, 3);
    });
    const client = new RaftClient({ nodes, exchange, now: c.now, sleep: c.sleep, batchWindowMs: 0, random: () => 0 });
    await client.status('n3:3');
    await expect(client.merge('d', Uint8Array.of(1))).resolves.toMatchObject({ index: 5 });
    expect(requests.map((r) => r.address)).toEqual(['n3:3', 'n1:1', 'n3:3']);
    expect(c.sleeps).toEqual([]);
  });

  it('retries unreachable nodes with jittered exponential backoff until the deadline, then RaftUnavailableError', async () => {
    const c = clock();
    const { requests, exchange } = fake((req) => new NodeUnreachableError(req.address, 'ECONNREFUSED', false));
    const client = new RaftClient({
      nodes,
      exchange,
      now: c.now,
      sleep: c.sleep,
      random: () => 1,
      batchWindowMs: 0,
      deadlineMs: 1000,
      backoff: { baseMs: 10, maxMs: 160, factor: 2, jitter: 0.5 },
    });
    const error = await client.merge('d', Uint8Array.of(1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RaftUnavailableError);
    expect((error as RaftUnavailableError).lastError).toBeInstanceOf(NodeUnreachableError);
    expect(c.sleeps.slice(0, 6)).toEqual([10, 20, 40, 80, 160, 160]);
    expect(new Set(requests.map((r) => r.address))).toEqual(new Set(nodes));
  });

  it('does not retry an invalid update', async () => {
    const { requests, exchange } = fake(() => json(422, { error: 'invalidUpdate', message: 'does not decode' }, 1));
    const client = new RaftClient({ nodes, exchange, batchWindowMs: 0 });
    await expect(client.merge('d', Uint8Array.of(1))).rejects.toBeInstanceOf(RaftInvalidUpdateError);
    expect(requests).toHaveLength(1);
  });

  it('coalesces merges of one document within the window into one mergeUpdates command', async () => {
    const doc = new Doc({ replicaId: 5 });
    const updates: Uint8Array[] = [];
    doc.on('update', (u) => updates.push(u));
    for (let k = 0; k < 5; k++) doc.getText('body').insert(k, 'x');
    const { requests, exchange } = fake(() => ok(1, 9));
    const client = new RaftClient({ nodes, exchange, batchWindowMs: 5 });
    const results = await Promise.all([...updates.map((u) => client.merge('a', u)), client.merge('b', updates[0]!)]);
    expect(results.every((r) => r.index === 9)).toBe(true);
    expect(requests).toHaveLength(2);
    const forA = requests.find((r) => r.path.includes('/a/'))!;
    expect(forA.body).toEqual(mergeUpdates(updates));
    client.close();
  });

  it('by default coalesces the merges of one event-loop turn without waiting for a timer', async () => {
    const doc = new Doc({ replicaId: 7 });
    const updates: Uint8Array[] = [];
    doc.on('update', (u) => updates.push(u));
    for (let k = 0; k < 3; k++) doc.getText('body').insert(k, 'y');
    const { requests, exchange } = fake(() => ok(1, 4));
    const client = new RaftClient({ nodes, exchange });
    const results = await Promise.all(updates.map((u) => client.merge('a', u)));
    expect(results.every((r) => r.index === 4)).toBe(true);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.body).toEqual(mergeUpdates(updates));
    // A merge issued in a later turn is a batch of its own.
    await client.merge('a', updates[0]!);
    expect(requests).toHaveLength(2);
    client.close();
  });

  it('merges into several documents in one turn travel in one /v1/merges request, each with its own result', async () => {
    const doc = new Doc({ replicaId: 8 });
    const updates: Uint8Array[] = [];
    doc.on('update', (u) => updates.push(u));
    for (let k = 0; k < 4; k++) doc.getText('body').insert(k, 'z');
    const { requests, exchange } = fake((req) => {
      if (req.path === '/v1/merges') {
        const items = decodeMergeBatch(req.body!);
        return json(200, {
          results: items.map((item, k) =>
            item.docId === 'bad'
              ? { error: 'invalidUpdate', message: 'nope' }
              : item.docId === 'moved'
                ? { error: 'unavailable', message: 'leadership lost', leaderId: 0 }
                : { index: 10 + k, versionVector: toBase64(Uint8Array.of(k)) },
          ),
        }, 1);
      }
      return ok(1, 42); // the lone retry of 'moved'
    });
    const client = new RaftClient({ nodes, exchange, random: () => 0 });
    const results = await Promise.allSettled([
      client.merge('a', updates[0]!),
      client.merge('b', updates[1]!),
      client.merge('a', updates[2]!),
      client.merge('bad', updates[3]!),
      client.merge('moved', updates[3]!),
    ]);
    expect(requests[0]!.path).toBe('/v1/merges');
    const sent = decodeMergeBatch(requests[0]!.body!);
    expect(sent.map((item) => item.docId)).toEqual(['a', 'b', 'bad', 'moved']);
    expect(sent[0]!.update).toEqual(mergeUpdates([updates[0]!, updates[2]!]));
    expect(results[0]).toEqual({ status: 'fulfilled', value: { index: 10, versionVector: Uint8Array.of(0) } });
    expect(results[2]).toEqual(results[0]);
    expect(results[1]).toEqual({ status: 'fulfilled', value: { index: 11, versionVector: Uint8Array.of(1) } });
    expect(results[3]!.status === 'rejected' && results[3]!.reason).toBeInstanceOf(RaftInvalidUpdateError);
    expect(results[4]).toMatchObject({ status: 'fulfilled', value: { index: 42 } });
    expect(requests.map((r) => r.path)).toEqual(['/v1/merges', '/v1/docs/moved/merge']);
    client.close();
  });

  it('the merge batch codec round-trips and rejects trailing bytes', () => {
    const items = [{ docId: 'a', update: Uint8Array.of(1, 2) }, { docId: 'doc-2', update: new Uint8Array(0) }];
    expect(decodeMergeBatch(encodeMergeBatch(items))).toEqual(items);
    expect(() => decodeMergeBatch(Uint8Array.of(...encodeMergeBatch(items), 0))).toThrow();
    expect(() => decodeMergeBatch(Uint8Array.of(5))).toThrow();
  });

  it('a batch holding a bad update is sent one by one: only the bad merge fails', async () => {
    const doc = new Doc({ replicaId: 6 });
    const updates: Uint8Array[] = [];
    doc.on('update', (u) => updates.push(u));
    doc.getText('body').insert(0, 'ok');
    const bad = Uint8Array.of(1, 2, 3);
    const { requests, exchange } = fake((req) => (req.body && req.body.length === 3 ? json(422, { error: 'invalidUpdate', message: 'bad' }, 1) : ok(1)));
    const client = new RaftClient({ nodes, exchange, batchWindowMs: 5 });
    const [good, failed] = await Promise.allSettled([client.merge('a', updates[updates.length - 1]!), client.merge('a', bad)]);
    expect(good.status).toBe('fulfilled');
    expect(failed.status === 'rejected' && failed.reason).toBeInstanceOf(RaftInvalidUpdateError);
    expect(requests).toHaveLength(2);
  });

  it('a read pinned to a node asks only that node', async () => {
    const { requests, exchange } = fake((req) => ({
      status: 200,
      headers: { [HEADER_NODE_ID]: '2', 'x-raft-found': '1', 'x-raft-index': '7', 'x-raft-version-vector': toBase64(Uint8Array.of(0)) },
      body: Uint8Array.of(4, 5),
    }));
    const client = new RaftClient({ nodes, exchange });
    const got = await client.get('doc', { consistency: 'stale', node: 'n2:2' });
    expect(got).toEqual({ found: true, state: Uint8Array.of(4, 5), versionVector: Uint8Array.of(0), index: 7, node: 'n2:2' });
    expect(requests.map((r) => [r.address, r.path])).toEqual([['n2:2', '/v1/docs/doc?consistency=stale']]);
  });
});
