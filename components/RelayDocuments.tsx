'use client';

import Link from 'next/link';
import { useCallback, useEffect, useState } from 'react';
import { DocListError, fetchDocListing, type RelayDocSummary } from '../lib/client/doc-list';
import { relayHttpBase } from '../lib/client/relay-url';

type ListState =
  | { readonly kind: 'loading' }
  | { readonly kind: 'loaded'; readonly docs: readonly RelayDocSummary[] }
  | { readonly kind: 'failed'; readonly message: string };

/**
 * Fetches the listing from the relay itself; when the browser cannot read it (the relay is down,
 * or sends no CORS headers), asks the web server's `/api/docs`, which fetches it server-side.
 */
async function loadListing(relayUrls: readonly string[], signal: AbortSignal): Promise<RelayDocSummary[]> {
  let lastError: unknown = null;
  for (const url of relayUrls) {
    try {
      return await fetchDocListing(fetch, `${relayHttpBase(url)}/docs`, signal);
    } catch (error) {
      if (signal.aborted) throw error;
      lastError = error;
    }
  }
  try {
    return await fetchDocListing(fetch, '/api/docs', signal);
  } catch (error) {
    if (signal.aborted) throw error;
    throw lastError ?? error;
  }
}

/** "edited 3 min ago" from an ISO time; empty when unreadable. */
function formatUpdated(iso: string): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return '';
  const minutes = Math.round((Date.now() - at) / 60_000);
  if (minutes < 1) return 'edited just now';
  if (minutes < 60) return `edited ${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `edited ${hours} h ago`;
  return `edited ${new Date(at).toLocaleDateString()}`;
}

/** "On the relay": every document the relay holds, refreshed on demand. */
export function RelayDocuments({ relayUrls }: { relayUrls: string[] }) {
  const [state, setState] = useState<ListState>({ kind: 'loading' });
  const [generation, setGeneration] = useState(0);
  const refresh = useCallback(() => setGeneration((value) => value + 1), []);

  useEffect(() => {
    const controller = new AbortController();
    setState({ kind: 'loading' });
    loadListing(relayUrls, controller.signal).then(
      (docs) => setState({ kind: 'loaded', docs }),
      (error: unknown) => {
        if (controller.signal.aborted) return;
        const detail = error instanceof DocListError ? error.message : String(error);
        setState({ kind: 'failed', message: detail });
      },
    );
    return () => controller.abort();
  }, [relayUrls, generation]);

  return (
    <section className="card" data-testid="relay-docs">
      <div className="card-head">
        <h2>On the relay</h2>
        <button type="button" className="button small secondary" onClick={refresh} data-testid="refresh-docs">
          Refresh
        </button>
      </div>
      {state.kind === 'loading' && <p className="muted">Loading…</p>}
      {state.kind === 'failed' && (
        <div className="notice" role="alert" data-testid="relay-unreachable">
          <strong>The relay is unreachable.</strong>
          <span className="muted">
            {' '}
            Could not list documents from {relayUrls.join(', ')} ({state.message}). You can still open or create a
            document; it will sync when the relay is back.
          </span>
        </div>
      )}
      {state.kind === 'loaded' && state.docs.length === 0 && <p className="muted">No documents yet. Start one above.</p>}
      {state.kind === 'loaded' && state.docs.length > 0 && (
        <ul className="doc-list">
          {state.docs.map((doc) => (
            <li key={doc.id}>
              <span className="doc-entry">
                <Link href={`/d/${doc.id}`} data-testid="relay-doc">
                  {doc.id}
                </Link>
                {doc.title !== null && <span className="doc-title">{doc.title}</span>}
              </span>
              <span className="doc-meta">
                {doc.clients !== null && doc.clients > 0 && (
                  <span className="pill">{doc.clients === 1 ? '1 editing' : `${doc.clients} editing`}</span>
                )}
                {doc.updatedAt !== null && <span className="muted small">{formatUpdated(doc.updatedAt)}</span>}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
