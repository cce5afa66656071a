'use client';

import { useEffect, useState } from 'react';
import type { ConnectionSnapshot } from '../lib/client/connection';

const LABELS = {
  connecting: 'Connecting to the relay',
  syncing: 'Exchanging changes with the relay',
  live: 'Live: edits are shared as you type',
  offline: 'Offline: edits are kept here and sent when you reconnect',
} as const;

/** The connection status word (`data-testid="status"`), with the retry countdown when waiting. */
export function StatusBadge({ snapshot }: { snapshot: ConnectionSnapshot }) {
  const [now, setNow] = useState(() => Date.now());
  const retryAt = snapshot.nextRetryAt;

  useEffect(() => {
    if (retryAt === null) return;
    setNow(Date.now());
    const timer = window.setInterval(() => setNow(Date.now()), 500);
    return () => window.clearInterval(timer);
  }, [retryAt]);

  const seconds = retryAt === null ? null : Math.max(0, Math.ceil((retryAt - now) / 1000));
  return (
    <div className="status-box" title={LABELS[snapshot.status]}>
      <span className={`status status-${snapshot.status}`}>
        <span className="status-dot" aria-hidden="true" />
        <span data-testid="status">{snapshot.status}</span>
      </span>
      {seconds !== null && snapshot.status !== 'live' && (
        <span className="muted small" data-testid="retry">
          retrying in {seconds}s
        </span>
      )}
      {snapshot.lastError !== null && snapshot.status !== 'live' && (
        <span className="status-error small" data-testid="connection-error">
          {snapshot.lastError.message}
        </span>
      )}
    </div>
  );
}
