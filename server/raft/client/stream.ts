/**
 * The request stream: the client protocol's requests and answers, framed on one upgraded
 * connection instead of one HTTP/1.1 exchange each. Same port, same routes, same status codes,
 * headers and bodies as HTTP (protocol.ts); only the framing differs, which saves the HTTP parsing
 * and serialisation on both sides of every merge (the bulk of a node's per-request CPU).
 *
 * Handshake (HTTP/1.1 Upgrade on the client port):
 *   GET /v1/stream HTTP/1.1 / Connection: Upgrade / Upgrade: tandem-raft-stream/1
 *   -> HTTP/1.1 101 Switching Protocols (any other answer: the client keeps using plain HTTP)
 * Then frames both ways, each a 4-byte big-endian length and the frame:
 *   request:  u32 id | u8 method (0 GET, 1 POST) | u16 path length | path (UTF-8) | body (the rest)
 *   response: u32 id | u16 status | u8 header count | per header: u8 name length, name,
 *             u16 value length, value (latin1) | body (the rest)
 * Requests on one connection are independent: answers come back in completion order, matched by id.
 * A frame that does not decode, or one longer than the limit (requests: MAX_STREAM_FRAME; answers:
 * MAX_STREAM_ANSWER), closes the connection; so does a client that leaves more than
 * MAX_STREAM_QUEUED answer bytes unread.
 */
import { Socket } from 'node:net';
import { FrameReader } from '../transport/tcp';
import { NodeUnreachableError, type HttpExchange, type HttpRequest, type HttpResponse } from './http';

export const STREAM_PATH = '/v1/stream';
export const STREAM_PROTOCOL = 'tandem-raft-stream/1';
/** Largest body sent over the stream (larger ones go over plain HTTP, which answers 413 properly). */
export const MAX_STREAM_BODY = 16 << 20;
/** Largest request frame a node accepts: the body limit plus room for the path. */
export const MAX_STREAM_FRAME = MAX_STREAM_BODY + (1 << 16);
/** Largest answer frame the client accepts (a document's state has no protocol limit; HTTP has none either). */
export const MAX_STREAM_ANSWER = 1 << 30;
/** Answer bytes a node queues for a client that does not read them before it drops the connection. */
export const MAX_STREAM_QUEUED = 256 << 20;

const HEADER = 4;
const METHODS = ['GET', 'POST'] as const;

/** A frame of the request stream that does not decode. */
export class StreamFrameError extends Error {
  override readonly name = 'StreamFrameError';
}

export interface StreamRequest {
  readonly id: number;
  readonly method: (typeof METHODS)[number];
  readonly path: string;
  readonly body: Uint8Array;
}

