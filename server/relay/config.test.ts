import { describe, expect, it } from 'vitest';
import { RelayConfigError, parseRelayArgs } from './config';

function run(argv: string[], env: Record<string, string> = {}) {
  const parsed = parseRelayArgs(argv, env);
  if (parsed.kind !== 'run') throw new Error('expected a run config');
  return parsed.config;
}

describe('relay configuration', () => {
  it('defaults to 127.0.0.1:4100 (servers bind loopback unless told otherwise)', () => {
    expect(run([])).toMatchObject({ host: '127.0.0.1', port: 4100, maxPayload: 4 * 1024 * 1024 });
  });

  it('reads the environment, and flags win over it', () => {
    const env = { TANDEM_RELAY_PORT: '5000', TANDEM_RELAY_HOST: '127.0.0.2', TANDEM_RELAY_RATE_BURST: '10' };
    expect(run([], env)).toMatchObject({ port: 5000, host: '127.0.0.2', rateLimit: { capacity: 10 } });
    expect(run(['--port', '4101', '--host=localhost'], env)).toMatchObject({ port: 4101, host: 'localhost' });
    expect(run(['--port', '0']).port).toBe(0);
  });

  it('refuses unknown flags, missing values and out-of-range numbers with RelayConfigError', () => {
    for (const argv of [['--nope'], ['--port'], ['--port', '70000'], ['--port', '-1'], ['--port', '12ab'], ['--rate-burst', '0'], ['--max-payload', '1']]) {
      expect(() => parseRelayArgs(argv, {}), argv.join(' ')).toThrow(RelayConfigError);
    }
    expect(() => parseRelayArgs([], { TANDEM_RELAY_PORT: 'x' })).toThrow(RelayConfigError);
  });

  it('parses allowed origins and refuses things that are not origins', () => {
    expect(run(['--allowed-origins', 'http://127.0.0.1:3000, https://tandem.example']).allowedOrigins).toEqual(['http://127.0.0.1:3000', 'https://tandem.example']);
    expect(run([]).allowedOrigins).toBeUndefined();
    expect(() => parseRelayArgs(['--allowed-origins', 'http://x/path'], {})).toThrow(RelayConfigError);
    expect(() => parseRelayArgs(['--allowed-origins', 'nope'], {})).toThrow(RelayConfigError);
  });

  it('reads the Raft group from --raft or TANDEM_RAFT_NODES (none = memory only) and refuses bad addresses', () => {
    expect(run([]).raftNodes).toEqual([]);
    expect(run([], { TANDEM_RAFT_NODES: '127.0.0.1:7101,127.0.0.1:7102' }).raftNodes).toEqual(['127.0.0.1:7101', '127.0.0.1:7102']);
    expect(run(['--raft', '127.0.0.1:7103'], { TANDEM_RAFT_NODES: '127.0.0.1:7101' }).raftNodes).toEqual(['127.0.0.1:7103']);
    expect(run(['--persist-interval-ms', '20']).persistIntervalMs).toBe(20);
    expect(run([]).persistIntervalMs).toBe(50);
    expect(run([]).roomIdleMs).toBe(60_000);
    expect(run(['--room-idle-ms', '0']).roomIdleMs).toBe(0);
    expect(run([], { TANDEM_RELAY_ROOM_IDLE_MS: '500' }).roomIdleMs).toBe(500);
    expect(() => parseRelayArgs(['--room-idle-ms', '-5'], {})).toThrow(RelayConfigError);
    for (const bad of ['127.0.0.1', '127.0.0.1:0', ':7101', 'host:99999']) {
      expect(() => parseRelayArgs(['--raft', bad], {}), bad).toThrow(RelayConfigError);
    }
  });

  it('--help asks for the usage', () => {
    expect(parseRelayArgs(['--port', '1', '--help'], {})).toEqual({ kind: 'help' });
  });
});
