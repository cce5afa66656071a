/**
 * The client-facing HTTP/1.1 server of a Raft node (protocol in ../client/protocol.ts). Socket
 * handling only: each route calls the `RaftNode` and maps its typed errors to protocol errors.
 * The same routes are served over the request stream (../client/stream.ts): an HTTP Upgrade on
 * the same port, after which requests and answers travel as frames on that connection.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { isDocId } from '../../../lib/sync/protocol';
import {
  ERROR_STATUS,
  HEADER_FOUND,
  HEADER_INDEX,
  HEADER_NODE_ID,
  HEADER_VERSION_VECTOR,
  decodeMergeBatch,
  toBase64,
  type Consistency,
  type ErrorBody,
  type ErrorCode,
  type ListResponse,
  type MergeBatchResponse,
  type MergeResponse,
  type NodeStatus,
} from '../client/protocol';
import { MAX_STREAM_FRAME, MAX_STREAM_QUEUED, STREAM_PATH, STREAM_PROTOCOL, decodeStreamRequest, encodeStreamResponse, type StreamRequest } from '../client/stream';
import type { NodeId } from '../core/types';
import { FrameReader } from '../transport/tcp';
import { NodeRequestError, NotLeaderError, UnavailableNodeError } from './errors';
import type { RaftNode } from './raft-node';

export interface ClientServerOptions {
  readonly node: RaftNode;
  readonly host: string;
  readonly port: number;
  /** Raft addresses of every member (for status). */
  readonly raftAddresses: ReadonlyMap<NodeId, string>;
  /** Client addresses of the members, when known (leader hints in redirects). */
  readonly clientAddresses: ReadonlyMap<NodeId, string>;
  /** Largest accepted request body; default 16 MiB. */
  readonly maxBodyBytes?: number;
  readonly log: (line: string) => void;
}

class HttpError extends Error {
  constructor(readonly code: ErrorCode, message: string) {
    super(message);
  }
}

/** One answer, whichever way it travels (HTTP or a stream frame). */
interface Reply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

const EMPTY = new Uint8Array(0);

export class ClientServer {
  private readonly server: Server;
  private address = '';
  /** Upgraded stream connections (not covered by closeAllConnections). */
  private readonly streams = new Set<Duplex>();

  constructor(private readonly options: ClientServerOptions) {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 60_000;
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
  }

