/**
 * The request stream (stream.ts): frame codec properties, the client exchange (matching answers
 * by id, timeouts, dropped connections, the HTTP fallback), and the server side of ClientServer
 * (routes answered over the stream, a bad frame closes that connection only).
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, Socket, type Server } from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { RaftNode } from '../node/raft-node';
import { ClientServer } from '../node/client-server';
import { FrameReader } from '../transport/tcp';
import { RaftClient } from './client';
import { NodeUnreachableError, createHttpExchange, type HttpExchange } from './http';
import { HEADER_NODE_ID, toBase64 } from './protocol';
import {
  MAX_STREAM_FRAME,
  STREAM_PATH,
  StreamFrameError,
  createStreamExchange,
  decodeStreamRequest,
  decodeStreamResponse,
  encodeStreamRequest,
  encodeStreamResponse,
  type StreamRequest,
} from './stream';

const requestArb = fc.record({
  id: fc.integer({ min: 0, max: 0xffffffff }),
  method: fc.constantFrom('GET' as const, 'POST' as const),
  path: fc.string({ maxLength: 300 }),
  body: fc.uint8Array({ maxLength: 600 }),
});
const headerName = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz-'.split('')), minLength: 1, maxLength: 40 });
const responseArb = fc.record({
  id: fc.integer({ min: 0, max: 0xffffffff }),
  status: fc.integer({ min: 100, max: 599 }),
  headers: fc.dictionary(headerName, fc.string({ unit: 'binary-ascii', maxLength: 80 }), { maxKeys: 6 }),
  body: fc.uint8Array({ maxLength: 600 }),
});
const withoutPrefix = (frame: Buffer) => frame.subarray(4);

describe('stream frames', () => {
  it('round trip: requests and responses decode to what was encoded; the length prefix is exact', () => {
    fc.assert(
      fc.property(requestArb, (r) => {
        const frame = encodeStreamRequest(r);
        expect(frame.readUInt32BE(0)).toBe(frame.length - 4);
        const back = decodeStreamRequest(withoutPrefix(frame));
        expect({ ...back, body: [...back.body] }).toEqual({ ...r, body: [...r.body] });
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(responseArb, (r) => {
        const frame = encodeStreamResponse(r);
        expect(frame.readUInt32BE(0)).toBe(frame.length - 4);
        const back = decodeStreamResponse(withoutPrefix(frame));
        expect({ ...back, headers: { ...back.headers }, body: [...back.body] }).toEqual({ ...r, headers: { ...r.headers }, body: [...r.body] });
      }),
      { numRuns: 500 },
    );
  });

  it('any bytes: decoding either succeeds or throws StreamFrameError, never anything else', () => {
    const decodesOrTyped = (decode: (b: Uint8Array) => unknown) => (bytes: Uint8Array) => {
      try {
        decode(bytes);
      } catch (error) {
        expect(error).toBeInstanceOf(StreamFrameError);
      }
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), decodesOrTyped(decodeStreamRequest)), { numRuns: 2000 });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), decodesOrTyped(decodeStreamResponse)), { numRuns: 2000 });
    // Every truncation of a valid response with headers either decodes (the body is the rest) or is typed.
    const frame = withoutPrefix(encodeStreamResponse({ id: 9, status: 200, headers: { 'x-a': 'one', 'x-b': 'two' }, body: Uint8Array.of(1, 2, 3) }));
    for (let n = 0; n < frame.length; n++) decodesOrTyped(decodeStreamResponse)(frame.subarray(0, n));
    expect(() => decodeStreamResponse(frame.subarray(0, 12))).toThrow(StreamFrameError);
  });
});

// ---- a scripted stream server for the client side ----

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function listen(server: Server | HttpServer): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const a = server.address();
  if (a === null || typeof a === 'string') throw new Error('not listening');
  return `127.0.0.1:${a.port}`;
}

/** A raw server that upgrades and hands each decoded request to `serve` (which writes answers itself). */
async function scriptedStreamServer(serve: (socket: Socket, request: StreamRequest) => void) {
  const sockets = new Set<Socket>();
  let upgrades = 0;
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let head = Buffer.alloc(0);
    let reader: FrameReader | undefined;
    socket.on('data', (chunk: Buffer) => {
      if (!reader) {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        expect(head.toString('latin1', 0, end)).toContain(`GET ${STREAM_PATH} HTTP/1.1`);
        upgrades++;
        socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n\r\n');
        reader = new FrameReader(1 << 20);
        chunk = head.subarray(end + 4);
      }
      for (const frame of reader.push(chunk)) serve(socket, decodeStreamRequest(frame));
    });
  });
  const address = await listen(server);
  cleanups.push(() => sockets.forEach((s) => s.destroy()));
  return { address, sockets, upgrades: () => upgrades };
}

