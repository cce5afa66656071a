'use client';

import { usePathname } from 'next/navigation';
import { InvalidDocId } from './InvalidDocId';

/** The invalid-id page as a not-found boundary: the id comes from the URL (`/d/<id>`). */
export function InvalidDocIdPage() {
  const pathname = usePathname() ?? '';
  const raw = pathname.startsWith('/d/') ? pathname.slice(3) : pathname;
  let id = raw;
  try {
    id = decodeURIComponent(raw);
  } catch {
    // Keep the raw segment.
  }
  return <InvalidDocId id={id} />;
}
