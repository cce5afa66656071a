'use client';

/** Catches anything the editor throws while rendering, so a bug shows a message, not a blank page. */
export default function DocumentError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <section className="card error-card" role="alert">
      <h1>Something went wrong in the editor</h1>
      <p className="muted">{error.message || 'Unknown error'}</p>
      <div className="row">
        <button type="button" className="button" onClick={() => reset()}>
          Try again
        </button>
        <a className="button secondary" href="/">
          All documents
        </a>
      </div>
    </section>
  );
}