const answer = (socket: Socket, id: number, status: number, text: string) =>
  socket.write(encodeStreamResponse({ id, status, headers: { [HEADER_NODE_ID]: '3' }, body: Buffer.from(text) }));

function noFallback(): HttpExchange {
  return () => Promise.reject(new Error('the HTTP fallback must not be used'));
}

describe('the stream exchange (client side)', () => {
  it('answers are matched by id, in any order, on one connection', async () => {
    const held: [Socket, StreamRequest][] = [];
    const server = await scriptedStreamServer((socket, request) => {
      held.push([socket, request]);
      if (held.length === 3) for (const [s, r] of held.reverse()) answer(s, r.id, 200, `${r.method} ${r.path} ${r.body.length}`);
    });
    const { exchange, close } = createStreamExchange(noFallback());
    cleanups.push(close);
    const paths = ['/v1/a', '/v1/b', '/v1/c'];
    const answers = await Promise.all(
      paths.map((path, k) => exchange({ address: server.address, method: 'POST', path, body: new Uint8Array(k * 10), timeoutMs: 5000 })),
    );
    expect(answers.map((a) => new TextDecoder().decode(a.body))).toEqual(['POST /v1/a 0', 'POST /v1/b 10', 'POST /v1/c 20']);
    expect(answers.every((a) => a.status === 200 && a.headers[HEADER_NODE_ID] === '3')).toBe(true);
    expect(server.upgrades()).toBe(1);
  });

  it('no answer in time: NodeUnreachableError (timed out); a late answer is ignored and the connection stays usable', async () => {
    const late: StreamRequest[] = [];
    const server = await scriptedStreamServer((socket, request) => {
      if (request.path === '/v1/slow') {
        late.push(request);
        return;
      }
      for (const r of late.splice(0)) answer(socket, r.id, 200, 'too late');
      answer(socket, request.id, 200, 'fast');
    });
    const { exchange, close } = createStreamExchange(noFallback());
    cleanups.push(close);
    const slow = exchange({ address: server.address, method: 'GET', path: '/v1/slow', timeoutMs: 50 });
    await expect(slow).rejects.toSatisfy((e) => e instanceof NodeUnreachableError && e.timedOut);
    const fast = await exchange({ address: server.address, method: 'GET', path: '/v1/fast', timeoutMs: 5000 });
    expect(new TextDecoder().decode(fast.body)).toBe('fast');
    expect(server.upgrades()).toBe(1);
  });

  it('a dropped connection fails what is pending (not timed out); the next request reconnects; a refused port is unreachable', async () => {
    let drop = true;
    const server = await scriptedStreamServer((socket, request) => {
      if (drop) socket.destroy();
      else answer(socket, request.id, 200, 'ok');
    });
    const { exchange, close } = createStreamExchange(noFallback());
    cleanups.push(close);
    await expect(exchange({ address: server.address, method: 'GET', path: '/v1/x', timeoutMs: 5000 })).rejects.toSatisfy(
      (e) => e instanceof NodeUnreachableError && !e.timedOut,
    );
    drop = false;
    const again = await exchange({ address: server.address, method: 'GET', path: '/v1/x', timeoutMs: 5000 });
    expect(again.status).toBe(200);
    expect(server.upgrades()).toBe(2);
    const closed = createServer();
    const address = await listen(closed);
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(exchange({ address, method: 'GET', path: '/v1/x', timeoutMs: 5000 })).rejects.toBeInstanceOf(NodeUnreachableError);
  });

  it('an answer larger than the request limit (a big document state) arrives whole', async () => {
    const big = Buffer.alloc(MAX_STREAM_FRAME + 1000, 7);
    big[big.length - 1] = 9;
    const server = await scriptedStreamServer((socket, request) => {
      socket.write(encodeStreamResponse({ id: request.id, status: 200, headers: {}, body: big }));
    });
    const { exchange, close } = createStreamExchange(noFallback());
    cleanups.push(close);
    const answer = await exchange({ address: server.address, method: 'GET', path: '/v1/docs/big', timeoutMs: 10_000 });
    expect(answer.body.length).toBe(big.length);
    expect(answer.body[answer.body.length - 1]).toBe(9);
  });

  it('a node that refuses the upgrade is asked over plain HTTP, then and from then on', async () => {
    let plain = 0;
    const server = createHttpServer((req, res) => {
      // Without an 'upgrade' listener, Node serves the upgrade request as a plain one: answered 200, not 101.
      if (req.url !== STREAM_PATH) plain++;
      res.writeHead(200, { [HEADER_NODE_ID]: '2' });
      res.end(`plain ${req.method} ${req.url}`);
    });
    const address = await listen(server);
    const http = createHttpExchange();
    const { exchange, close } = createStreamExchange(http.exchange);
    cleanups.push(() => {
      close();
      http.close();
    });
    const first = await exchange({ address, method: 'POST', path: '/v1/one', body: Uint8Array.of(1), timeoutMs: 5000 });
    const second = await exchange({ address, method: 'GET', path: '/v1/two', timeoutMs: 5000 });
    expect(new TextDecoder().decode(first.body)).toBe('plain POST /v1/one');
    expect(new TextDecoder().decode(second.body)).toBe('plain GET /v1/two');
    expect(plain).toBe(2);
  });
});

