/**
 * The cluster page's data: every relay's `GET /health` and every Raft node's `GET /v1/status`,
 * read by the web server (`/api/cluster`) and shown live by `components/ClusterView.tsx`.
 *
 * Raft nodes are the union of `TANDEM_RAFT_NODES` (the app's own list, optional) and the
 * `raftNodes` each relay reports, so the page finds the group without extra configuration.
 * Parsing is strict: an answer of the wrong shape is shown as that node's error, never half-read.
 * `summarizeRaft` derives the group's health (leader, quorum, the Raft election-safety check
 * across the nodes that answered) from the statuses alone, so it is a pure, tested function.
 */
import { relayHttpBase } from './relay-url';
import type { FetchLike } from './doc-list';

/** What a relay's `/health` says (the fields the page shows). */
export interface RelayHealth {
  readonly status: string;
  readonly uptimeMs: number;
  readonly rooms: number;
  readonly connections: number;
  readonly persistence: string | null;
  readonly persistIdle: boolean;
  readonly raftNodes: readonly string[];
  readonly framesIn: number;
  readonly framesOut: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

export type RaftRole = 'follower' | 'preCandidate' | 'candidate' | 'leader';

/** One peer as a node reports it (replication progress only from the leader). */
export interface RaftPeerView {
  readonly id: number;
  readonly match: number | null;
  readonly state: string | null;
}

/** What a Raft node's `/v1/status` says (the fields the page shows). */
export interface RaftNodeStatus {
  readonly id: number;
  readonly role: RaftRole;
  readonly term: number;
  readonly leader: number;
  readonly commit: number;
  readonly applied: number;
  readonly lastIndex: number;
  readonly snapshotIndex: number;
  readonly documents: number;
  readonly uptimeMs: number;
  readonly peers: readonly RaftPeerView[];
}

/** One probed endpoint: its answer, or why there is none. */
export type Probe<T> =
  | { readonly address: string; readonly ok: true; readonly value: T; readonly latencyMs: number }
  | { readonly address: string; readonly ok: false; readonly error: string };

/** The group's health as derived from the node statuses. */
export interface RaftSummary {
  /** Nodes probed / nodes that answered. */
  readonly nodes: number;
  readonly answering: number;
  /** The id of the leader of the highest term that has one, or null. */
  readonly leader: number | null;
  readonly term: number | null;
  /** A majority of the probed nodes answers and agrees on a leader. */
  readonly healthy: boolean;
  /** Human-readable problems, worst first (empty when healthy). */
  readonly problems: readonly string[];
}

export interface ClusterSnapshot {
  /** ISO time the snapshot was taken (by the web server). */
  readonly at: string;
  readonly relays: readonly Probe<RelayHealth>[];
  readonly raft: readonly Probe<RaftNodeStatus>[];
  readonly summary: RaftSummary;
}

/** An answer that is not what the endpoint promises. */
export class ClusterResponseError extends Error {
  override readonly name = 'ClusterResponseError';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function count(body: Record<string, unknown>, key: string, what: string): number {
  const value = body[key];
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ClusterResponseError(`${what}: "${key}" is not a non-negative number`);
  }
  return value;
}

const ROLES: readonly RaftRole[] = ['follower', 'preCandidate', 'candidate', 'leader'];

/** Reads a relay's `/health` body. Throws `ClusterResponseError` on a wrong shape. */
export function parseRelayHealth(body: unknown): RelayHealth {
  const what = 'relay /health';
  if (!isRecord(body)) throw new ClusterResponseError(`${what}: not a JSON object`);
  if (typeof body.status !== 'string') throw new ClusterResponseError(`${what}: no "status"`);
  const stats = isRecord(body.stats) ? body.stats : {};
  const raftNodes = Array.isArray(body.raftNodes) ? body.raftNodes.filter((node): node is string => typeof node === 'string' && isHostPort(node)) : [];
  const statOf = (key: string): number => (typeof stats[key] === 'number' && Number.isFinite(stats[key]) ? (stats[key] as number) : 0);
  return {
    status: body.status,
    uptimeMs: count(body, 'uptimeMs', what),
    rooms: count(body, 'rooms', what),
    connections: count(body, 'connections', what),
    persistence: typeof body.persistence === 'string' ? body.persistence : null,
    persistIdle: body.persistIdle !== false,
    raftNodes,
    framesIn: statOf('framesIn'),
    framesOut: statOf('framesOut'),
    bytesIn: statOf('bytesIn'),
    bytesOut: statOf('bytesOut'),
  };
}

/** Reads a Raft node's `/v1/status` body. Throws `ClusterResponseError` on a wrong shape. */
export function parseRaftStatus(body: unknown): RaftNodeStatus {
  const what = 'raft /v1/status';
  if (!isRecord(body)) throw new ClusterResponseError(`${what}: not a JSON object`);
  const role = body.role;
  if (typeof role !== 'string' || !ROLES.includes(role as RaftRole)) throw new ClusterResponseError(`${what}: unknown role ${JSON.stringify(role)}`);
  const peers: RaftPeerView[] = [];
  if (Array.isArray(body.peers)) {
    for (const peer of body.peers) {
      if (!isRecord(peer) || typeof peer.id !== 'number') continue;
      peers.push({
        id: peer.id,
        match: typeof peer.match === 'number' ? peer.match : null,
        state: typeof peer.state === 'string' ? peer.state : null,
      });
    }
  }
  return {
    id: count(body, 'id', what),
    role: role as RaftRole,
    term: count(body, 'term', what),
    leader: count(body, 'leader', what),
    commit: count(body, 'commit', what),
    applied: count(body, 'applied', what),
    lastIndex: count(body, 'lastIndex', what),
    snapshotIndex: count(body, 'snapshotIndex', what),
    documents: count(body, 'documents', what),
    uptimeMs: count(body, 'uptimeMs', what),
    peers,
  };
}

/** `host:port` with a port in range (what relays report and `TANDEM_RAFT_NODES` holds). */
export function isHostPort(text: string): boolean {
  const match = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]):(\d{1,5})$/.exec(text);
  return match !== null && Number(match[2]) > 0 && Number(match[2]) < 65536;
}

