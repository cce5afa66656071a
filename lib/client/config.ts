/**
 * Run-time configuration of the web app, read by server components on every request (never baked
 * into the build): `TANDEM_RELAY_URL` is one relay WebSocket URL or a comma-separated list.
 */
import { parseRelayUrls } from './relay-url';

/** What the server hands to client components. */
export interface ClientConfig {
  /** Relay WebSocket URLs. Invariant: non-empty. */
  readonly relayUrls: readonly string[];
}

/** Reads the configuration from an environment (pass `process.env`). */
export function readClientConfig(env: Readonly<Record<string, string | undefined>>): ClientConfig {
  return { relayUrls: parseRelayUrls(env.TANDEM_RELAY_URL) };
}
