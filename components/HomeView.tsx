'use client';

import { NewDocumentForm } from './NewDocumentForm';
import { RecentDocuments } from './RecentDocuments';
import { RelayDocuments } from './RelayDocuments';

/** The home page body: start a document, documents on the relay, documents opened here. */
export function HomeView({ relayUrls }: { relayUrls: string[] }) {
  return (
    <div className="home">
      <section className="hero">
        <h1>Your documents</h1>
        <p className="muted">
          Share a document&apos;s address and edit it together in real time. Edits made offline merge when you
          reconnect, without conflict dialogs.
        </p>
        <NewDocumentForm />
      </section>
      <div className="columns">
        <RelayDocuments relayUrls={relayUrls} />
        <RecentDocuments />
      </div>
    </div>
  );
}
