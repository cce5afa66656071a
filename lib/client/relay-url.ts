/**
 * Relay addresses as the app is configured with them: `TANDEM_RELAY_URL` is one WebSocket URL or a
 * comma-separated list (`ws://a:4100,ws://b:4100`). The HTTP endpoints (`/docs`, `/health`) live
 * on the same host and port.
 */

/** Thrown when no usable relay URL is configured. */
export class RelayUrlError extends Error {
  override readonly name = 'RelayUrlError';
}

/** The default relay when `TANDEM_RELAY_URL` is unset. */
export const DEFAULT_RELAY_URL = 'ws://127.0.0.1:4100';

/** Splits and validates a relay list; keeps only ws:// and wss:// URLs, without duplicates. */
export function parseRelayUrls(raw: string | undefined | null): string[] {
  const parts = (raw ?? '').split(',').map((part) => part.trim()).filter((part) => part.length > 0);
  const urls: string[] = [];
  for (const part of parts) {
    let url: URL;
    try {
      url = new URL(part);
    } catch {
      continue;
    }
    if (url.protocol !== 'ws:' && url.protocol !== 'wss:') continue;
    const text = url.toString().replace(/\/$/, '');
    if (!urls.includes(text)) urls.push(text);
  }
  return urls.length > 0 ? urls : [DEFAULT_RELAY_URL];
}

/** The HTTP base (`http://host:port`) of a relay WebSocket URL. */
export function relayHttpBase(wsUrl: string): string {
  const url = new URL(wsUrl);
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new RelayUrlError(`not a WebSocket URL: ${wsUrl}`);
  }
  url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  url.pathname = '';
  url.search = '';
  url.hash = '';
  return url.toString().replace(/\/$/, '');
}

/** The WebSocket URL for one document on a relay. */
export function relayDocUrl(wsUrl: string, docId: string): string {
  const url = new URL(wsUrl);
  const base = url.pathname.replace(/\/$/, '');
  url.pathname = `${base}/doc/${encodeURIComponent(docId)}`;
  return url.toString();
}
