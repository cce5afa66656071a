/**
 * The relay process: `npx tsx server/relay/main.ts --port 4100 --host 127.0.0.1` (see --help and
 * README.md). Prints `relay listening on ws://HOST:PORT (...)` once it accepts connections (the
 * parenthesis says whether documents persist: `--raft` / TANDEM_RAFT_NODES), and closes cleanly on
 * SIGINT/SIGTERM (clients get close 1001, unacknowledged updates get up to 3 s to be persisted); a
 * second signal exits at once.
 */
import { docFactory } from './doc-factory';
import { RaftPersistence } from './persistence';
import { RelayConfigError, parseRelayArgs, usage } from './config';
import { startRelay } from './server';

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseRelayArgs(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof RelayConfigError) {
      console.error(`error: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  if (parsed.kind === 'help') {
    console.log(usage());
    return;
  }
  const { config } = parsed;
  const persistence = config.raftNodes.length > 0 ? new RaftPersistence({ nodes: config.raftNodes }) : undefined;
  const relay = await startRelay({
    ...(persistence === undefined ? {} : { persistence }),
    persistIntervalMs: config.persistIntervalMs,
    roomIdleMs: config.roomIdleMs,
    docs: docFactory,
    port: config.port,
    host: config.host,
    maxPayload: config.maxPayload,
    maxMessageBytes: config.maxMessageBytes,
    rateLimit: config.rateLimit,
    maxBufferedBytes: config.maxBufferedBytes,
    heartbeatMs: config.heartbeatMs,
    allowOrigin: config.allowOrigin,
    allowedOrigins: config.allowedOrigins,
    log: (line) => console.error(line),
  });
  console.log(
    `relay listening on ${relay.url} ` +
      (persistence === undefined
        ? '(memory only: documents are lost when the relay stops; pass --raft to persist)'
        : `(persistence: ${persistence.description}, batches every ${config.persistIntervalMs} ms)`),
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      console.error(`relay: ${signal} again, exiting now`);
      process.exit(1);
    }
    stopping = true;
    console.log(`relay: ${signal}, closing`);
    relay.close().then(
      () => {
        persistence?.close();
        console.log('relay closed');
        process.exit(0);
      },
      (error: unknown) => {
        console.error(`relay: error while closing: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'EADDRINUSE') console.error(`error: the address is already in use (${String((error as Error).message)})`);
  else console.error(error);
  process.exit(1);
});
