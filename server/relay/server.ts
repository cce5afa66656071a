/**
 * The relay's socket edge: one HTTP server (GET /health, GET /docs) and a `ws` WebSocket server
 * on the same port, bound to 127.0.0.1 by default. All protocol decisions are made by
 * `RelayRooms` (no sockets); this file only maps peers to sockets and enforces edge limits:
 *
 * - `maxPayload`: larger frames are refused by `ws` itself (close 1009).
 * - a per-connection token bucket: past it, `error(rateLimited)` and close 4429.
 * - backpressure: a peer whose `bufferedAmount` passes `maxBufferedBytes` is evicted (close 4408).
 * - text frames, malformed bytes, wrong message order: `error` + close 4400 (see CloseCode).
 * - a path `/doc/<id>` pins the connection to that document: a `hello` for another id is refused.
 * - a heartbeat ping; a socket that misses a pong is terminated.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { ErrorCode, ProtocolError } from '../../lib/sync/errors';
import { CloseCode, Limits, isDocId, type DocId } from '../../lib/sync/protocol';
import { asPeerId, type PeerId, type RoomOutput, type SyncDoc } from '../../lib/sync/room';
import type { DocumentPersistence } from './persistence';
import { BatchingPersister } from './persister';
import { TokenBucket, type TokenBucketOptions } from './rate-limit';
import { RelayRooms, type RelayDocFactory } from './rooms';

/** Options of `startRelay`. Every limit has a default suitable for local use. */
export interface RelayOptions<D extends SyncDoc> {
  /** How room documents are made (e.g. `docFactory` in doc-factory.ts, backed by lib/crdt `Doc`). */
  readonly docs: RelayDocFactory<D>;
  /** TCP port; 0 picks a free one. Default 0. */
  readonly port?: number;
  /** Interface to bind. Default '127.0.0.1'. */
  readonly host?: string;
  /** Largest WebSocket frame accepted, in bytes. Default 4 MiB. Larger messages come as `chunk`s. */
  readonly maxPayload?: number;
  /** Largest message reassembled from `chunk`s, in bytes. Default DEFAULT_MAX_MESSAGE_BYTES (64 MiB + 1 KiB). */
  readonly maxMessageBytes?: number;
  /** Per-connection message rate limit. Default burst 500, 200 messages/s. */
  readonly rateLimit?: TokenBucketOptions;
  /** A peer whose unsent bytes pass this is evicted as a slow consumer. Default 16 MiB. */
  readonly maxBufferedBytes?: number;
  /** Heartbeat period; a socket silent for two periods is terminated. 0 disables. Default 30 s. */
  readonly heartbeatMs?: number;
  /** Time after a close frame before the socket is terminated. Default 2 s. */
  readonly closeGraceMs?: number;
  /**
   * Browser origins allowed to open a WebSocket (e.g. ['http://127.0.0.1:3000']). A browser
   * upgrade whose Origin header is not listed gets HTTP 403; requests without an Origin (non-browser
   * clients) are allowed. Undefined = any origin.
   */
  readonly allowedOrigins?: readonly string[];
  /** Value of Access-Control-Allow-Origin on HTTP answers. Default '*'. */
  readonly allowOrigin?: string;
  /**
   * Where documents are kept durably. When set, a room's document is loaded from it before the
   * first `hello` is answered, accepted updates are batched into it (`persistIntervalMs`), and
   * clients get `ack`s with the durable version vector. Undefined: memory only. The caller owns it
   * (closes it after `close()`).
   */
  readonly persistence?: DocumentPersistence;
  /** Least time between two merges of one document into `persistence`. Default 50 ms. */
  readonly persistIntervalMs?: number;
  /**
   * With `persistence`: a room nobody has been in for this long, whose updates are all durable,
   * leaves memory (the next join loads it again). 0 keeps rooms forever. Default 60 000 ms.
   * Without persistence rooms always stay (the relay's copy is the only one).
   */
  readonly roomIdleMs?: number;
  /** How long `close()` waits for unacknowledged updates to be persisted. Default 3000 ms. */
  readonly drainTimeoutMs?: number;
  /** Wall clock (edge only). Default Date.now. */
  readonly now?: () => number;
  /** Where the relay reports notable events. Default: nowhere. */
  readonly log?: (line: string) => void;
}