// ---- ClientServer serving the stream ----

/** Just enough of a RaftNode for the merge and status routes. */
function stubNode(): RaftNode {
  const stub = {
    id: 4,
    role: 'leader',
    leader: 4,
    merge: (docId: string, update: Uint8Array) => Promise.resolve({ index: update.length, versionVector: Uint8Array.of(docId.length) }),
  };
  return stub as unknown as RaftNode;
}

async function startServer(): Promise<string> {
  const server = new ClientServer({ node: stubNode(), host: '127.0.0.1', port: 0, raftAddresses: new Map(), clientAddresses: new Map(), log: () => {} });
  const address = await server.listen();
  cleanups.push(() => server.close());
  return address;
}

describe('ClientServer over the stream', () => {
  it('answers a merge as over HTTP (same status, body and node id), without the HTTP fallback', async () => {
    const address = await startServer();
    const { exchange, close } = createStreamExchange(noFallback());
    cleanups.push(close);
    const merged = await exchange({ address, method: 'POST', path: '/v1/docs/doc-1/merge', body: new Uint8Array(42), timeoutMs: 5000 });
    expect(merged.status).toBe(200);
    expect(merged.headers[HEADER_NODE_ID]).toBe('4');
    expect(JSON.parse(new TextDecoder().decode(merged.body))).toEqual({ index: 42, versionVector: toBase64(Uint8Array.of(5)) });
    const bad = await exchange({ address, method: 'POST', path: '/v1/docs/bad%20id/merge', body: new Uint8Array(1), timeoutMs: 5000 });
    expect(bad.status).toBe(400);
    expect(JSON.parse(new TextDecoder().decode(bad.body)).error).toBe('badRequest');
    const missing = await exchange({ address, method: 'GET', path: '/v2/nothing', timeoutMs: 5000 });
    expect(missing.status).toBe(404);
  });

  it('RaftClient merges through it', async () => {
    const address = await startServer();
    const client = new RaftClient({ nodes: [address] });
    cleanups.push(() => client.close());
    await expect(client.merge('doc-22', new Uint8Array(7))).resolves.toEqual({ index: 7, versionVector: Uint8Array.of(6) });
  });

  it('a frame that does not decode closes that connection only', async () => {
    const address = await startServer();
    const at = address.lastIndexOf(':');
    const raw = new Socket();
    cleanups.push(() => void raw.destroy());
    const closed = new Promise<void>((resolve) => raw.on('close', () => resolve()));
    raw.on('error', () => {});
    raw.resume(); // read (the 101, then the end) so the close is seen
    raw.connect(Number(address.slice(at + 1)), '127.0.0.1', () => {
      raw.write(`GET ${STREAM_PATH} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tandem-raft-stream/1\r\n\r\n`);
      raw.write(Buffer.from([0, 0, 0, 3, 1, 2, 3])); // a 3-byte frame: too short for a request
    });
    await closed;
    const { exchange, close } = createStreamExchange(noFallback());
    cleanups.push(close);
    const ok = await exchange({ address, method: 'POST', path: '/v1/docs/doc-1/merge', body: new Uint8Array(3), timeoutMs: 5000 });
    expect(ok.status).toBe(200);
  });
});
