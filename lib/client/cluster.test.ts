import { describe, expect, it } from 'vitest';
import {
  ClusterResponseError,
  parseRaftNodes,
  parseRaftStatus,
  parseRelayHealth,
  summarizeRaft,
  takeClusterSnapshot,
  type Probe,
  type RaftNodeStatus,
} from './cluster';
import type { FetchLike } from './doc-list';

const health = {
  status: 'ok',
  uptimeMs: 1200,
  rooms: 2,
  connections: 3,
  persistence: 'raft 127.0.0.1:7101,127.0.0.1:7102',
  persistIdle: true,
  raftNodes: ['127.0.0.1:7101', '127.0.0.1:7102', 'not an address'],
  stats: { framesIn: 10, bytesIn: 100, framesOut: 20, bytesOut: 200, connectionsOpened: 3, closedByRelay: {} },
};

function status(id: number, role: RaftNodeStatus['role'], term: number, leader: number): RaftNodeStatus {
  return { id, role, term, leader, commit: 5, applied: 5, lastIndex: 5, snapshotIndex: 0, documents: 1, uptimeMs: 10, peers: [] };
}

const ok = (value: RaftNodeStatus): Probe<RaftNodeStatus> => ({ address: `127.0.0.1:${7100 + value.id}`, ok: true, value, latencyMs: 1 });
const down = (port: number): Probe<RaftNodeStatus> => ({ address: `127.0.0.1:${port}`, ok: false, error: 'unreachable' });

/** A fetch over a fixed table of URL -> JSON body (a string body is sent as is; missing URLs reject). */
function fakeFetch(table: Record<string, unknown>): FetchLike {
  return async (url) => {
    if (!(url in table)) throw new TypeError('fetch failed');
    const body = table[url];
    return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status: 200 });
  };
}

describe('parseRelayHealth', () => {
  it('reads the fields the page shows and keeps only host:port raft nodes', () => {
    const parsed = parseRelayHealth(health);
    expect(parsed).toMatchObject({ status: 'ok', rooms: 2, connections: 3, framesIn: 10, bytesOut: 200 });
    expect(parsed.raftNodes).toEqual(['127.0.0.1:7101', '127.0.0.1:7102']);
  });

  it.each([null, [], 'ok', { status: 1 }, { ...health, rooms: -1 }, { ...health, uptimeMs: 'long' }])('refuses %j with a typed error', (body) => {
    expect(() => parseRelayHealth(body)).toThrow(ClusterResponseError);
  });
});

describe('parseRaftStatus', () => {
  it('reads a status', () => {
    expect(parseRaftStatus({ ...status(2, 'leader', 3, 2), peers: [{ id: 1, match: 4, state: 'replicate' }, { bad: true }] })).toMatchObject({
      id: 2,
      role: 'leader',
      peers: [{ id: 1, match: 4, state: 'replicate' }],
    });
  });

  it.each([{}, { ...status(1, 'leader', 1, 1), role: 'king' }, { ...status(1, 'follower', 1, 1), term: null }])('refuses %j', (body) => {
    expect(() => parseRaftStatus(body)).toThrow(ClusterResponseError);
  });
});

describe('parseRaftNodes', () => {
  it('splits, trims, drops junk and duplicates', () => {
    expect(parseRaftNodes(' 127.0.0.1:7101,,localhost:7102, 127.0.0.1:7101 ,nope,host:70000')).toEqual(['127.0.0.1:7101', 'localhost:7102']);
    expect(parseRaftNodes(undefined)).toEqual([]);
  });
});

