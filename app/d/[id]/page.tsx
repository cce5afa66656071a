import type { Metadata } from 'next';
import { Editor } from '../../../components/Editor';
import { InvalidDocId } from '../../../components/InvalidDocId';
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

/** `/d/<id>`: the editor for one document, or a clear error for an id the relay would refuse. */
export default async function DocumentPage({ params }: Props) {
  const id = decodeSegment((await params).id);
  if (!isDocId(id)) return <InvalidDocId id={id} />;
  const config = readClientConfig(process.env);
  return <Editor key={id} docId={id} relayUrls={[...config.relayUrls]} />;
}
