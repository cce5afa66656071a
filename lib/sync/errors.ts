/**
 * Error codes carried by the `error` message, and the typed error every protocol check throws.
 */

/**
 * Why a peer refused a message. The numbers are the wire values; they never change meaning.
 * Invariant: every value is a small positive integer and appears once.
 */
export const ErrorCode = {
  /** The bytes are not a valid message (unknown type, bad length, trailing bytes, bad UTF-8...). */
  malformed: 1,
  /** `hello` carried a protocol version this peer does not speak. */
  unsupportedVersion: 2,
  /** The document id is empty, too long, or uses characters outside [A-Za-z0-9_-]. */
  badDocId: 3,
  /** The CRDT update or state vector inside a valid message was rejected by the document. */
  badUpdate: 4,
  /** A valid message arrived when it is not allowed (e.g. `update` before `hello`, a second `hello`). */
  unexpectedMessage: 5,
  /** A field or the whole frame exceeds a size limit. */
  tooLarge: 6,
  /** The peer sent messages faster than its rate limit. */
  rateLimited: 7,
  /** The peer did not read fast enough; its send buffer passed the cap. */
  slowConsumer: 8,
  /** The relay failed for a reason that is not the client's fault. */
  internal: 9,
  /** The relay is shutting down. */
  shuttingDown: 10,
  /**
   * The relay cannot serve the document right now (e.g. loading it from the persistence group
   * failed). Not the client's fault: retry later.
   */
  unavailable: 11,
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const errorCodeValues: ReadonlySet<number> = new Set(Object.values(ErrorCode));

/** True when `value` is a known wire error code. */
export function isErrorCode(value: number): value is ErrorCode {
  return errorCodeValues.has(value);
}

/** The name of an error code, for messages and logs (`'malformed'`, ...). */
export function nameOfErrorCode(code: ErrorCode): keyof typeof ErrorCode {
  for (const [name, value] of Object.entries(ErrorCode)) {
    if (value === code) return name as keyof typeof ErrorCode;
  }
  /* c8 ignore next */
  throw new Error(`unknown error code ${code}`);
}

/**
 * A message failed validation (on decode or encode). `code` is what a relay puts in the `error`
 * message it sends back before closing the connection.
 */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';

  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}
