'use client';

import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { generateDocId, slugifyDocName } from '../lib/client/doc-id';

/** "New document": a typed name becomes the id (slugified), an empty name a random readable id. */
export function NewDocumentForm() {
  const router = useRouter();
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);

  function onSubmit(event: FormEvent<HTMLFormElement>): void {
    event.preventDefault();
    const trimmed = name.trim();
    const id = trimmed === '' ? generateDocId(Math.random) : slugifyDocName(trimmed);
    if (id === null) {
      setError('Use at least one letter or digit in the name.');
      return;
    }
    setError(null);
    router.push(`/d/${id}`);
  }

  return (
    <form className="new-doc" onSubmit={onSubmit} data-testid="new-doc-form">
      <input
        className="input"
        type="text"
        name="name"
        value={name}
        maxLength={200}
        placeholder="Name it (optional), e.g. meeting-notes"
        aria-label="Document name"
        onChange={(event) => setName(event.target.value)}
      />
      <button type="submit" className="button">
        New document
      </button>
      {error !== null && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
