/**
 * A validating binary reader, the mirror of `Encoder`. Every read checks bounds and value ranges
 * and throws `DecodeError` (with the byte offset) instead of returning garbage.
 */
import { DecodeError } from './errors';

const textDecoder = new TextDecoder('utf-8', { fatal: true });

/** Strings up to this many bytes are tried as ASCII in a loop before `TextDecoder`. */
const SHORT_STRING = 32;

/**
 * Node's lenient native utf-8 decoder (`Buffer.prototype.utf8Slice`), where the runtime has it:
 * about twice as fast as the fatal `TextDecoder` on long strings. It turns invalid bytes into
 * U+FFFD, so a result without U+FFFD proves the bytes valid; one with it is decoded again by the
 * fatal decoder, which tells a real U+FFFD from an invalid byte.
 */
const lenientUtf8Slice = (globalThis as { Buffer?: { prototype: { utf8Slice?: (this: Uint8Array, start: number, end: number) => string } } }).Buffer?.prototype.utf8Slice;

/** Reads values written by `Encoder`. Invariant: `offset <= bytes.length`. */
/** `bytes[from, end)` as a string when they are all ASCII, else null (the caller decodes utf-8). */
function asciiBetween(bytes: Uint8Array, from: number, end: number): string | null {
  let result = '';
  for (let i = from; i < end; i++) {
    const byte = bytes[i]!;
    if (byte > 0x7f) return null;
    result += String.fromCharCode(byte);
  }
  return result;
}

export class Decoder {
  private position = 0;

  constructor(private readonly bytes: Uint8Array) {}

  /**
   * One instance alive as long as the class: V8 holds map transitions weakly, so once every
   * decoder is garbage a major GC drops the `Decoder` map, and the next decode rebuilds it while
   * every inline cache that knew the old one misses again. Decoders are short-lived (one per
   * message), so without this the first messages after every major GC paid for that (in the
   * benchmark, which forces GCs between runs: B2.1 0.22 → 0.17 ms; bench/RESULTS.md, "Warm code").
   */
  static readonly keepShape: Decoder = new Decoder(new Uint8Array(0));

  /** The current read offset. */
  get offset(): number {
    return this.position;
  }

  /** Bytes left to read. */
  get remaining(): number {
    return this.bytes.length - this.position;
  }

  /** True when every byte has been read. */
  get done(): boolean {
    return this.position >= this.bytes.length;
  }

  /** Throws a `DecodeError` at the current offset. */
  fail(reason: string): never {
    throw new DecodeError(reason, this.position);
  }

  /** Throws unless every byte has been read (trailing garbage is an error). */
  expectEnd(): void {
    if (!this.done) this.fail(`${this.remaining} trailing bytes`);
  }

  readByte(): number {
    if (this.position >= this.bytes.length) this.fail('unexpected end of input');
    return this.bytes[this.position++]!;
  }

  /** Unsigned varint in [0, 2^53); rejects overlong and overflowing encodings. */
  readVarUint(): number {
    const start = this.position;
    let result = 0;
    let multiplier = 1;
    for (let i = 0; i < 8; i++) {
      const byte = this.readByte();
      result += (byte & 0x7f) * multiplier;
      if ((byte & 0x80) === 0) {
        if (byte === 0 && i > 0) throw new DecodeError('overlong varuint', start);
        if (!Number.isSafeInteger(result)) throw new DecodeError('varuint overflows 2^53', start);
        return result;
      }
      multiplier *= 0x80;
    }
    throw new DecodeError('varuint longer than 8 bytes', start);
  }

  /** A varuint that must lie in [min, max]. */
  readVarUintIn(min: number, max: number, what: string): number {
    const start = this.position;
    const value = this.readVarUint();
    if (value < min || value > max) throw new DecodeError(`${what} ${value} out of range [${min}, ${max}]`, start);
    return value;
  }

  /** Signed varint (sign-magnitude, see `Encoder.writeVarInt`). */
  readVarInt(): number {
    const start = this.position;
    const first = this.readByte();
    const negative = (first & 0x40) !== 0;
    let magnitude = first & 0x3f;
    let multiplier = 0x40;
    let more = (first & 0x80) !== 0;
    let count = 0;
    while (more) {
      if (++count > 8) throw new DecodeError('varint longer than 9 bytes', start);
      const byte = this.readByte();
      if ((byte & 0x80) === 0 && byte === 0) throw new DecodeError('overlong varint', start);
      magnitude += (byte & 0x7f) * multiplier;
      multiplier *= 0x80;
      more = (byte & 0x80) !== 0;
    }
    if (!Number.isSafeInteger(magnitude)) throw new DecodeError('varint overflows 2^53', start);
    if (negative && magnitude === 0) throw new DecodeError('negative zero varint', start);
    return negative ? -magnitude : magnitude;
  }

