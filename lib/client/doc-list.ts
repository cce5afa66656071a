/**
 * The relay's document listing (`GET {relay}/docs`) as the home page shows it. Parsing is lenient
 * about the envelope (a bare array, `{ docs: [...] }` or `{ rooms: [...] }`; entries as ids or
 * objects) and strict about ids: anything that is not a valid document id is dropped.
 */
import { isDocId, type DocId } from './doc-id';

/** One document the relay knows. */
export interface RelayDocSummary {
  readonly id: DocId;
  /** Clients connected to it right now, when the relay says. */
  readonly clients: number | null;
  /** The document's title, when the relay says and it is set. */
  readonly title: string | null;
  /** Time of the last update the relay applied (ISO 8601), when known. */
  readonly updatedAt: string | null;
}

/** Why the listing could not be shown. */
export class DocListError extends Error {
  override readonly name = 'DocListError';
  constructor(
    message: string,
    /** `unreachable`: no answer at all; `bad-response`: an answer we cannot read. */
    readonly kind: 'unreachable' | 'bad-response',
  ) {
    super(message);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readCount(entry: Record<string, unknown>): number | null {
  for (const key of ['clients', 'connections', 'peers', 'sockets']) {
    const value = entry[key];
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
    if (Array.isArray(value)) return value.length;
  }
  return null;
}

/** Reads a `/docs` JSON body into summaries, sorted by id, without duplicates. */
export function parseDocListing(body: unknown): RelayDocSummary[] {
  let entries: unknown[] | null = null;
  if (Array.isArray(body)) entries = body;
  else if (isRecord(body)) {
    for (const key of ['docs', 'rooms', 'documents']) {
      const value = body[key];
      if (Array.isArray(value)) {
        entries = value;
        break;
      }
    }
  }
  if (entries === null) throw new DocListError('the relay answered /docs with an unexpected shape', 'bad-response');
  const byId = new Map<string, RelayDocSummary>();
  for (const entry of entries) {
    if (typeof entry === 'string') {
      if (isDocId(entry)) byId.set(entry, { id: entry, clients: null, title: null, updatedAt: null });
    } else if (isRecord(entry)) {
      const id = entry.id ?? entry.docId ?? entry.name;
      if (typeof id === 'string' && isDocId(id)) {
        byId.set(id, {
          id,
          clients: readCount(entry),
          title: typeof entry.title === 'string' && entry.title.trim() !== '' ? entry.title.slice(0, 200) : null,
          updatedAt: typeof entry.updatedAt === 'string' ? entry.updatedAt : null,
        });
      }
    }
  }
  return [...byId.values()].sort((a, b) => a.id.localeCompare(b.id));
}

/** The subset of `fetch` used here (injected for tests). */
export type FetchLike = (url: string, init?: { signal?: AbortSignal; cache?: RequestCache }) => Promise<Response>;

/**
 * Fetches and parses the listing at `url`. Throws `DocListError` (`unreachable` on a network or
 * CORS failure or a non-2xx answer, `bad-response` on an unreadable body).
 */
export async function fetchDocListing(fetchFn: FetchLike, url: string, signal?: AbortSignal): Promise<RelayDocSummary[]> {
  let response: Response;
  try {
    response = await fetchFn(url, { signal, cache: 'no-store' });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new DocListError(`cannot reach ${url}`, 'unreachable');
  }
  if (!response.ok) throw new DocListError(`${url} answered HTTP ${response.status}`, 'unreachable');
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new DocListError(`${url} did not answer JSON`, 'bad-response');
  }
  return parseDocListing(body);
}
