/**
 * The seam between a node shell and the network: it sends Raft messages to peers and hands
 * received ones to a handler. Delivery is best effort (Raft tolerates loss, duplication and
 * reordering); an implementation must never deliver a message for another node or a half-decoded
 * one. Implementations: `MemoryNetwork` (in process, for tests) and `TcpTransport` (real sockets).
 * Both pass the shared suite in `transport-suite.ts`.
 */
import type { Message, NodeId } from '../core/types';

export type MessageHandler = (message: Message) => void;
/** Told that the connection from `peer` closed. */
export type PeerLostHandler = (peer: NodeId) => void;

export interface Transport {
  /** This node. */
  readonly id: NodeId;
  /** Queues messages to their `to` peers; never throws for an unreachable peer (the message is dropped). */
  send(messages: readonly Message[]): void;
  /** Sets the handler of received messages (addressed to `id`). */
  onMessage(handler: MessageHandler): void;
  /**
   * Sets the handler told when a peer that sent us messages closes its connection (its process
   * most likely stopped). A hint for faster failure detection only: best effort, it may be late,
   * missing, or wrong (a connection can drop while the peer lives).
   */
  onPeerLost(handler: PeerLostHandler): void;
  /** Stops sending and receiving; idempotent. */
  close(): Promise<void>;
}

/** A `host:port` address. */
export interface PeerAddress {
  readonly host: string;
  readonly port: number;
}

/** Thrown for an unparseable address or peer list. */
export class AddressError extends Error {
  override readonly name = 'AddressError';
}

/** Parses `host:port`. */
export function parseAddress(text: string): PeerAddress {
  const at = text.lastIndexOf(':');
  const host = text.slice(0, at);
  const port = Number(text.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port) || port < 0 || port > 65535) throw new AddressError(`bad address '${text}' (want host:port)`);
  return { host, port };
}