/** A running relay. */
export interface RunningRelay<D extends SyncDoc> {
  /** ws://host:port */
  readonly url: string;
  /** http://host:port */
  readonly httpUrl: string;
  readonly port: number;
  /** The rooms (for tests and tooling). */
  readonly rooms: RelayRooms<D>;
  /** The persister when the relay has persistence, else null (for tests and tooling). */
  readonly persister: BatchingPersister | null;
  /**
   * Calls `listener` after every frame, connection and disconnection the relay has handled (for
   * tests and tooling that wait on relay state). Returns the unsubscribe function.
   */
  onActivity(listener: () => void): () => void;
  /** Closes every socket (close 1001 after an `error(shuttingDown)`) and both servers. */
  close(): Promise<void>;
}

export const DEFAULT_MAX_PAYLOAD = 4 * 1024 * 1024;
export const DEFAULT_MAX_MESSAGE_BYTES = Limits.updateBytes + 1024;
export const DEFAULT_RATE_LIMIT: TokenBucketOptions = { capacity: 500, refillPerSecond: 200 };
export const DEFAULT_MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

/** Counters since start, shown by GET /health. */
export interface RelayStats {
  framesIn: number;
  bytesIn: number;
  framesOut: number;
  bytesOut: number;
  connectionsOpened: number;
  /** Idle rooms dropped from memory (see `roomIdleMs`). */
  roomsEvicted: number;
  /** Connections closed by the relay, by close code. */
  closedByRelay: Record<string, number>;
}

/** One open WebSocket and its edge state. */
interface Connection {
  readonly peer: PeerId;
  readonly socket: WebSocket;
  readonly bucket: TokenBucket;
  alive: boolean;
  closing: boolean;
}

