'use client';

import { useEffect, useState } from 'react';
import type { ClusterSnapshot, Probe, RaftNodeStatus, RelayHealth } from '../lib/client/cluster';

/** How often the page asks the web server for a new snapshot. */
const REFRESH_MS = 1000;

type ViewState =
  | { readonly kind: 'loading' }
  | { readonly kind: 'loaded'; readonly snapshot: ClusterSnapshot; readonly error: string | null };

function formatUptime(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${minutes % 60} min`;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

const ROLE_LABEL: Record<RaftNodeStatus['role'], string> = {
  leader: 'leader',
  follower: 'follower',
  candidate: 'candidate',
  preCandidate: 'pre-candidate',
};

function RelayRow({ probe }: { probe: Probe<RelayHealth> }) {
  if (!probe.ok) {
    return (
      <tr className="down" data-testid="relay-row">
        <td>{probe.address}</td>
        <td colSpan={5}>
          <span className="pill pill-down">down</span> {probe.error}
        </td>
      </tr>
    );
  }
  const relay = probe.value;
  return (
    <tr data-testid="relay-row">
      <td>{probe.address}</td>
      <td>
        <span className={relay.status === 'ok' ? 'pill pill-up' : 'pill pill-warn'}>{relay.status}</span>
      </td>
      <td>{formatUptime(relay.uptimeMs)}</td>
      <td>
        {relay.rooms} rooms · {relay.connections} connections
      </td>
      <td>
        {relay.framesIn} in ({formatBytes(relay.bytesIn)}) · {relay.framesOut} out ({formatBytes(relay.bytesOut)})
      </td>
      <td>
        {relay.persistence ?? 'none'}
        {relay.persistence !== null && !relay.persistIdle ? ' · saving…' : ''}
      </td>
    </tr>
  );
}

function RaftRow({ probe, leaderCommit }: { probe: Probe<RaftNodeStatus>; leaderCommit: number | null }) {
  if (!probe.ok) {
    return (
      <tr className="down" data-testid="raft-row" data-role="down">
        <td>?</td>
        <td>{probe.address}</td>
        <td colSpan={6}>
          <span className="pill pill-down">down</span> {probe.error}
        </td>
      </tr>
    );
  }
  const node = probe.value;
  const behind = leaderCommit === null ? 0 : Math.max(0, leaderCommit - node.applied);
  return (
    <tr className={node.role === 'leader' ? 'leader' : undefined} data-testid="raft-row" data-role={node.role}>
      <td>{node.id}</td>
      <td>{probe.address}</td>
      <td>
        <span className={node.role === 'leader' ? 'pill pill-leader' : 'pill'}>{ROLE_LABEL[node.role]}</span>
      </td>
      <td>{node.term}</td>
      <td>
        {node.commit} / {node.applied}
        {behind > 0 ? <span className="muted"> ({behind} behind)</span> : null}
      </td>
      <td>
        {node.lastIndex}
        {node.snapshotIndex > 0 ? <span className="muted"> (snapshot {node.snapshotIndex})</span> : null}
      </td>
      <td>{node.documents}</td>
      <td>{formatUptime(node.uptimeMs)}</td>
    </tr>
  );
}

/** The cluster page: relays and Raft nodes, refreshed every second from `/api/cluster`. */
export function ClusterView() {
  const [state, setState] = useState<ViewState>({ kind: 'loading' });

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let controller: AbortController | undefined;
    const poll = async (): Promise<void> => {
      controller = new AbortController();
      try {
        const response = await fetch('/api/cluster', { cache: 'no-store', signal: controller.signal });
        if (!response.ok) throw new Error(`the web server answered HTTP ${response.status}`);
        const snapshot = (await response.json()) as ClusterSnapshot;
        if (!stopped) setState({ kind: 'loaded', snapshot, error: null });
      } catch (error) {
        if (stopped) return;
        const message = error instanceof Error ? error.message : String(error);
        setState((previous) =>
          previous.kind === 'loaded' ? { ...previous, error: `cannot refresh: ${message}` } : previous,
        );
      }
      if (!stopped) timer = setTimeout(() => void poll(), REFRESH_MS);
    };
    void poll();
    return () => {
      stopped = true;
      controller?.abort();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, []);

  if (state.kind === 'loading') {
    return (
      <div className="cluster">
        <h1>Cluster</h1>
        <p className="muted">Asking the relays and the Raft nodes…</p>
      </div>
    );
  }
  const { snapshot, error } = state;
  const { summary } = snapshot;
  const leaderProbe = snapshot.raft.find((node) => node.ok && node.value.id === summary.leader && node.value.role === 'leader');
  const leaderCommit = leaderProbe !== undefined && leaderProbe.ok ? leaderProbe.value.commit : null;
  return (
    <div className="cluster">
      <div className="card-head">
        <h1>Cluster</h1>
        <span className="muted small" data-testid="cluster-updated">
          updated {new Date(snapshot.at).toLocaleTimeString()}
          {error !== null ? ` · ${error}` : ''}
        </span>
      </div>

      <section className="card">
        <h2>Persistence group (Raft)</h2>
        <p data-testid="raft-summary" className={summary.healthy ? 'notice notice-ok' : 'notice'}>
          {summary.leader !== null
            ? `Leader: node ${summary.leader} (term ${summary.term}) · ${summary.answering} of ${summary.nodes} nodes answer`
            : `No leader · ${summary.answering} of ${summary.nodes} nodes answer`}
        </p>
        {summary.problems.length > 0 ? (
          <ul className="problems" data-testid="raft-problems">
            {summary.problems.map((problem) => (
              <li key={problem}>{problem}</li>
            ))}
          </ul>
        ) : null}
        {snapshot.raft.length > 0 ? (
          <table className="cluster-table">
            <thead>
              <tr>
                <th>id</th>
                <th>address</th>
                <th>role</th>
                <th>term</th>
                <th>commit / applied</th>
                <th>last index</th>
                <th>documents</th>
                <th>uptime</th>
              </tr>
            </thead>
            <tbody>
              {snapshot.raft.map((probe) => (
                <RaftRow key={probe.address} probe={probe} leaderCommit={leaderCommit} />
              ))}
            </tbody>
          </table>
        ) : null}
      </section>

      <section className="card">
        <h2>Relays</h2>
        <table className="cluster-table">
          <thead>
            <tr>
              <th>relay</th>
              <th>status</th>
              <th>uptime</th>
              <th>load</th>
              <th>frames</th>
              <th>persistence</th>
            </tr>
          </thead>
          <tbody>
            {snapshot.relays.map((probe) => (
              <RelayRow key={probe.address} probe={probe} />
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}
