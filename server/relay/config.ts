/**
 * The relay's command line and environment, parsed into `startRelay` options by a pure function
 * (argv and env are passed in). Flags win over environment variables, which win over defaults.
 */
import type { TokenBucketOptions } from './rate-limit';
import { DEFAULT_MAX_BUFFERED_BYTES, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_PAYLOAD, DEFAULT_RATE_LIMIT } from './server';

/** A bad flag, value or environment variable. */
export class RelayConfigError extends Error {
  override readonly name = 'RelayConfigError';
}

/** Everything the launcher can configure. */
export interface RelayConfig {
  readonly port: number;
  readonly host: string;
  readonly maxPayload: number;
  readonly maxMessageBytes: number;
  readonly rateLimit: TokenBucketOptions;
  readonly maxBufferedBytes: number;
  readonly heartbeatMs: number;
  readonly allowOrigin: string;
  /** Browser origins allowed to open WebSockets; undefined = any. */
  readonly allowedOrigins: readonly string[] | undefined;
  /** Client addresses (`host:port`) of the Raft persistence group; empty = memory only. */
  readonly raftNodes: readonly string[];
  /** Least time between two merges of one document into the group, ms. */
  readonly persistIntervalMs: number;
  /** With the group: ms a room stays in memory after its last client left (0 = forever). */
  readonly roomIdleMs: number;
}

/** Result of parsing: run with a config, or print the usage. */
export type ParsedArgs = { readonly kind: 'run'; readonly config: RelayConfig } | { readonly kind: 'help' };

export const DEFAULT_PORT = 4100;
export const DEFAULT_HOST = '127.0.0.1';

interface Setting {
  readonly flag: string;
  readonly env: string;
  readonly description: string;
}

/** Each setting: its flag, its environment variable, what it means (also the usage text). */
const settings = {
  port: { flag: '--port', env: 'TANDEM_RELAY_PORT', description: `TCP port (0 = any free port; default ${DEFAULT_PORT})` },
  host: { flag: '--host', env: 'TANDEM_RELAY_HOST', description: `interface to bind (default ${DEFAULT_HOST})` },
  maxPayload: { flag: '--max-payload', env: 'TANDEM_RELAY_MAX_PAYLOAD', description: `largest frame in bytes (default ${DEFAULT_MAX_PAYLOAD})` },
  maxMessage: { flag: '--max-message', env: 'TANDEM_RELAY_MAX_MESSAGE', description: `largest message reassembled from chunks in bytes (default ${DEFAULT_MAX_MESSAGE_BYTES})` },
  rateBurst: { flag: '--rate-burst', env: 'TANDEM_RELAY_RATE_BURST', description: `messages a connection may send at once (default ${DEFAULT_RATE_LIMIT.capacity})` },
  ratePerSecond: { flag: '--rate-per-second', env: 'TANDEM_RELAY_RATE_PER_SECOND', description: `sustained messages per second per connection (default ${DEFAULT_RATE_LIMIT.refillPerSecond})` },
  maxBuffered: { flag: '--max-buffered', env: 'TANDEM_RELAY_MAX_BUFFERED', description: `unsent bytes before a slow client is evicted (default ${DEFAULT_MAX_BUFFERED_BYTES})` },
  heartbeatMs: { flag: '--heartbeat-ms', env: 'TANDEM_RELAY_HEARTBEAT_MS', description: 'ping period in ms, 0 = off (default 30000)' },
  allowedOrigins: { flag: '--allowed-origins', env: 'TANDEM_RELAY_ALLOWED_ORIGINS', description: 'comma-separated browser origins allowed to connect (default: any)' },
  allowOrigin: { flag: '--allow-origin', env: 'TANDEM_RELAY_ALLOW_ORIGIN', description: "Access-Control-Allow-Origin of /health and /docs (default '*')" },
  raft: { flag: '--raft', env: 'TANDEM_RAFT_NODES', description: 'comma-separated client addresses host:port of the Raft group (default: none, memory only)' },
  persistIntervalMs: { flag: '--persist-interval-ms', env: 'TANDEM_RELAY_PERSIST_INTERVAL_MS', description: 'least ms between two merges of one document into the group (default 50)' },
  roomIdleMs: { flag: '--room-idle-ms', env: 'TANDEM_RELAY_ROOM_IDLE_MS', description: 'with --raft: ms an empty, fully saved room stays in memory before it is dropped (0 = forever; default 60000)' },
} as const satisfies Record<string, Setting>;

type SettingName = keyof typeof settings;

/** The usage text printed by --help. */
export function usage(): string {
  const lines = ['usage: tsx server/relay/main.ts [flags]', ''];
  for (const setting of Object.values(settings)) {
    lines.push(`  ${setting.flag.padEnd(20)} ${setting.env.padEnd(30)} ${setting.description}`);
  }
  return lines.join('\n');
}