const docPath = /^\/doc\/([^/?#]+)\/?$/;

/** The document id pinned by an upgrade path, null for '/', or undefined for a path that is refused. */
function pinnedDocIdOf(url: string | undefined): DocId | null | undefined {
  const path = (url ?? '/').split('?')[0]!;
  if (path === '/' || path === '') return null;
  const match = docPath.exec(path);
  if (match === null) return undefined;
  let id: string;
  try {
    id = decodeURIComponent(match[1]!);
  } catch {
    return undefined;
  }
  return isDocId(id) ? id : undefined;
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}

/** Starts a relay; resolves once it listens. */
export async function startRelay<D extends SyncDoc>(options: RelayOptions<D>): Promise<RunningRelay<D>> {
  const host = options.host ?? '127.0.0.1';
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => {});
  const maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  const rateLimit = options.rateLimit ?? DEFAULT_RATE_LIMIT;
  const closeGraceMs = options.closeGraceMs ?? 2000;
  const allowOrigin = options.allowOrigin ?? '*';
  const startedAt = now();

  const persistence = options.persistence;
  const rooms = new RelayRooms<D>(options.docs, now, options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES, persistence !== undefined);
  const connections = new Map<PeerId, Connection>();
  let nextPeer = 1;
  let shuttingDown = false;
  const stats: RelayStats = { framesIn: 0, bytesIn: 0, framesOut: 0, bytesOut: 0, connectionsOpened: 0, roomsEvicted: 0, closedByRelay: {} };
  const activityListeners = new Set<() => void>();
  const notifyActivity = (): void => {
    for (const listener of [...activityListeners]) listener();
  };

  // -- HTTP ------------------------------------------------------------------------------------
  const sendJson = (response: ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body);
    response.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
      'access-control-allow-origin': allowOrigin,
    });
    response.end(text);
  };

  const handleHttp = (request: IncomingMessage, response: ServerResponse): void => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method === 'OPTIONS') {
      response.writeHead(204, {
        'access-control-allow-origin': allowOrigin,
        'access-control-allow-methods': 'GET, OPTIONS',
        'access-control-allow-headers': 'content-type',
        'access-control-max-age': '600',
      });
      response.end();
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      sendJson(response, 405, { error: 'method not allowed' });
      return;
    }
    if (path === '/health') {
      sendJson(response, 200, {
        status: shuttingDown ? 'stopping' : 'ok',
        uptimeMs: now() - startedAt,
        rooms: rooms.core.rooms().length,
        connections: connections.size,
        persistence: persistence?.description ?? null,
        raftNodes: persistence?.raftNodes ?? [],
        persistIdle: persister?.idle() ?? true,
        stats,
      });
    } else if (path === '/docs') {
      if (persistence === undefined) {
        sendJson(response, 200, { docs: rooms.summaries() });
        return;
      }
      persistence.list().then(
        (stored) => sendJson(response, 200, { docs: rooms.summaries(stored) }),
        (error: unknown) => {
          log(`relay: listing stored documents failed: ${String(error)}`);
          sendJson(response, 200, { docs: rooms.summaries(), storedUnavailable: true });
        },
      );
    } else {
      sendJson(response, 404, { error: 'not found' });
    }
  };

  const http = createServer(handleHttp);
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxPayload ?? DEFAULT_MAX_PAYLOAD,
    perMessageDeflate: false,
  });

  // -- outputs -----------------------------------------------------------------------------------
  const closeConnection = (connection: Connection, code: number, reason: string): void => {
    if (connection.closing) return;
    connection.closing = true;
    stats.closedByRelay[code] = (stats.closedByRelay[code] ?? 0) + 1;
    connection.socket.close(code, reason);
    setTimeout(() => connection.socket.terminate(), closeGraceMs).unref();
  };

  /** Performs room outputs in order; evictions for backpressure append their own outputs. */
  const perform = (initial: RoomOutput[]): void => {
    const queue = [...initial];
    for (let output = queue.shift(); output !== undefined; output = queue.shift()) {
      if (output.type === 'load') {
        startLoad(output.docId);
        continue;
      }
      if (output.type === 'persist') {
        persister?.add(output.docId, output.update);
        continue;
      }
      if (output.type === 'close') {
        const connection = connections.get(output.peer);
        if (connection !== undefined) closeConnection(connection, output.code, output.reason);
        continue;
      }
      const connection = connections.get(output.to);
      if (connection === undefined || connection.closing || connection.socket.readyState !== connection.socket.OPEN) continue;
      connection.socket.send(output.frame as Uint8Array<ArrayBuffer>);
      stats.framesOut++;
      stats.bytesOut += output.frame.length;
      if (connection.socket.bufferedAmount > maxBufferedBytes) {
        log(`relay: evicting slow consumer peer ${connection.peer} (${connection.socket.bufferedAmount} bytes buffered)`);
        queue.push(...rooms.refuse(connection.peer, new ProtocolError(ErrorCode.slowConsumer, `more than ${maxBufferedBytes} bytes unread`)));
      }
    }
  };

  // -- persistence -----------------------------------------------------------------------------
  const persister =
    persistence === undefined
      ? null
      : new BatchingPersister({
          persistence,
          ...(options.persistIntervalMs === undefined ? {} : { intervalMs: options.persistIntervalMs }),
          onDurable: (docId, stateVector) => {
            perform(rooms.acknowledge(docId, stateVector));
            notifyActivity();
          },
          log,
          now,
        });

  /** Loads a room's document, then answers (or refuses) the peers waiting for it. */
  const startLoad = (docId: DocId): void => {
    if (persistence === undefined) return;
    persistence.load(docId).then(
      (stored) => {
        perform(rooms.completeLoad(docId, stored.state, stored.stateVector));
        notifyActivity();
      },
      (error: unknown) => {
        log(`relay: loading ${docId} failed: ${error instanceof Error ? error.message : String(error)}`);
        perform(rooms.failLoad(docId, 'the persistence group did not answer; retry later'));
        notifyActivity();
      },
    );
  };

  // -- idle rooms leave memory -----------------------------------------------------------------
  /** When each room in memory was last seen without members (absent: it has members). */
  const emptySince = new Map<DocId, number>();
  const roomIdleMs = options.roomIdleMs ?? 60_000;
  const sweepRooms = (): void => {
    if (persister === null || shuttingDown) return;
    const at = now();
    for (const room of rooms.core.rooms()) {
      if (room.size > 0) {
        emptySince.delete(room.docId);
        continue;
      }
      const since = emptySince.get(room.docId);
      if (since === undefined) emptySince.set(room.docId, at);
      // Only rooms whose accepted updates are all acknowledged by the store may go.
      else if (at - since >= roomIdleMs && persister.unacknowledged(room.docId) === 0 && rooms.evict(room.docId)) {
        emptySince.delete(room.docId);
        persister.forget(room.docId);
        stats.roomsEvicted++;
        log(`relay: ${room.docId} idle for ${at - since} ms, dropped from memory (it loads again on the next join)`);
        notifyActivity();
      }
    }
  };
  const sweeper = persister !== null && roomIdleMs > 0 ? setInterval(sweepRooms, Math.max(10, Math.min(5_000, Math.floor(roomIdleMs / 2)))) : null;
  sweeper?.unref();

  // -- WebSocket connections -------------------------------------------------------------------
  const onConnection = (socket: WebSocket, pinnedDocId: DocId | null): void => {
    const peer = asPeerId(nextPeer++);
    const connection: Connection = {
      peer,
      socket,
      bucket: new TokenBucket(rateLimit, now()),
      alive: true,
      closing: false,
    };
    connections.set(peer, connection);
    stats.connectionsOpened++;
    rooms.connect(peer, pinnedDocId);

    socket.on('pong', () => {
      connection.alive = true;
    });
    socket.on('message', (data: RawData, isBinary: boolean) => {
      if (connection.closing) return;
      connection.alive = true;
      if (!connection.bucket.tryTake(now())) {
        log(`relay: peer ${peer} exceeded its rate limit`);
        perform(rooms.refuse(peer, new ProtocolError(ErrorCode.rateLimited, 'too many messages')));
        return;
      }
      if (!isBinary) {
        perform(rooms.refuse(peer, new ProtocolError(ErrorCode.malformed, 'text frames are not accepted; send binary messages')));
        return;
      }
      const frame = toBytes(data);
      stats.framesIn++;
      stats.bytesIn += frame.length;
      try {
        perform(rooms.receive(peer, frame));
      } catch (error) {
        log(`relay: internal error on peer ${peer}: ${error instanceof Error ? error.stack : String(error)}`);
        perform(rooms.refuse(peer, new ProtocolError(ErrorCode.internal, 'internal relay error')));
      }
      notifyActivity();
    });
    socket.on('error', (error) => {
      // ws closes the socket itself after a protocol error (e.g. 1009 for frames past maxPayload).
      log(`relay: socket error on peer ${peer}: ${error.message}`);
    });
    socket.on('close', () => {
      connections.delete(peer);
      perform(rooms.disconnect(peer));
      notifyActivity();
    });
  };

  http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const pinned = pinnedDocIdOf(request.url);
    const origin = request.headers.origin;
    if (options.allowedOrigins !== undefined && origin !== undefined && !options.allowedOrigins.includes(origin)) {
      log(`relay: refused a WebSocket from origin ${origin}`);
      socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    if (shuttingDown || pinned === undefined) {
      const status = shuttingDown ? '503 Service Unavailable' : '404 Not Found';
      socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => onConnection(ws, pinned));
  });

  // -- heartbeat -------------------------------------------------------------------------------
  const heartbeatMs = options.heartbeatMs ?? 30_000;
  const heartbeat =
    heartbeatMs > 0
      ? setInterval(() => {
          for (const connection of connections.values()) {
            if (!connection.alive) {
              connection.socket.terminate();
              continue;
            }
            connection.alive = false;
            connection.socket.ping();
          }
        }, heartbeatMs)
      : null;
  heartbeat?.unref();

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const hostInUrl = host.includes(':') ? `[${host}]` : host;

  const close = async (): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    if (heartbeat !== null) clearInterval(heartbeat);
    if (sweeper !== null) clearInterval(sweeper);
    const closed = [...connections.values()].map(
      (connection) => new Promise<void>((resolve) => connection.socket.once('close', () => resolve())),
    );
    for (const connection of connections.values()) {
      perform(rooms.refuse(connection.peer, new ProtocolError(ErrorCode.shuttingDown, 'relay shutting down')));
    }
    await Promise.all(closed);
    if (persister !== null && !(await persister.drain(options.drainTimeoutMs ?? 3000))) {
      log('relay: closing with updates not yet persisted');
    }
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    await new Promise<void>((resolve) => {
      http.close(() => resolve());
      http.closeAllConnections();
    });
  };

  return {
    url: `ws://${hostInUrl}:${port}`,
    httpUrl: `http://${hostInUrl}:${port}`,
    port,
    rooms,
    persister,
    onActivity: (listener) => {
      activityListeners.add(listener);
      return () => activityListeners.delete(listener);
    },
    close,
  };
}

export { CloseCode };
