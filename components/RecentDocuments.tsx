'use client';

import Link from 'next/link';
import { useEffect, useState } from 'react';
import { readRecentDocs, type RecentDoc } from '../lib/client/recent-docs';

function formatWhen(openedAt: number, now: number): string {
  const minutes = Math.round((now - openedAt) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  return new Date(openedAt).toLocaleDateString();
}

/** "Opened here": the documents this browser opened recently (localStorage). */
export function RecentDocuments() {
  const [docs, setDocs] = useState<readonly RecentDoc[] | null>(null);
  const [now, setNow] = useState(0);

  useEffect(() => {
    setDocs(readRecentDocs(window.localStorage));
    setNow(Date.now());
  }, []);

  return (
    <section className="card" data-testid="recent-docs">
      <div className="card-head">
        <h2>Opened in this browser</h2>
      </div>
      {docs === null && <p className="muted">Loading…</p>}
      {docs !== null && docs.length === 0 && <p className="muted">Nothing yet.</p>}
      {docs !== null && docs.length > 0 && (
        <ul className="doc-list">
          {docs.map((doc) => (
            <li key={doc.id}>
              <Link href={`/d/${doc.id}`} data-testid="recent-doc">
                {doc.id}
              </Link>
              <span className="muted small">{formatWhen(doc.openedAt, now)}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