/** Splits `TANDEM_RAFT_NODES` (`host:port,host:port`); entries that are not `host:port` are dropped. */
export function parseRaftNodes(raw: string | undefined | null): string[] {
  const nodes: string[] = [];
  for (const part of (raw ?? '').split(',')) {
    const node = part.trim();
    if (isHostPort(node) && !nodes.includes(node)) nodes.push(node);
  }
  return nodes;
}

/**
 * The group's health from what the nodes said. Election safety says at most one leader per term:
 * two nodes claiming leadership of the same term is reported (it would be a bug in our Raft).
 */
export function summarizeRaft(probes: readonly Probe<RaftNodeStatus>[]): RaftSummary {
  const statuses = probes.flatMap((probe) => (probe.ok ? [probe.value] : []));
  const problems: string[] = [];
  const leadersByTerm = new Map<number, number[]>();
  for (const status of statuses) {
    if (status.role !== 'leader') continue;
    leadersByTerm.set(status.term, [...(leadersByTerm.get(status.term) ?? []), status.id]);
  }
  for (const [term, ids] of leadersByTerm) {
    if (ids.length > 1) problems.push(`nodes ${ids.join(' and ')} both claim to lead term ${term}`);
  }
  const terms = [...leadersByTerm.keys()].sort((a, b) => b - a);
  const term = terms.length > 0 ? terms[0]! : null;
  const leader = term === null ? null : leadersByTerm.get(term)![0]!;
  const majority = Math.floor(probes.length / 2) + 1;
  if (probes.length === 0) problems.push('no Raft nodes are configured or reported by a relay');
  else if (statuses.length < majority) problems.push(`only ${statuses.length} of ${probes.length} nodes answer: no quorum`);
  if (probes.length > 0 && leader === null) problems.push('no leader (an election may be under way)');
  const following = leader === null ? 0 : statuses.filter((status) => status.leader === leader).length;
  if (leader !== null && following < majority) problems.push(`only ${following} of ${probes.length} nodes follow leader ${leader}`);
  for (const probe of probes) if (!probe.ok) problems.push(`${probe.address}: ${probe.error}`);
  return {
    nodes: probes.length,
    answering: statuses.length,
    leader,
    term,
    healthy: problems.length === 0,
    problems,
  };
}

/** GETs `url` as JSON within `timeoutMs` and parses it; a failed probe carries the reason. */
export async function probe<T>(fetchFn: FetchLike, address: string, url: string, parse: (body: unknown) => T, timeoutMs: number, now: () => number = () => performance.now()): Promise<Probe<T>> {
  const started = now();
  let response: Response;
  try {
    response = await fetchFn(url, { signal: AbortSignal.timeout(timeoutMs), cache: 'no-store' });
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    return { address, ok: false, error: timedOut ? `no answer within ${timeoutMs} ms` : 'unreachable' };
  }
  if (!response.ok) return { address, ok: false, error: `HTTP ${response.status}` };
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    return { address, ok: false, error: 'answered something that is not JSON' };
  }
  try {
    return { address, ok: true, value: parse(body), latencyMs: Math.max(0, now() - started) };
  } catch (error) {
    return { address, ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Probes every relay, then every Raft node (configured ones plus those the relays report), all in
 * parallel within each stage. Never throws: unreachable endpoints are probes with `ok: false`.
 */
export async function takeClusterSnapshot(options: {
  readonly fetch: FetchLike;
  readonly relayUrls: readonly string[];
  readonly raftNodes: readonly string[];
  readonly timeoutMs?: number;
  readonly at?: Date;
}): Promise<ClusterSnapshot> {
  const timeoutMs = options.timeoutMs ?? 1500;
  const relays = await Promise.all(
    options.relayUrls.map((url) => probe(options.fetch, url, `${relayHttpBase(url)}/health`, parseRelayHealth, timeoutMs)),
  );
  const nodes = [...options.raftNodes];
  for (const relay of relays) {
    if (!relay.ok) continue;
    for (const node of relay.value.raftNodes) if (!nodes.includes(node)) nodes.push(node);
  }
  const raft = await Promise.all(nodes.map((node) => probe(options.fetch, node, `http://${node}/v1/status`, parseRaftStatus, timeoutMs)));
  // By node id; nodes that did not answer last, by address.
  const rank = (node: Probe<RaftNodeStatus>): number => (node.ok ? node.value.id : Number.MAX_SAFE_INTEGER);
  raft.sort((a, b) => rank(a) - rank(b) || a.address.localeCompare(b.address));
  return { at: (options.at ?? new Date()).toISOString(), relays, raft, summary: summarizeRaft(raft) };
}
