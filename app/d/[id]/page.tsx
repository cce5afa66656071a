import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { Editor } from '../../../components/Editor';
import { readClientConfig } from '../../../lib/client/config';
import { isDocId } from '../../../lib/client/doc-id';

/** Read TANDEM_RELAY_URL per request, not at build time. */
export const dynamic = 'force-dynamic';

interface Props {
  readonly params: Promise<{ id: string }>;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const id = decodeSegment((await params).id);
  return { title: isDocId(id) ? `${id} · Tandem` : 'Invalid document · Tandem' };
}

/** `/d/<id>`: the editor for one document, or a clear 404 page for an id the relay would refuse. */
export default async function DocumentPage({ params }: Props) {
  const id = decodeSegment((await params).id);
  // Answered with 404 and the "Invalid document id" page (./not-found.tsx).
  if (!isDocId(id)) notFound();
  const config = readClientConfig(process.env);
  return <Editor key={id} docId={id} relayUrls={[...config.relayUrls]} />;
}
