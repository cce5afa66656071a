/** Typed errors of the node shell; the client server maps each to a protocol error code. */
import type { ErrorCode } from '../client/protocol';
import type { NodeId } from '../core/types';

/** Base of the node's request errors: `code` is the protocol error it is answered with. */
export abstract class NodeRequestError extends Error {
  abstract readonly code: ErrorCode;
}

/** This node is not the leader; `leader` is its hint (NO_NODE if unknown). */
export class NotLeaderError extends NodeRequestError {
  override readonly name = 'NotLeaderError';
  readonly code = 'notLeader';
  constructor(readonly leader: NodeId) {
    super(leader === 0 ? 'not the leader; no leader known' : `not the leader; the leader is node ${leader}`);
  }
}

/** The update was refused before proposing, or skipped when applied. */
export class RejectedUpdateError extends NodeRequestError {
  override readonly name = 'RejectedUpdateError';
  readonly code = 'invalidUpdate';
}

/** The request cannot be served now (no leader, leadership lost, proposal dropped); retry. */
export class UnavailableNodeError extends NodeRequestError {
  override readonly name = 'UnavailableNodeError';
  readonly code = 'unavailable';
  constructor(message: string, readonly leader: NodeId) {
    super(message);
  }
}

/** The request did not finish within the node's request timeout. */
export class RequestTimeoutError extends NodeRequestError {
  override readonly name = 'RequestTimeoutError';
  readonly code = 'timeout';
}

/** The node is stopping or stopped. */
export class NodeStoppedError extends NodeRequestError {
  override readonly name = 'NodeStoppedError';
  readonly code = 'unavailable';
  constructor() {
    super('the node is stopping');
  }
}