describe('summarizeRaft', () => {
  it('is healthy with one leader that a majority follows', () => {
    const summary = summarizeRaft([ok(status(1, 'follower', 4, 2)), ok(status(2, 'leader', 4, 2)), down(7103)]);
    expect(summary).toMatchObject({ nodes: 3, answering: 2, leader: 2, term: 4 });
    // One node down is within the group's tolerance, but the page says so.
    expect(summary.problems).toEqual(['127.0.0.1:7103: unreachable']);
  });

  it('is healthy when every node answers and follows the leader', () => {
    expect(summarizeRaft([ok(status(1, 'follower', 4, 2)), ok(status(2, 'leader', 4, 2)), ok(status(3, 'follower', 4, 2))]).healthy).toBe(true);
  });

  it('reports no quorum and no leader', () => {
    const summary = summarizeRaft([ok(status(1, 'candidate', 7, 0)), down(7102), down(7103)]);
    expect(summary.healthy).toBe(false);
    expect(summary.leader).toBeNull();
    expect(summary.problems.slice(0, 2)).toEqual(['only 1 of 3 nodes answer: no quorum', 'no leader (an election may be under way)']);
  });

  it('flags two leaders in one term (election safety) and picks the newest term otherwise', () => {
    const split = summarizeRaft([ok(status(1, 'leader', 5, 1)), ok(status(2, 'leader', 5, 2)), ok(status(3, 'follower', 5, 1))]);
    expect(split.problems[0]).toBe('nodes 1 and 2 both claim to lead term 5');
    const stale = summarizeRaft([ok(status(1, 'leader', 5, 1)), ok(status(2, 'leader', 6, 2)), ok(status(3, 'follower', 6, 2))]);
    expect(stale.leader).toBe(2);
    expect(stale.term).toBe(6);
  });

  it('says when nothing is configured', () => {
    expect(summarizeRaft([]).problems).toEqual(['no Raft nodes are configured or reported by a relay']);
  });
});

describe('takeClusterSnapshot', () => {
  it('finds the raft nodes through the relays, probes them, and reports failures per endpoint', async () => {
    const snapshot = await takeClusterSnapshot({
      fetch: fakeFetch({
        'http://127.0.0.1:4100/health': health,
        'http://127.0.0.1:4101/health': 'not json',
        'http://127.0.0.1:7101/v1/status': status(1, 'follower', 2, 2),
        'http://127.0.0.1:7102/v1/status': status(2, 'leader', 2, 2),
        'http://127.0.0.1:7103/v1/status': { role: 'leader' },
      }),
      relayUrls: ['ws://127.0.0.1:4100', 'ws://127.0.0.1:4101', 'ws://127.0.0.1:4102'],
      raftNodes: ['127.0.0.1:7103'],
      at: new Date(0),
    });
    expect(snapshot.at).toBe('1970-01-01T00:00:00.000Z');
    expect(snapshot.relays.map((relay) => (relay.ok ? 'ok' : relay.error))).toEqual(['ok', 'answered something that is not JSON', 'unreachable']);
    expect(snapshot.raft.map((node) => node.address)).toEqual(['127.0.0.1:7101', '127.0.0.1:7102', '127.0.0.1:7103']);
    expect(snapshot.raft[2]).toMatchObject({ ok: false, error: expect.stringContaining('raft /v1/status') });
    expect(snapshot.summary).toMatchObject({ leader: 2, term: 2, answering: 2, nodes: 3 });
  });

  it('reports a timeout as such', async () => {
    const never: FetchLike = (_url, init) =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason)));
    const snapshot = await takeClusterSnapshot({ fetch: never, relayUrls: ['ws://127.0.0.1:4100'], raftNodes: [], timeoutMs: 20 });
    expect(snapshot.relays[0]).toEqual({ address: 'ws://127.0.0.1:4100', ok: false, error: 'no answer within 20 ms' });
  });

  it('reports an HTTP error status', async () => {
    const failing: FetchLike = async () => new Response('{}', { status: 503 });
    const snapshot = await takeClusterSnapshot({ fetch: failing, relayUrls: ['ws://127.0.0.1:4100'], raftNodes: ['127.0.0.1:7101'] });
    expect(snapshot.relays[0]).toMatchObject({ ok: false, error: 'HTTP 503' });
    expect(snapshot.raft[0]).toMatchObject({ ok: false, error: 'HTTP 503' });
  });
});