  /** Listens; resolves with the bound `host:port`. */
  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const a = this.server.address();
    if (a === null || typeof a === 'string') throw new Error('client server is not listening');
    this.address = `${a.address}:${a.port}`;
    return this.address;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
      for (const stream of this.streams) stream.destroy();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply = await this.route(req.method ?? '', req.url ?? '/', () => this.readBody(req));
    res.writeHead(reply.status, { ...reply.headers, 'content-length': reply.body.length });
    res.end(reply.body);
  }

  /** The request stream (../client/stream.ts): frames in, each routed as its HTTP request, frames out. */
  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => {});
    if (req.url !== STREAM_PATH || req.headers.upgrade?.toLowerCase() !== STREAM_PROTOCOL) {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    (socket as Socket).setNoDelay?.(true);
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${STREAM_PROTOCOL}\r\n${HEADER_NODE_ID}: ${this.options.node.id}\r\n\r\n`);
    this.streams.add(socket);
    socket.on('close', () => this.streams.delete(socket));
    const reader = new FrameReader(MAX_STREAM_FRAME);
    const onData = (chunk: Buffer): void => {
      let requests: StreamRequest[];
      try {
        requests = reader.push(chunk).map(decodeStreamRequest);
      } catch (error) {
        // An oversized or undecodable frame: this connection only is dropped (the client retries).
        this.options.log(`raft client server: dropping a request stream: ${(error as Error).message}`);
        socket.destroy();
        return;
      }
      for (const request of requests) void this.serveFrame(socket, request);
    };
    socket.on('data', onData);
    if (head.length > 0) onData(head);
  }

  private async serveFrame(socket: Duplex, request: StreamRequest): Promise<void> {
    const reply = await this.route(request.method, request.path, () => Promise.resolve(request.body));
    if (socket.destroyed) return;
    socket.write(encodeStreamResponse({ id: request.id, ...reply }));
    // A client that does not read its answers: drop it rather than queue without bound.
    if (socket.writableLength > MAX_STREAM_QUEUED) socket.destroy();
  }

  /** Routes one request (see protocol.ts); never throws: errors become error answers. */
  private async route(method: string, path: string, readBody: () => Promise<Uint8Array>): Promise<Reply> {
    try {
      const url = new URL(path, 'http://node');
      const parts = url.pathname.split('/').filter((p) => p !== '');
      if (parts[0] !== 'v1') throw new HttpError('notFound', `no route ${url.pathname}`);
      if (method === 'GET' && parts.length === 2 && parts[1] === 'status') return this.json(200, this.status());
      if (method === 'POST' && parts.length === 2 && parts[1] === 'merges') return this.json(200, await this.mergeBatch(await readBody()));
      if (parts[1] !== 'docs') throw new HttpError('notFound', `no route ${url.pathname}`);
      const consistency = this.consistency(url);
      if (method === 'GET' && parts.length === 2) {
        const list = await this.options.node.list(consistency);
        const body: ListResponse = { index: list.index, docs: list.docs };
        return this.json(200, body);
      }
      const docId = parts[2] ?? '';
      if (!isDocId(docId)) throw new HttpError('badRequest', `bad document id: want 1-128 of [A-Za-z0-9_-]`);
      if (method === 'GET' && parts.length === 3) {
        const read = await this.options.node.read(docId, consistency);
        return {
          status: 200,
          headers: {
            [HEADER_NODE_ID]: String(this.options.node.id),
            'content-type': 'application/octet-stream',
            [HEADER_FOUND]: read.doc ? '1' : '0',
            [HEADER_INDEX]: String(read.index),
            [HEADER_VERSION_VECTOR]: toBase64(read.versionVector),
          },
          body: read.doc?.state ?? EMPTY,
        };
      }
      if (method === 'POST' && parts.length === 4 && parts[3] === 'merge') {
        const update = await readBody();
        const result = await this.options.node.merge(docId, update);
        const body: MergeResponse = { index: result.index, versionVector: toBase64(result.versionVector) };
        return this.json(200, body);
      }
      throw new HttpError('notFound', `no route ${method} ${url.pathname}`);
    } catch (error) {
      const body = this.errorBody(error);
      return this.json(ERROR_STATUS[body.error], body);
    }
  }

  /**
   * Several merges in one request: all are proposed in this event-loop turn (so they share one
   * Ready and one fsync), each as its own entry; each gets its own result or error.
   */
  private async mergeBatch(body: Uint8Array): Promise<MergeBatchResponse> {
    let items;
    try {
      items = decodeMergeBatch(body);
    } catch (error) {
      throw new HttpError('badRequest', `bad merge batch: ${(error as Error).message}`);
    }
    const node = this.options.node;
    if (node.role !== 'leader') throw new NotLeaderError(node.leader);
    const settled = await Promise.allSettled(items.map((item) => node.merge(item.docId, item.update)));
    return {
      results: settled.map((s) =>
        s.status === 'fulfilled' ? { index: s.value.index, versionVector: toBase64(s.value.versionVector) } : this.errorBody(s.reason),
      ),
    };
  }

  private consistency(url: URL): Consistency {
    const value = url.searchParams.get('consistency') ?? 'linearizable';
    if (value !== 'linearizable' && value !== 'stale') throw new HttpError('badRequest', `consistency must be linearizable or stale`);
    return value;
  }

  private readBody(req: IncomingMessage): Promise<Uint8Array> {
    const max = this.options.maxBodyBytes ?? 16 << 20;
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > max) {
          reject(new HttpError('tooLarge', `body over ${max} bytes`));
          req.resume();
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))));
      req.on('error', reject);
    });
  }

  private status(): NodeStatus {
    const node = this.options.node;
    const s = node.status();
    const peers = [...this.options.raftAddresses].map(([id, raftAddress]) => {
      const pr = s.progress.get(id);
      const clientAddress = this.options.clientAddresses.get(id);
      return {
        id,
        raftAddress,
        ...(clientAddress !== undefined ? { clientAddress } : {}),
        ...(pr ? { match: pr.match, next: pr.next, state: pr.state } : {}),
      };
    });
    return {
      id: s.id,
      role: s.role,
      term: s.term,
      leader: s.lead,
      commit: s.commit,
      applied: s.applied,
      firstIndex: s.firstIndex,
      lastIndex: s.lastIndex,
      snapshotIndex: node.snapshotIndex,
      documents: node.documentCount,
      clientAddress: this.address,
      raftAddress: this.options.raftAddresses.get(node.id) ?? '',
      peers,
      uptimeMs: node.uptimeMs,
    };
  }

  private json(status: number, body: unknown): Reply {
    return {
      status,
      headers: { [HEADER_NODE_ID]: String(this.options.node.id), 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify(body)),
    };
  }

  private errorBody(error: unknown): ErrorBody {
    let body: ErrorBody;
    if (error instanceof HttpError) body = { error: error.code, message: error.message };
    else if (error instanceof NotLeaderError || error instanceof UnavailableNodeError) {
      const leaderAddress = this.options.clientAddresses.get(error.leader);
      body = { error: error.code, message: error.message, leaderId: error.leader, ...(leaderAddress ? { leaderAddress } : {}) };
    } else if (error instanceof NodeRequestError) body = { error: error.code, message: error.message };
    else {
      this.options.log(`raft client server: internal error: ${error instanceof Error ? error.stack : String(error)}`);
      body = { error: 'internal', message: error instanceof Error ? error.message : String(error) };
    }
    return body;
  }
}
