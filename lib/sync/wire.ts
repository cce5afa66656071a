/**
 * A minimal private binary reader/writer for the wire protocol (LEB128 varuints, length-prefixed
 * bytes and UTF-8 strings). `lib/codec` did not exist when the protocol was written; when it lands
 * with the same primitives, this file should be folded into it.
 *
 * Every read is bounds-checked and throws `ProtocolError` (never a RangeError or TypeError).
 */
import { ProtocolError, ErrorCode } from './errors';

/** Largest value a varuint may carry: it must stay an exact JavaScript number. */
const MAX_VARUINT = Number.MAX_SAFE_INTEGER;
/** A varuint of a safe integer takes at most 8 bytes (8 × 7 = 56 bits ≥ 53). */
const MAX_VARUINT_BYTES = 8;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Appends primitives to a growable byte buffer. */
export class WireWriter {
  private buffer = new Uint8Array(64);
  private length = 0;

  private reserve(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < needed) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
  }

  writeByte(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value & 0xff;
  }

  /** Writes a non-negative safe integer as an unsigned LEB128 varint. */
  writeVarUint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new ProtocolError(ErrorCode.malformed, `cannot encode ${value} as a varuint`);
    }
    let rest = value;
    while (rest >= 0x80) {
      this.writeByte((rest % 0x80) | 0x80);
      rest = Math.floor(rest / 0x80);
    }
    this.writeByte(rest);
  }

  /** Writes a varuint length followed by the bytes. */
  writeBytes(bytes: Uint8Array): void {
    this.writeVarUint(bytes.length);
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  /** Writes a string as length-prefixed UTF-8. */
  writeString(value: string): void {
    this.writeBytes(utf8Encoder.encode(value));
  }

  /** The bytes written so far (a copy that owns its own buffer). */
  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

/** Reads primitives from a byte array, validating every step. */
export class WireReader {
  private offset = 0;

  constructor(private readonly bytes: Uint8Array) {}

  /** Bytes not read yet. */
  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  readByte(): number {
    if (this.offset >= this.bytes.length) {
      throw new ProtocolError(ErrorCode.malformed, 'unexpected end of message');
    }
    return this.bytes[this.offset++]!;
  }

  /** Reads an unsigned LEB128 varint; rejects values past Number.MAX_SAFE_INTEGER. */
  readVarUint(): number {
    let value = 0;
    let scale = 1;
    for (let index = 0; index < MAX_VARUINT_BYTES; index++) {
      const byte = this.readByte();
      value += (byte & 0x7f) * scale;
      if (value > MAX_VARUINT) throw new ProtocolError(ErrorCode.malformed, 'varuint too large');
      if ((byte & 0x80) === 0) return value;
      scale *= 0x80;
    }
    throw new ProtocolError(ErrorCode.malformed, 'varuint too long');
  }

  /** Reads a varuint bounded by `max` (inclusive); `what` names the field in the error. */
  readBoundedVarUint(max: number, what: string): number {
    const value = this.readVarUint();
    if (value > max) throw new ProtocolError(ErrorCode.malformed, `${what} ${value} exceeds ${max}`);
    return value;
  }

  /** Reads length-prefixed bytes (a copy) of at most `maxLength` bytes. */
  readBytes(maxLength: number, what: string): Uint8Array {
    const length = this.readVarUint();
    if (length > maxLength) {
      throw new ProtocolError(ErrorCode.tooLarge, `${what} is ${length} bytes, limit ${maxLength}`);
    }
    if (length > this.remaining) {
      throw new ProtocolError(ErrorCode.malformed, `${what} length ${length} runs past the end of the message`);
    }
    const out = this.bytes.slice(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  /** Reads a length-prefixed UTF-8 string of at most `maxBytes` encoded bytes; invalid UTF-8 is rejected. */
  readString(maxBytes: number, what: string): string {
    const bytes = this.readBytes(maxBytes, what);
    try {
      return utf8Decoder.decode(bytes);
    } catch {
      throw new ProtocolError(ErrorCode.malformed, `${what} is not valid UTF-8`);
    }
  }

  /** Throws unless every byte has been read. */
  expectEnd(): void {
    if (this.remaining !== 0) {
      throw new ProtocolError(ErrorCode.malformed, `${this.remaining} trailing bytes after the message`);
    }
  }
}
