import Link from 'next/link';

/** The error page for `/d/<id>` when the id is not 1–128 characters of A–Z, a–z, 0–9, _ and -. */
export function InvalidDocId({ id }: { id: string }) {
  const shown = id.length > 80 ? `${id.slice(0, 80)}…` : id;
  return (
    <section className="card error-card" data-testid="invalid-doc-id" role="alert">
      <h1>Invalid document id</h1>
      <p>
        <code className="bad-id">{shown || '(empty)'}</code> cannot be a document id.
      </p>
      <p className="muted">
        Ids are 1 to 128 characters made of letters, digits, <code>_</code> and <code>-</code>.
      </p>
      <Link className="button" href="/">
        Back to all documents
      </Link>
    </section>
  );
}
