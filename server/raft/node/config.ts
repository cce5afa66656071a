/**
 * Command-line configuration of a Raft node process (see README "The node command").
 *
 *   --id N                       this node's id (> 0), one of the --peers
 *   --peers 1=host:port,...      Raft (peer-to-peer) addresses of every member, this one included
 *   --data DIR                   data directory (created if missing; holds raft.sqlite)
 *   --port P                     client port (HTTP); 0 picks a free one (printed on the ready line)
 *   --host H                     client bind host (default 127.0.0.1)
 *   --clients 1=host:port,...    optional: client addresses of the members, for leader hints
 *   --snapshot-every N           snapshot + compact every N applied entries (default 10000)
 *   --keep-entries N             entries kept behind a snapshot (default 1000)
 *   --tick-ms N                  milliseconds per Raft tick (default 10)
 *   --request-timeout-ms N       merge / linearizable read timeout (default 5000)
 *   --wal-preallocate-mb N       WAL allocated at start, so fsyncs never grow the file (default 16; 0: off)
 */
import { asNodeId, type NodeId } from '../core/types';
import { parseAddress, type PeerAddress } from '../transport/transport';

export interface NodeConfig {
  readonly id: NodeId;
  readonly peers: ReadonlyMap<NodeId, PeerAddress>;
  readonly clients: ReadonlyMap<NodeId, string>;
  readonly dataDir: string;
  readonly host: string;
  readonly port: number;
  readonly snapshotEvery: number;
  readonly keepEntries: number;
  readonly tickMs: number;
  readonly requestTimeoutMs: number;
  /** Bytes of SQLite WAL allocated at start (SqliteStorageOptions.walPreallocateBytes). */
  readonly walPreallocateBytes: number;
}

/** A bad command line; the message says which flag and why. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function parseIdMap(flag: string, text: string): Map<NodeId, string> {
  const out = new Map<NodeId, string>();
  for (const part of text.split(',').filter((p) => p !== '')) {
    const eq = part.indexOf('=');
    const id = Number(part.slice(0, eq));
    if (eq <= 0 || !Number.isInteger(id) || id <= 0) throw new ConfigError(`${flag}: bad member '${part}' (want ID=host:port)`);
    if (out.has(asNodeId(id))) throw new ConfigError(`${flag}: node ${id} listed twice`);
    out.set(asNodeId(id), part.slice(eq + 1));
  }
  return out;
}

function parseCount(flag: string, text: string | undefined, fallback: number, min = 0): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new ConfigError(`${flag}: want an integer >= ${min}, got '${text}'`);
  return n;
}

export function parseNodeArgs(argv: readonly string[]): NodeConfig {
  const flags = new Map<string, string>();
  for (let k = 0; k < argv.length; k++) {
    const arg = argv[k]!;
    if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument '${arg}'`);
    const eq = arg.indexOf('=');
    if (eq > 0) flags.set(arg.slice(2, eq), arg.slice(eq + 1));
    else {
      const value = argv[++k];
      if (value === undefined) throw new ConfigError(`${arg} needs a value`);
      flags.set(arg.slice(2), value);
    }
  }
  const known = ['id', 'peers', 'data', 'port', 'host', 'clients', 'snapshot-every', 'keep-entries', 'tick-ms', 'request-timeout-ms', 'wal-preallocate-mb'];
  for (const name of flags.keys()) if (!known.includes(name)) throw new ConfigError(`unknown flag --${name}`);
  const required = (name: string): string => {
    const v = flags.get(name);
    if (v === undefined) throw new ConfigError(`--${name} is required`);
    return v;
  };
  const id = asNodeId(parseCount('--id', required('id'), 0, 1));
  const peerText = parseIdMap('--peers', required('peers'));
  const peers = new Map<NodeId, PeerAddress>();
  for (const [peer, address] of peerText) {
    try {
      peers.set(peer, parseAddress(address));
    } catch (error) {
      throw new ConfigError(`--peers: ${(error as Error).message}`);
    }
  }
  if (!peers.has(id)) throw new ConfigError(`--peers must include this node (${id})`);
  const clients = flags.has('clients') ? parseIdMap('--clients', flags.get('clients')!) : new Map<NodeId, string>();
  return {
    id,
    peers,
    clients,
    dataDir: required('data'),
    host: flags.get('host') ?? '127.0.0.1',
    port: parseCount('--port', required('port'), 0),
    snapshotEvery: parseCount('--snapshot-every', flags.get('snapshot-every'), 10_000, 1),
    keepEntries: parseCount('--keep-entries', flags.get('keep-entries'), 1000),
    tickMs: parseCount('--tick-ms', flags.get('tick-ms'), 10, 1),
    requestTimeoutMs: parseCount('--request-timeout-ms', flags.get('request-timeout-ms'), 5000, 1),
    walPreallocateBytes: parseCount('--wal-preallocate-mb', flags.get('wal-preallocate-mb'), 16) * (1 << 20),
  };
}
