/**
 * TcpTransport: Raft messages over TCP. Each frame is a 4-byte big-endian length and one encoded
 * message (`codec.ts`). One outbound connection per peer (reconnected with jittered exponential
 * backoff; messages queued while it is down are bounded and dropped past the bound, which Raft
 * tolerates); inbound connections are only read. A frame over `maxFrameBytes` or one that does not
 * decode closes *that* connection only; a message addressed to another node is dropped. When an
 * inbound connection that carried messages from a peer closes, `onPeerLost` hears of that peer.
 */
import { createServer, Socket, type Server } from 'node:net';
import type { Message, NodeId } from '../core/types';
import { decodeMessage, encodeMessage } from './codec';
import type { MessageHandler, PeerAddress, PeerLostHandler, Transport } from './transport';

export interface TcpTransportOptions {
  readonly id: NodeId;
  /** Where to listen for peers (port 0 picks a free port; see `address()`). */
  readonly listen: PeerAddress;
  /** Peer addresses (this node's own entry is ignored). */
  readonly peers: ReadonlyMap<NodeId, PeerAddress>;
  /** Largest accepted frame payload; default 64 MiB. */
  readonly maxFrameBytes?: number;
  /** Bytes queued per peer (while connecting or under backpressure) before dropping; default 64 MiB. */
  readonly maxQueuedBytes?: number;
  /** Reconnect backoff bounds, ms; defaults 20 and 1000. */
  readonly reconnectBaseMs?: number;
  readonly reconnectMaxMs?: number;
  /** Randomness in [0, 1) for reconnect jitter. */
  readonly random?: () => number;
  /** Reports dropped connections and bad frames (never throws). */
  readonly log?: (line: string) => void;
}

const HEADER = 4;

/** Splits a byte stream into frames. Invariant: `buffered` holds at most one partial frame. */
export class FrameReader {
  private buffered: Buffer = Buffer.alloc(0);

  constructor(private readonly maxFrameBytes: number) {}

  /** Appends bytes; returns the complete frames. Throws FrameTooLargeError on an oversized header. */
  push(chunk: Buffer): Buffer[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const frames: Buffer[] = [];
    while (this.buffered.length >= HEADER) {
      const length = this.buffered.readUInt32BE(0);
      if (length > this.maxFrameBytes) throw new FrameTooLargeError(length, this.maxFrameBytes);
      if (this.buffered.length < HEADER + length) break;
      frames.push(this.buffered.subarray(HEADER, HEADER + length));
      this.buffered = this.buffered.subarray(HEADER + length);
    }
    return frames;
  }
}

export class FrameTooLargeError extends Error {
  override readonly name = 'FrameTooLargeError';
  constructor(readonly length: number, readonly max: number) {
    super(`frame of ${length} bytes exceeds the limit of ${max}`);
  }
}

/** One frame: length prefix + payload. */
export function frame(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(HEADER + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.set(payload, HEADER);
  return out;
}

/** The outbound side of one peer: a socket that reconnects, and a bounded queue. */
class PeerLink {
  private socket: Socket | undefined;
  private connected = false;
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    readonly peer: NodeId,
    private address: PeerAddress,
    private readonly options: Required<Pick<TcpTransportOptions, 'maxQueuedBytes' | 'reconnectBaseMs' | 'reconnectMaxMs' | 'random' | 'log'>>,
  ) {}

  send(frameBytes: Buffer): void {
    if (this.closed) return;
    if (this.connected && this.socket) {
      if (this.socket.writableLength + frameBytes.length > this.options.maxQueuedBytes) return; // backpressure: drop
      this.socket.write(frameBytes);
      return;
    }
    if (this.queuedBytes + frameBytes.length > this.options.maxQueuedBytes) return;
    this.queue.push(frameBytes);
    this.queuedBytes += frameBytes.length;
    if (!this.socket && !this.timer) this.connect();
  }

  setAddress(address: PeerAddress): void {
    this.address = address;
  }

  private connect(): void {
    if (this.closed) return;
    const socket = new Socket();
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('connect', () => {
      this.connected = true;
      this.attempt = 0;
      socket.cork();
      for (const f of this.queue) socket.write(f);
      socket.uncork();
      this.queue = [];
      this.queuedBytes = 0;
    });
    socket.on('data', () => {}); // peers never answer on this connection
    socket.on('error', () => {}); // 'close' follows
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.connected = false;
      this.scheduleReconnect();
    });
    socket.connect(this.address.port, this.address.host);
  }

  private scheduleReconnect(): void {
    if (this.closed || this.timer) return;
    // Only reconnect eagerly when messages are waiting; otherwise the next send reconnects.
    if (this.queue.length === 0 && this.attempt === 0) return;
    const ceiling = Math.min(this.options.reconnectMaxMs, this.options.reconnectBaseMs * 2 ** this.attempt);
    const delay = Math.round(ceiling / 2 + (ceiling / 2) * this.options.random());
    this.attempt++;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.connect();
    }, delay);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.socket?.destroy();
    this.socket = undefined;
    this.queue = [];
  }
}

