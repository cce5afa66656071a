import { readClientConfig } from '../../../lib/client/config';
import { DocListError, fetchDocListing } from '../../../lib/client/doc-list';
import { relayHttpBase } from '../../../lib/client/relay-url';

export const dynamic = 'force-dynamic';

/**
 * `GET /api/docs`: the relay's document listing fetched by the web server, for browsers that
 * cannot read the relay's `/docs` directly (no CORS headers on the relay). Tries each configured
 * relay in turn; 502 with `{ error }` when none answers.
 */
export async function GET(): Promise<Response> {
  const { relayUrls } = readClientConfig(process.env);
  let lastError = 'no relay configured';
  for (const url of relayUrls) {
    const listingUrl = `${relayHttpBase(url)}/docs`;
    try {
      const docs = await fetchDocListing(fetch, listingUrl, AbortSignal.timeout(3_000));
      return Response.json({ docs, relay: listingUrl }, { headers: { 'cache-control': 'no-store' } });
    } catch (error) {
      lastError = error instanceof DocListError ? error.message : `cannot reach ${listingUrl}`;
    }
  }
  return Response.json({ error: lastError }, { status: 502, headers: { 'cache-control': 'no-store' } });
}
