/**
 * Entry point of one Raft node process:
 *
 *   npx tsx server/raft/node/main.ts --id 1 --peers 1=127.0.0.1:7001,2=127.0.0.1:7002,3=127.0.0.1:7003 \
 *       --data ./data/raft-1 --port 7101
 *
 * Flags: see config.ts / README. Prints one ready line on stdout once both ports listen:
 *   raft node 1 ready: client=127.0.0.1:7101 raft=127.0.0.1:7001 data=./data/raft-1 members=1,2,3
 * SIGTERM/SIGINT: a leader hands over leadership first, then the process exits 0.
 * Exit codes: 0 graceful stop, 1 bad command line or a port in use, 2 storage failure (corruption,
 * a failed write or fsync): the node stops rather than serve bad data.
 */
import { mkdirSync } from 'node:fs';
import { randomBytes, randomInt } from 'node:crypto';
import { join } from 'node:path';
import { SeededRandom } from '../core/random';
import { SqliteStorage } from '../storage/sqlite';
import { TcpTransport } from '../transport/tcp';
import { ClientServer } from './client-server';
import { ConfigError, parseNodeArgs, type NodeConfig } from './config';
import { RaftNode } from './raft-node';

const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);

async function run(config: NodeConfig): Promise<void> {
  mkdirSync(config.dataDir, { recursive: true });
  let storage: SqliteStorage;
  try {
    storage = SqliteStorage.open({ path: join(config.dataDir, 'raft.sqlite'), voters: [...config.peers.keys()], walPreallocateBytes: config.walPreallocateBytes });
  } catch (error) {
    log(`raft node ${config.id}: FATAL cannot open storage: ${(error as Error).message}`);
    process.exit(2);
  }
  const self = config.peers.get(config.id)!;
  const transport = await TcpTransport.start({
    id: config.id,
    listen: self,
    peers: config.peers,
    log,
  });
  const node = new RaftNode({
    id: config.id,
    voters: [...config.peers.keys()],
    storage,
    transport,
    random: new SeededRandom(randomInt(0x7fffffff)),
    tickMs: config.tickMs,
    snapshotEvery: config.snapshotEvery,
    keepEntries: config.keepEntries,
    requestTimeoutMs: config.requestTimeoutMs,
    bootId: randomBytes(4).toString('hex'),
    log,
    onFatal: () => process.exit(2),
  });
  const raftAddresses = new Map([...config.peers].map(([id, a]) => [id, `${a.host}:${a.port}`] as const));
  const server = new ClientServer({ node, host: config.host, port: config.port, raftAddresses, clientAddresses: config.clients, log });
  const clientAddress = await server.listen();
  node.start();
  process.stdout.write(
    `raft node ${config.id} ready: client=${clientAddress} raft=${self.host}:${self.port} data=${config.dataDir} members=${[...config.peers.keys()].join(',')}\n`,
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`raft node ${config.id}: ${signal}, stopping`);
    void node
      .shutdown()
      .then(() => server.close())
      .then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

let config: NodeConfig;
try {
  config = parseNodeArgs(process.argv.slice(2));
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`raft node: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
run(config).catch((error: unknown) => {
  log(`raft node ${config.id}: FATAL ${(error as Error).message}`);
  process.exit(1);
});