  readFloat64(): number {
    if (this.remaining < 8) this.fail('unexpected end of input (float64)');
    const view = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.position, 8);
    this.position += 8;
    return view.getFloat64(0, false);
  }

  /** True when the next bytes are exactly `prefix` (nothing is read). */
  startsWith(prefix: Uint8Array): boolean {
    const at = this.position;
    if (prefix.length > this.bytes.length - at) return false;
    for (let i = 0; i < prefix.length; i++) if (this.bytes[at + i] !== prefix[i]) return false;
    return true;
  }

  /** Moves past `length` bytes without reading them. */
  skip(length: number): void {
    if (length > this.remaining) this.fail(`length ${length} exceeds the ${this.remaining} bytes left`);
    this.position += length;
  }

  /** A copy of the bytes in `[from, to)` (already read ones included). */
  copy(from: number, to: number): Uint8Array {
    return this.bytes.slice(from, to);
  }

  /** Raw bytes, no length prefix (a view, not a copy). */
  readRaw(length: number): Uint8Array {
    if (length > this.remaining) this.fail(`length ${length} exceeds the ${this.remaining} bytes left`);
    const bytes = this.bytes.subarray(this.position, this.position + length);
    this.position += length;
    return bytes;
  }

  /** Length-prefixed bytes (a copy). */
  readBytes(): Uint8Array {
    return this.readRaw(this.readVarUint()).slice();
  }

  /**
   * A length-prefixed utf-8 string; invalid utf-8 is a `DecodeError`. Short ASCII strings (most
   * keys and field names) are built in a tight loop straight from the buffer; anything else goes
   * through the fatal `TextDecoder`.
   */
  readString(): string {
    const start = this.position;
    const length = this.readVarUint();
    if (length > this.remaining) this.fail(`length ${length} exceeds the ${this.remaining} bytes left`);
    const bytes = this.bytes;
    const from = this.position;
    const end = from + length;
    if (length <= SHORT_STRING) {
      const ascii = asciiBetween(bytes, from, end);
      if (ascii !== null) {
        this.position = end;
        return ascii;
      }
    }
    let decoded: string | null = null;
    if (lenientUtf8Slice !== undefined) {
      decoded = lenientUtf8Slice.call(bytes, from, end);
      if (decoded.indexOf('\uFFFD') >= 0) decoded = null;
    }
    if (decoded === null) {
      try {
        decoded = textDecoder.decode(bytes.subarray(from, end));
      } catch {
        throw new DecodeError('invalid utf-8 string', start);
      }
    }
    this.position = end;
    return decoded;
  }

  /** A string written by `Encoder.writeCodeUnits` (lone surrogates preserved). */
  readCodeUnits(): string {
    const bytes = this.bytes;
    const at = this.position;
    if (bytes[at] === 0 && bytes[at + 1]! < 0x80 && at + 2 + bytes[at + 1]! <= bytes.length) {
      // Mode 0 with a one-byte length (short strings): ASCII straight from the buffer.
      const end = at + 2 + bytes[at + 1]!;
      const ascii = asciiBetween(bytes, at + 2, end);
      if (ascii !== null) {
        this.position = end;
        return ascii;
      }
    }
    const mode = this.readByte();
    if (mode === 0) return this.readString();
    if (mode !== 1) this.fail(`unknown string mode ${mode}`);
    const length = this.readVarUint();
    if (length > this.remaining) this.fail(`string length ${length} exceeds the ${this.remaining} bytes left`);
    const units = new Array<number>(length);
    for (let i = 0; i < length; i++) units[i] = this.readVarUintIn(0, 0xffff, 'code unit');
    let result = '';
    for (let i = 0; i < length; i += 4096) result += String.fromCharCode(...units.slice(i, i + 4096));
    return result;
  }

  /** An id written by `Encoder.writeId`; the replica must fit in 32 bits. */
  readId(): { replica: number; clock: number } {
    const replica = this.readVarUintIn(0, 0xffff_ffff, 'replica id');
    const clock = this.readVarUint();
    return { replica, clock };
  }
}
