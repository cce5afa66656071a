'use client';

import { useEffect, useState } from 'react';
import type { Doc } from '../lib/crdt';

/** The LWW register holding the document's title. */
export const TITLE = 'title';

function readTitle(doc: Doc): string {
  const value = doc.getRegister(TITLE).get();
  return typeof value === 'string' ? value : '';
}

/** The document title, shared through a last-writer-wins register (concurrent edits: one wins). */
export function TitleInput({ doc, placeholder }: { doc: Doc; placeholder: string }) {
  const [title, setTitle] = useState(() => readTitle(doc));

  useEffect(() => {
    setTitle(readTitle(doc));
    return doc.on('change', (event) => {
      if (event.changes.some((change) => change.field === TITLE)) setTitle(readTitle(doc));
    });
  }, [doc]);

  return (
    <input
      className="title-input"
      data-testid="title"
      aria-label="Document title"
      value={title}
      placeholder={placeholder}
      maxLength={200}
      onChange={(event) => {
        setTitle(event.target.value);
        doc.getRegister(TITLE).set(event.target.value);
      }}
    />
  );
}