export class TcpTransport implements Transport {
  readonly id: NodeId;
  private handler: MessageHandler = () => {};
  private lostHandler: PeerLostHandler = () => {};
  private readonly server: Server;
  private readonly links = new Map<NodeId, PeerLink>();
  private readonly inbound = new Set<Socket>();
  private readonly maxFrameBytes: number;
  private readonly log: (line: string) => void;
  private closed = false;

  private constructor(private readonly options: TcpTransportOptions) {
    this.id = options.id;
    this.maxFrameBytes = options.maxFrameBytes ?? 64 << 20;
    this.log = options.log ?? (() => {});
    const linkOptions = {
      maxQueuedBytes: options.maxQueuedBytes ?? 64 << 20,
      reconnectBaseMs: options.reconnectBaseMs ?? 20,
      reconnectMaxMs: options.reconnectMaxMs ?? 1000,
      random: options.random ?? Math.random,
      log: this.log,
    };
    for (const [peer, address] of options.peers) {
      if (peer !== options.id) this.links.set(peer, new PeerLink(peer, address, linkOptions));
    }
    this.server = createServer((socket) => this.accept(socket));
  }

  /** Creates the transport and starts listening. */
  static async start(options: TcpTransportOptions): Promise<TcpTransport> {
    const transport = new TcpTransport(options);
    await new Promise<void>((resolve, reject) => {
      transport.server.once('error', reject);
      transport.server.listen(options.listen.port, options.listen.host, () => {
        transport.server.off('error', reject);
        resolve();
      });
    });
    return transport;
  }

  /** The bound listen address (useful with port 0). */
  address(): PeerAddress {
    const a = this.server.address();
    if (a === null || typeof a === 'string') throw new Error('transport is not listening');
    return { host: a.address, port: a.port };
  }

  /** Changes a peer's address (tests that bind port 0 learn addresses after start). */
  setPeerAddress(peer: NodeId, address: PeerAddress): void {
    this.links.get(peer)?.setAddress(address);
  }

  send(messages: readonly Message[]): void {
    if (this.closed) return;
    // One write per peer per call: the frames of a Ready leave in one syscall.
    const byPeer = new Map<PeerLink, Buffer[]>();
    for (const m of messages) {
      const link = this.links.get(m.to);
      if (!link) continue;
      let frames = byPeer.get(link);
      if (!frames) byPeer.set(link, (frames = []));
      frames.push(frame(encodeMessage(m)));
    }
    for (const [link, frames] of byPeer) link.send(frames.length === 1 ? frames[0]! : Buffer.concat(frames));
  }

  onMessage(handler: MessageHandler): void {
    this.handler = handler;
  }

  onPeerLost(handler: PeerLostHandler): void {
    this.lostHandler = handler;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const link of this.links.values()) link.close();
    for (const socket of this.inbound) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.inbound.add(socket);
    socket.setNoDelay(true);
    const reader = new FrameReader(this.maxFrameBytes);
    /** The peer this connection carried messages from (a peer sends over its own connection). */
    let from: NodeId | undefined;
    socket.on('data', (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = reader.push(chunk);
      } catch (error) {
        this.log(`raft transport: dropping connection from ${socket.remoteAddress}:${socket.remotePort}: ${(error as Error).message}`);
        socket.destroy();
        return;
      }
      for (const f of frames) {
        let m: Message;
        try {
          m = decodeMessage(f);
        } catch (error) {
          this.log(`raft transport: bad frame from ${socket.remoteAddress}:${socket.remotePort}: ${(error as Error).message}; dropping the connection`);
          socket.destroy();
          return;
        }
        if (m.to !== this.id) continue;
        from = m.from;
        this.handler(m);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.inbound.delete(socket);
      if (from !== undefined && !this.closed) this.lostHandler(from);
    });
  }
}
