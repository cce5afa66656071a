import type { ReactNode } from 'react';

/** The document segment's layout; it exists so `./not-found.tsx` is the boundary for invalid ids. */
export default function DocumentLayout({ children }: { children: ReactNode }) {
  return children;
}
