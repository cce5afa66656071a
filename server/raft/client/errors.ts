/** Typed errors of `RaftClient`. Every error it throws is a `RaftClientError`. */
import type { ErrorCode } from './protocol';

export class RaftClientError extends Error {
  override readonly name: string = 'RaftClientError';
}

/** No node answered successfully before the operation's deadline; `lastError` says why. */
export class RaftUnavailableError extends RaftClientError {
  override readonly name = 'RaftUnavailableError';
  constructor(message: string, readonly lastError: Error | undefined) {
    super(lastError ? `${message} (last error: ${lastError.message})` : message);
  }
}

/** The group refused the update (does not decode, field type clash): retrying cannot help. */
export class RaftInvalidUpdateError extends RaftClientError {
  override readonly name = 'RaftInvalidUpdateError';
}

/** A node answered with a protocol error (`code`) that the client does not retry. */
export class RaftRequestError extends RaftClientError {
  override readonly name = 'RaftRequestError';
  constructor(readonly code: ErrorCode, message: string, readonly node: string) {
    super(`${node}: ${code}: ${message}`);
  }
}

/** A node's answer did not follow the protocol. */
export class RaftProtocolError extends RaftClientError {
  override readonly name = 'RaftProtocolError';
}
