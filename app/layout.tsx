import type { Metadata } from 'next';
import Link from 'next/link';
import type { ReactNode } from 'react';
import './globals.css';

export const metadata: Metadata = {
  title: 'Tandem',
  description: 'Real-time collaborative documents that keep working offline.',
};

/** The root layout: a slim top bar and the page. */
export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <header className="topbar">
          <Link href="/" className="brand">
            <span className="brand-mark" aria-hidden="true">⟡</span> Tandem
          </Link>
          <span className="tagline">write together, even offline</span>
          <nav className="topbar-nav">
            <Link href="/">Documents</Link> · <Link href="/cluster">Cluster</Link>
          </nav>
        </header>
        <main className="page">{children}</main>
      </body>
    </html>
  );
}
