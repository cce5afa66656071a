/** Thrown by every decoder on bad bytes: truncated input, overflow, invalid utf-8, impossible values. */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  constructor(
    readonly reason: string,
    /** The byte offset where decoding failed (-1 when the error is not tied to a position). */
    readonly offset: number,
  ) {
    super(offset >= 0 ? `decode error at byte ${offset}: ${reason}` : `decode error: ${reason}`);
  }
}

/** Thrown by encoders when asked to write a value the format cannot represent (a programming error). */
export class EncodeError extends Error {
  override readonly name = 'EncodeError';
  constructor(reason: string) {
    super(`encode error: ${reason}`);
  }
}
