/**
 * A loopback TCP proxy for one directed Raft link (node i's connection to node j), so a chaos run
 * can cut and restore links. Raft's TCP transport opens one outbound connection per peer and only
 * writes to it, so one proxy per directed link cuts exactly one direction.
 *
 * Modes:
 * - `open`: bytes are forwarded both ways.
 * - `reset`: every connection is closed at once and new ones are closed on accept (a refused link).
 * - `blackhole`: connections stay up but every byte is discarded, so the sender notices nothing (a
 *   silent partition). A blackholed connection has lost bytes mid-stream, so it is closed when the
 *   link is restored; the sender reconnects onto a clean stream.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

/** The state of a link. */
export type LinkMode = 'open' | 'reset' | 'blackhole';

/** One accepted connection and, while forwarding, its upstream side. */
interface Pair {
  readonly downstream: Socket;
  upstream: Socket | undefined;
  discarding: boolean;
}

/** A proxy from `listenPort` to `127.0.0.1:targetPort`. */
export class LinkProxy {
  private modeNow: LinkMode = 'open';
  private readonly pairs = new Set<Pair>();
  /** Connections accepted over the proxy's life (for tests and reports). */
  accepted = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    readonly targetPort: number,
  ) {
    server.on('connection', (socket) => this.accept(socket));
  }

  /** Listens on `listenPort` (0: any free port) on 127.0.0.1. */
  static async start(targetPort: number, listenPort = 0): Promise<LinkProxy> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listenPort, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy has no port');
    return new LinkProxy(server, address.port, targetPort);
  }

  get mode(): LinkMode {
    return this.modeNow;
  }

  /** Changes the link's mode (see the file comment for what each does to live connections). */
  setMode(mode: LinkMode): void {
    const previous = this.modeNow;
    this.modeNow = mode;
    if (mode === previous) return;
    for (const pair of [...this.pairs]) {
      if (mode === 'reset' || (mode === 'open' && pair.discarding)) this.closePair(pair);
      else if (mode === 'blackhole') this.discard(pair);
    }
  }

  private accept(downstream: Socket): void {
    this.accepted++;
    downstream.setNoDelay(true);
    if (this.modeNow === 'reset') {
      downstream.destroy();
      return;
    }
    const pair: Pair = { downstream, upstream: undefined, discarding: false };
    this.pairs.add(pair);
    downstream.on('error', () => this.closePair(pair));
    downstream.on('close', () => this.closePair(pair));
    if (this.modeNow === 'blackhole') {
      this.discard(pair);
      return;
    }
    const upstream = connect({ host: '127.0.0.1', port: this.targetPort });
    upstream.setNoDelay(true);
    pair.upstream = upstream;
    upstream.on('error', () => this.closePair(pair));
    upstream.on('close', () => this.closePair(pair));
    downstream.on('data', (chunk: Buffer) => {
      if (!pair.discarding && !upstream.write(chunk)) downstream.pause();
    });
    upstream.on('drain', () => downstream.resume());
    upstream.on('data', (chunk: Buffer) => {
      if (!pair.discarding && !downstream.write(chunk)) upstream.pause();
    });
    downstream.on('drain', () => upstream.resume());
  }

  /** Keeps the connection open but drops every byte from now on. */
  private discard(pair: Pair): void {
    pair.discarding = true;
    pair.downstream.resume();
    pair.upstream?.resume();
    if (pair.downstream.listenerCount('data') === 0) pair.downstream.on('data', () => undefined);
  }

  private closePair(pair: Pair): void {
    if (!this.pairs.delete(pair)) return;
    pair.downstream.destroy();
    pair.upstream?.destroy();
  }

  /** Closes every connection and stops listening. */
  async close(): Promise<void> {
    for (const pair of [...this.pairs]) this.closePair(pair);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
