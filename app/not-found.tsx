import Link from 'next/link';

/** Any URL that is not a page. */
export default function NotFound() {
  return (
    <section className="card error-card">
      <h1>Page not found</h1>
      <p className="muted">There is nothing at this address.</p>
      <Link className="button" href="/">
        All documents
      </Link>
    </section>
  );
}