export interface StreamResponse {
  readonly id: number;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

/** A request frame, length prefix included. */
export function encodeStreamRequest(r: StreamRequest): Buffer {
  const path = Buffer.from(r.path, 'utf8');
  if (path.length > 0xffff) throw new RangeError(`stream request path of ${path.length} bytes is too long`);
  const size = 4 + 1 + 2 + path.length + r.body.length;
  const out = Buffer.allocUnsafe(HEADER + size);
  out.writeUInt32BE(size, 0);
  out.writeUInt32BE(r.id, 4);
  out.writeUInt8(METHODS.indexOf(r.method), 8);
  out.writeUInt16BE(path.length, 9);
  path.copy(out, 11);
  out.set(r.body, 11 + path.length);
  return out;
}

/** Decodes a request frame (without its length prefix). Throws StreamFrameError. */
export function decodeStreamRequest(frame: Uint8Array): StreamRequest {
  const b = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  if (b.length < 7) throw new StreamFrameError(`request frame of ${b.length} bytes is too short`);
  const method = METHODS[b.readUInt8(4)];
  if (method === undefined) throw new StreamFrameError(`unknown method ${b.readUInt8(4)}`);
  const pathLength = b.readUInt16BE(5);
  if (7 + pathLength > b.length) throw new StreamFrameError(`path of ${pathLength} bytes overruns the frame`);
  return { id: b.readUInt32BE(0), method, path: b.toString('utf8', 7, 7 + pathLength), body: b.subarray(7 + pathLength) };
}

/** A response frame, length prefix included. Header names and values are latin1 (as in HTTP). */
export function encodeStreamResponse(r: StreamResponse): Buffer {
  const headers = Object.entries(r.headers);
  if (headers.length > 0xff) throw new RangeError('too many headers');
  let size = 4 + 2 + 1 + r.body.length;
  for (const [name, value] of headers) {
    if (name.length > 0xff || value.length > 0xffff) throw new RangeError(`header ${name} is too long`);
    size += 1 + name.length + 2 + value.length;
  }
  const out = Buffer.allocUnsafe(HEADER + size);
  out.writeUInt32BE(size, 0);
  out.writeUInt32BE(r.id, 4);
  out.writeUInt16BE(r.status, 8);
  out.writeUInt8(headers.length, 10);
  let at = 11;
  for (const [name, value] of headers) {
    out.writeUInt8(name.length, at);
    at = 1 + at + out.write(name, at + 1, 'latin1');
    out.writeUInt16BE(value.length, at);
    at = 2 + at + out.write(value, at + 2, 'latin1');
  }
  out.set(r.body, at);
  return out;
}

/** Decodes a response frame (without its length prefix). Throws StreamFrameError. */
export function decodeStreamResponse(frame: Uint8Array): StreamResponse {
  const b = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  if (b.length < 7) throw new StreamFrameError(`response frame of ${b.length} bytes is too short`);
  const headers: Record<string, string> = {};
  const count = b.readUInt8(6);
  let at = 7;
  for (let k = 0; k < count; k++) {
    if (at + 1 > b.length) throw new StreamFrameError('header name overruns the frame');
    const nameLength = b.readUInt8(at);
    if (at + 1 + nameLength + 2 > b.length) throw new StreamFrameError('header overruns the frame');
    const name = b.toString('latin1', at + 1, at + 1 + nameLength);
    at += 1 + nameLength;
    const valueLength = b.readUInt16BE(at);
    if (at + 2 + valueLength > b.length) throw new StreamFrameError(`header ${name} overruns the frame`);
    headers[name] = b.toString('latin1', at + 2, at + 2 + valueLength);
    at += 2 + valueLength;
  }
  return { id: b.readUInt32BE(0), status: b.readUInt16BE(4), headers, body: b.subarray(at) };
}

interface Pending {
  readonly request: HttpRequest;
  readonly resolve: (response: HttpResponse) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * One upgraded connection to a node. States: `handshake` (frames are queued), `open`, `closed`
 * (every pending request failed with NodeUnreachableError, or, when the node refused the upgrade,
 * re-sent over plain HTTP).
 */
class StreamConnection {
  private readonly socket: Socket;
  private state: 'handshake' | 'open' | 'closed' = 'handshake';
  private handshake: Buffer = Buffer.alloc(0);
  private readonly reader = new FrameReader(MAX_STREAM_ANSWER);
  private readonly pending = new Map<number, Pending>();
  private queued: Buffer[] = [];
  private nextId = 1;

