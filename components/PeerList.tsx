'use client';

import type { AwarenessEntry } from '../lib/sync/protocol';
import type { Identity } from '../lib/client/identity';

/** The first letter of the last word of a name ("Anonymous Otter" → "O"). */
function initialOf(name: string): string {
  const words = name.trim().split(/\s+/);
  return (words[words.length - 1] ?? '?').charAt(0).toUpperCase() || '?';
}

/** Who is here: this browser first, then the peers the relay told us about. */
export function PeerList({ identity, peers }: { identity: Identity; peers: ReadonlyMap<number, AwarenessEntry> }) {
  const others = [...peers.values()].filter((entry) => entry.state !== null);
  return (
    <section className="side-card">
      <h3>
        People here <span className="pill" data-testid="peer-count">{others.length + 1}</span>
      </h3>
      <ul className="people">
        <li>
          <span className="avatar" style={{ background: identity.color }} aria-hidden="true">
            {initialOf(identity.name)}
          </span>
          <span>{identity.name}</span> <span className="muted small">(you)</span>
        </li>
        {others.map((entry) => (
          <li key={entry.clientId} data-testid="peer">
            <span className="avatar" style={{ background: entry.state?.color ?? '#64748b' }} aria-hidden="true">
              {initialOf(entry.state?.name ?? '?')}
            </span>
            <span>{entry.state?.name ?? 'Someone'}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
