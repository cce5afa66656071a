/**
 * The protocol's view of `lib/codec`: `Encoder`/`Decoder` with per-field size limits checked
 * before anything is allocated, and every codec failure turned into a `ProtocolError` (so protocol
 * decoders throw exactly one error type, carrying the code a relay answers with).
 */
import { Decoder } from '../codec/decoder';
import { Encoder } from '../codec/encoder';
import { DecodeError, EncodeError } from '../codec/errors';
import { ErrorCode, ProtocolError } from './errors';

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Runs a codec call, turning `DecodeError`/`EncodeError` into `ProtocolError(malformed)`. */
function guarded<T>(what: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof DecodeError || error instanceof EncodeError) {
      throw new ProtocolError(ErrorCode.malformed, `${what}: ${error.message}`);
    }
    throw error;
  }
}

/** Appends primitives to a growable byte buffer. */
export class WireWriter {
  private readonly encoder = new Encoder();

  writeByte(value: number): void {
    this.encoder.writeByte(value);
  }

  /** Writes a non-negative safe integer as an unsigned LEB128 varint. */
  writeVarUint(value: number): void {
    guarded('varuint', () => this.encoder.writeVarUint(value));
  }

  /** Writes a varuint length followed by the bytes. */
  writeBytes(bytes: Uint8Array): void {
    this.encoder.writeBytes(bytes);
  }

  /** Writes a string as length-prefixed UTF-8 (callers reject lone surrogates first). */
  writeString(value: string): void {
    this.encoder.writeString(value);
  }

  /** The bytes written so far (a copy that owns its own buffer). */
  finish(): Uint8Array {
    return this.encoder.toBytes();
  }
}

/** Reads primitives from a byte array, validating every step. */
export class WireReader {
  private readonly decoder: Decoder;

  constructor(bytes: Uint8Array) {
    this.decoder = new Decoder(bytes);
  }

  /** Bytes not read yet. */
  get remaining(): number {
    return this.decoder.remaining;
  }

  readByte(): number {
    return guarded('byte', () => this.decoder.readByte());
  }

  /** Reads a canonical unsigned LEB128 varint below 2^53. */
  readVarUint(): number {
    return guarded('varuint', () => this.decoder.readVarUint());
  }

  /** Reads a varuint bounded by `max` (inclusive); `what` names the field in the error. */
  readBoundedVarUint(max: number, what: string): number {
    const value = this.readVarUint();
    if (value > max) throw new ProtocolError(ErrorCode.malformed, `${what} ${value} exceeds ${max}`);
    return value;
  }

  /** Reads length-prefixed bytes (a copy) of at most `maxLength` bytes, checking the limit first. */
  readBytes(maxLength: number, what: string): Uint8Array {
    const length = this.readVarUint();
    if (length > maxLength) {
      throw new ProtocolError(ErrorCode.tooLarge, `${what} is ${length} bytes, limit ${maxLength}`);
    }
    return guarded(what, () => this.decoder.readRaw(length).slice());
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
    guarded('message', () => this.decoder.expectEnd());
  }
}