  constructor(
    private readonly address: string,
    /** Called when the node refused the upgrade: the exchange then uses HTTP for it. */
    private readonly onRefused: () => void,
    private readonly fallback: HttpExchange,
  ) {
    const at = address.lastIndexOf(':');
    this.socket = new Socket();
    this.socket.setNoDelay(true);
    this.socket.on('connect', () => {
      this.socket.write(`GET ${STREAM_PATH} HTTP/1.1\r\nHost: ${address}\r\nConnection: Upgrade\r\nUpgrade: ${STREAM_PROTOCOL}\r\n\r\n`);
    });
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (e) => this.fail(e.message));
    this.socket.on('close', () => this.fail('connection closed'));
    this.socket.connect(Number(address.slice(at + 1)), address.slice(0, at));
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  request(req: HttpRequest): Promise<HttpResponse> {
    if (this.state === 'closed') return Promise.reject(new NodeUnreachableError(this.address, 'connection closed', false));
    return new Promise((resolve, reject) => {
      const id = this.nextId;
      this.nextId = this.nextId === 0xffffffff ? 1 : this.nextId + 1;
      const timer = setTimeout(() => {
        // The connection stays: a late answer is ignored; the caller retries as with HTTP.
        this.pending.delete(id);
        reject(new NodeUnreachableError(this.address, `no answer within ${req.timeoutMs} ms`, true));
      }, req.timeoutMs);
      this.pending.set(id, { request: req, resolve, reject, timer });
      const frame = encodeStreamRequest({ id, method: req.method, path: req.path, body: req.body ?? new Uint8Array(0) });
      if (this.state === 'open') this.socket.write(frame);
      else this.queued.push(frame);
    });
  }

  close(): void {
    this.fail('client closed');
  }

  private onData(chunk: Buffer): void {
    if (this.state === 'handshake') {
      this.handshake = this.handshake.length === 0 ? chunk : Buffer.concat([this.handshake, chunk]);
      const end = this.handshake.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.handshake.length > 16 << 10) this.refuse();
        return;
      }
      if (!this.handshake.toString('latin1', 0, end).startsWith('HTTP/1.1 101')) {
        this.refuse();
        return;
      }
      this.state = 'open';
      const rest = this.handshake.subarray(end + 4);
      this.handshake = Buffer.alloc(0);
      if (this.queued.length > 0) this.socket.write(this.queued.length === 1 ? this.queued[0]! : Buffer.concat(this.queued));
      this.queued = [];
      if (rest.length === 0) return;
      chunk = rest;
    }
    if (this.state !== 'open') return;
    let frames: Buffer[];
    try {
      frames = this.reader.push(chunk);
      for (const frame of frames) {
        const response = decodeStreamResponse(frame);
        const pending = this.pending.get(response.id);
        if (!pending) continue; // timed out meanwhile
        this.pending.delete(response.id);
        clearTimeout(pending.timer);
        pending.resolve({ status: response.status, headers: response.headers, body: response.body });
      }
    } catch (error) {
      this.fail(`bad frame: ${(error as Error).message}`);
      this.socket.destroy();
    }
  }

  /** The node does not speak the stream: re-send what is pending over HTTP, and use HTTP from now on. */
  private refuse(): void {
    this.state = 'closed';
    this.onRefused();
    this.socket.destroy();
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) {
      clearTimeout(p.timer);
      this.fallback(p.request).then(p.resolve, p.reject);
    }
  }

  private fail(reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.socket.destroy();
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) {
      clearTimeout(p.timer);
      p.reject(new NodeUnreachableError(this.address, reason, false));
    }
  }
}

/**
 * An exchange that sends every request over one stream connection per node (reopened after it
 * closes), and falls back to `fallback` (plain HTTP) for bodies over MAX_STREAM_BODY and for a node
 * that refuses the upgrade. Same contract as HttpExchange: NodeUnreachableError when the node
 * cannot be reached, the connection drops, or no answer comes within the request's timeout.
 */
export function createStreamExchange(fallback: HttpExchange): { exchange: HttpExchange; close: () => void } {
  const connections = new Map<string, StreamConnection>();
  const httpOnly = new Set<string>();
  const exchange: HttpExchange = (req) => {
    if (httpOnly.has(req.address) || (req.body !== undefined && req.body.length > MAX_STREAM_BODY)) return fallback(req);
    let connection = connections.get(req.address);
    if (connection === undefined || connection.closed) {
      connection = new StreamConnection(req.address, () => httpOnly.add(req.address), fallback);
      connections.set(req.address, connection);
    }
    return connection.request(req);
  };
  const close = () => {
    for (const connection of connections.values()) connection.close();
    connections.clear();
  };
  return { exchange, close };
}
