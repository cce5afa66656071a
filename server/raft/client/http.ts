/**
 * The HTTP exchange the client makes with one node, behind a small seam so tests can swap it.
 * Keep-alive connections (one agent per client), a per-request timeout, typed failures.
 */
import { Agent, request } from 'node:http';

export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Uint8Array;
}

export interface HttpRequest {
  /** `host:port` of the node. */
  readonly address: string;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body?: Uint8Array;
  readonly timeoutMs: number;
}

/** Sends one request; rejects with NodeUnreachableError (connection failed or timed out). */
export type HttpExchange = (req: HttpRequest) => Promise<HttpResponse>;

/** The node could not be reached or did not answer in time: the client tries another. */
export class NodeUnreachableError extends Error {
  override readonly name = 'NodeUnreachableError';
  constructor(readonly address: string, readonly reason: string, readonly timedOut: boolean) {
    super(`node ${address} unreachable: ${reason}`);
  }
}

/** The real exchange over node:http with a keep-alive agent; `close()` ends idle sockets. */
export function createHttpExchange(): { exchange: HttpExchange; close: () => void } {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const exchange: HttpExchange = (req) =>
    new Promise((resolve, reject) => {
      const at = req.address.lastIndexOf(':');
      const r = request(
        {
          agent,
          host: req.address.slice(0, at),
          port: Number(req.address.slice(at + 1)),
          method: req.method,
          path: req.path,
          headers: req.body ? { 'content-type': 'application/octet-stream', 'content-length': req.body.length } : {},
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            clearTimeout(timer);
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: new Uint8Array(Buffer.concat(chunks)) });
          });
          res.on('error', (e) => {
            clearTimeout(timer);
            reject(new NodeUnreachableError(req.address, e.message, false));
          });
        },
      );
      const timer = setTimeout(() => {
        r.destroy();
        reject(new NodeUnreachableError(req.address, `no answer within ${req.timeoutMs} ms`, true));
      }, req.timeoutMs);
      r.on('error', (e) => {
        clearTimeout(timer);
        reject(new NodeUnreachableError(req.address, e.message, false));
      });
      r.end(req.body);
    });
  return { exchange, close: () => agent.destroy() };
}
