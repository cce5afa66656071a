import { describe, expect, it } from 'vitest';
import { DEFAULT_RELAY_URL, parseRelayUrls, relayHttpBase } from './relay-url';

describe('relay URLs', () => {
  it('parses a comma-separated list, dropping junk and duplicates', () => {
    expect(parseRelayUrls('ws://127.0.0.1:4100, wss://relay.example/ ,http://nope,ws://127.0.0.1:4100')).toEqual([
      'ws://127.0.0.1:4100',
      'wss://relay.example',
    ]);
  });

  it('falls back to the default when nothing is configured', () => {
    expect(parseRelayUrls(undefined)).toEqual([DEFAULT_RELAY_URL]);
    expect(parseRelayUrls('  ')).toEqual([DEFAULT_RELAY_URL]);
  });

  it('derives the HTTP base of a relay', () => {
    expect(relayHttpBase('ws://127.0.0.1:4199')).toBe('http://127.0.0.1:4199');
    expect(relayHttpBase('wss://relay.example/sync')).toBe('https://relay.example');
  });
});