function readInteger(raw: string, what: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw)) throw new RelayConfigError(`${what} must be an integer, got ${JSON.stringify(raw)}`);
  const value = Number(raw);
  if (value < min || value > max) throw new RelayConfigError(`${what} must be in [${min}, ${max}], got ${value}`);
  return value;
}

function readNumber(raw: string, what: string, min: number): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < min) {
    throw new RelayConfigError(`${what} must be a number >= ${min}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** Parses argv (without `node` and the script) and the environment. Throws `RelayConfigError`. */
export function parseRelayArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ParsedArgs {
  const byFlag = new Map<string, SettingName>(Object.entries(settings).map(([name, setting]) => [setting.flag, name as SettingName]));
  const raw = new Map<SettingName, string>();
  for (const [name, setting] of Object.entries(settings) as [SettingName, Setting][]) {
    const value = env[setting.env];
    if (value !== undefined && value !== '') raw.set(name, value);
  }
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    if (arg === '--help' || arg === '-h') return { kind: 'help' };
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const name = byFlag.get(flag);
    if (name === undefined) throw new RelayConfigError(`unknown argument ${JSON.stringify(arg)}\n\n${usage()}`);
    const value = inline ?? argv[++index];
    if (value === undefined) throw new RelayConfigError(`${flag} needs a value`);
    raw.set(name, value);
  }
  const get = (name: SettingName): string | undefined => raw.get(name);
  const what = (name: SettingName): string => `${settings[name].flag} / ${settings[name].env}`;
  const host = get('host') ?? DEFAULT_HOST;
  if (host.trim() === '') throw new RelayConfigError(`${what('host')} must not be empty`);
  return {
    kind: 'run',
    config: {
      port: get('port') === undefined ? DEFAULT_PORT : readInteger(get('port')!, what('port'), 0, 65535),
      host,
      maxPayload: get('maxPayload') === undefined ? DEFAULT_MAX_PAYLOAD : readInteger(get('maxPayload')!, what('maxPayload'), 64, 1 << 30),
      maxMessageBytes: get('maxMessage') === undefined ? DEFAULT_MAX_MESSAGE_BYTES : readInteger(get('maxMessage')!, what('maxMessage'), 1024, 2 ** 40),
      rateLimit: {
        capacity: get('rateBurst') === undefined ? DEFAULT_RATE_LIMIT.capacity : readNumber(get('rateBurst')!, what('rateBurst'), 1),
        refillPerSecond: get('ratePerSecond') === undefined ? DEFAULT_RATE_LIMIT.refillPerSecond : readNumber(get('ratePerSecond')!, what('ratePerSecond'), 0),
      },
      maxBufferedBytes: get('maxBuffered') === undefined ? DEFAULT_MAX_BUFFERED_BYTES : readInteger(get('maxBuffered')!, what('maxBuffered'), 1024, 2 ** 40),
      heartbeatMs: get('heartbeatMs') === undefined ? 30_000 : readInteger(get('heartbeatMs')!, what('heartbeatMs'), 0, 86_400_000),
      allowOrigin: get('allowOrigin') ?? '*',
      allowedOrigins: parseOrigins(get('allowedOrigins')),
      raftNodes: parseNodes(get('raft')),
      persistIntervalMs: get('persistIntervalMs') === undefined ? 50 : readInteger(get('persistIntervalMs')!, what('persistIntervalMs'), 0, 60_000),
      roomIdleMs: get('roomIdleMs') === undefined ? 60_000 : readInteger(get('roomIdleMs')!, what('roomIdleMs'), 0, 86_400_000),
    },
  };
}

/** `host:port,host:port` → addresses; each must have a host and a port in [1, 65535]. */
function parseNodes(raw: string | undefined): readonly string[] {
  if (raw === undefined) return [];
  const nodes = raw.split(',').map((node) => node.trim()).filter((node) => node.length > 0);
  for (const node of nodes) {
    const match = /^(.+):(\d+)$/.exec(node);
    const port = match === null ? 0 : Number(match[2]);
    if (match === null || port < 1 || port > 65535) {
      throw new RelayConfigError(`--raft / TANDEM_RAFT_NODES: ${JSON.stringify(node)} is not host:port (e.g. 127.0.0.1:7101)`);
    }
  }
  return nodes;
}

function parseOrigins(raw: string | undefined): readonly string[] | undefined {
  if (raw === undefined) return undefined;
  const origins = raw.split(',').map((origin) => origin.trim()).filter((origin) => origin.length > 0);
  for (const origin of origins) {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new RelayConfigError(`--allowed-origins: ${JSON.stringify(origin)} is not an origin like http://127.0.0.1:3000`);
    }
    if (url.origin !== origin) throw new RelayConfigError(`--allowed-origins: ${JSON.stringify(origin)} is not an origin (want ${url.origin})`);
  }
  return origins;
}
