/**
 * A growable binary writer. Integers are LEB128-style varints (7 bits per byte, low bits first);
 * signed integers use a sign bit in the first byte (sign-magnitude, like Yjs), so every safe
 * integer in [-(2^53-1), 2^53-1] round-trips exactly.
 */
import { EncodeError } from './errors';

const textEncoder = new TextEncoder();

/**
 * Node's native utf-8 writer and byte counter (`Buffer.prototype.utf8Write`, `Buffer.byteLength`),
 * where the runtime has them: on Node 20 the native writer is about twice as fast as
 * `TextEncoder.encodeInto` on a long string. It writes into the room there is, and the counter is
 * needed only when the text did not fit (never for ASCII: the room is sized for one byte a unit).
 * Both write a lone surrogate as U+FFFD, as `encodeInto` does. Browsers use `encodeInto`.
 */
const nodeBuffer = (globalThis as { Buffer?: { byteLength?: (value: string, encoding: 'utf8') => number; prototype: { utf8Write?: (this: Uint8Array, value: string, offset: number, length: number) => number } } }).Buffer;
const nativeUtf8Write = nodeBuffer?.byteLength !== undefined ? nodeBuffer.prototype.utf8Write : undefined;
const nativeUtf8Length = nodeBuffer?.byteLength;

/** Bytes of the longest utf-8 character: room this large after a write proves nothing was cut off. */
const UTF8_SLACK = 4;

/** A growable byte buffer with typed writes. Invariant: `length <= buffer.length`. */
export class Encoder {
  private buffer: Uint8Array;
  private view: DataView | null = null;
  private position = 0;

  constructor(initialCapacity = 64) {
    this.buffer = new Uint8Array(Math.max(8, initialCapacity));
  }

  /** Bytes written so far. */
  get length(): number {
    return this.position;
  }

  /** A copy of the bytes written. */
  toBytes(): Uint8Array {
    return this.buffer.slice(0, this.position);
  }

  /**
   * The bytes written, for an encoder that is not reused: its own buffer (a view, no copy) when
   * they fill most of it, else a copy (the view would hold on to the unused room).
   */
  toOwnBytes(): Uint8Array {
    if (this.position >= this.buffer.length - (this.buffer.length >> 3)) return this.buffer.subarray(0, this.position);
    return this.toBytes();
  }

  /** Forgets what was written, keeping the buffer (a scratch encoder reused for many small messages). */
  reset(): void {
    this.position = 0;
  }

  writeByte(value: number): void {
    this.ensure(1);
    this.buffer[this.position++] = value & 0xff;
  }

  /** Unsigned varint, for integers in [0, 2^53). */
  writeVarUint(value: number): void {
    if (value >>> 0 === value && value <= 0x7fff_ffff) {
      // Up to 31 bits (lengths, counts, clocks, most replica ids): integer arithmetic only.
      this.ensure(5);
      const buffer = this.buffer;
      let position = this.position;
      while (value > 0x7f) {
        buffer[position++] = 0x80 | (value & 0x7f);
        value >>>= 7;
      }
      buffer[position++] = value;
      this.position = position;
      return;
    }
    if (!Number.isSafeInteger(value) || value < 0) throw new EncodeError(`varuint out of range: ${value}`);
    this.ensure(8);
    while (value > 0x7f) {
      this.buffer[this.position++] = 0x80 | (value % 0x80);
      value = Math.floor(value / 0x80);
    }
    this.buffer[this.position++] = value;
  }

  /** Signed varint: first byte = continuation bit, sign bit, 6 low bits of |value|; then 7 bits per byte. */
  writeVarInt(value: number): void {
    if (!Number.isSafeInteger(value)) throw new EncodeError(`varint out of range: ${value}`);
    this.ensure(9);
    if (value >= -0x7fff_ffff && value <= 0x7fff_ffff) {
      // Up to 31 bits of magnitude (origin offsets, counter deltas): integer arithmetic only.
      const buffer = this.buffer;
      let position = this.position;
      let magnitude = value < 0 ? -value : value;
      buffer[position++] = (magnitude > 0x3f ? 0x80 : 0) | (value < 0 ? 0x40 : 0) | (magnitude & 0x3f);
      magnitude >>>= 6;
      while (magnitude > 0) {
        buffer[position++] = (magnitude > 0x7f ? 0x80 : 0) | (magnitude & 0x7f);
        magnitude >>>= 7;
      }
      this.position = position;
      return;
    }
    const negative = value < 0;
    let magnitude = Math.abs(value);
    const low = magnitude % 0x40;
    magnitude = Math.floor(magnitude / 0x40);
    this.buffer[this.position++] = (magnitude > 0 ? 0x80 : 0) | (negative ? 0x40 : 0) | low;
    while (magnitude > 0) {
      this.buffer[this.position++] = (magnitude > 0x7f ? 0x80 : 0) | (magnitude % 0x80);
      magnitude = Math.floor(magnitude / 0x80);
    }
  }

  writeFloat64(value: number): void {
    this.ensure(8);
    if (this.view === null || this.view.buffer !== this.buffer.buffer) this.view = new DataView(this.buffer.buffer);
    this.view.setFloat64(this.position, value, false);
    this.position += 8;
  }

  /** A utf-8 string, length-prefixed (byte length). Lone surrogates are written as U+FFFD. */
  writeString(value: string): void {
    // Fast path for short ASCII strings (most keystrokes).
    if (value.length < 64) {
      let ascii = true;
      for (let i = 0; i < value.length; i++) {
        if (value.charCodeAt(i) > 0x7f) {
          ascii = false;
          break;
        }
      }
      if (ascii) {
        this.writeVarUint(value.length);
        this.ensure(value.length);
        for (let i = 0; i < value.length; i++) this.buffer[this.position++] = value.charCodeAt(i);
        return;
      }
    }
    this.writeUtf8(value);
  }

  /**
   * utf-8 of `value` after its byte length, encoded in place with no intermediate array: on Node,
   * the native byte count then the native write; elsewhere one `encodeInto` for ASCII text (room
   * for one byte per unit first, more only when the text needs it).
   */
  private writeUtf8(value: string): void {
    const length = value.length;
    const at = this.position;
    // The byte length is at least the unit count, so its prefix is at least this long: the bytes
    // go after room for it, and move up only in the rare case of a longer prefix.
    const guess = varUintSize(length);
    this.ensure(guess + length + UTF8_SLACK);
    const start = at + guess;
    let written: number;
    if (nativeUtf8Write !== undefined) {
      // One pass over the text: written into the room there is. Room left for the longest
      // character (4 bytes) proves that nothing was cut off; else the exact length, then again.
      const room = this.buffer.length - start;
      written = nativeUtf8Write.call(this.buffer, value, start, room);
      if (room - written < UTF8_SLACK) {
        this.position = at;
        this.ensure(guess + nativeUtf8Length!(value, 'utf8'));
        written = nativeUtf8Write.call(this.buffer, value, start, this.buffer.length - start);
      }
    } else {
      const first = textEncoder.encodeInto(value, this.buffer.subarray(start));
      written = first.written;
      if (first.read < length) {
        // Not ASCII: room for the rest at 3 bytes per unit (a surrogate pair takes 4 for 2 units).
        this.position = start + written;
        this.ensure((length - first.read) * 3);
        written += textEncoder.encodeInto(value.slice(first.read), this.buffer.subarray(start + written)).written;
      }
    }
    const size = varUintSize(written);
    if (size !== guess) {
      // A longer prefix: move the bytes up (`ensure` keeps what lies below `position`).
      this.position = start + written;
      this.ensure(size - guess);
      this.buffer.copyWithin(at + size, start, start + written);
    }
    // The prefix goes into the room left for it (no `ensure`: growing now would drop the bytes above `position`).
    const buffer = this.buffer;
    let position = at;
    let rest = written;
    while (rest > 0x7f) {
      buffer[position++] = 0x80 | (rest & 0x7f);
      rest = Math.floor(rest / 0x80);
    }
    buffer[position] = rest;
    this.position = at + size + written;
  }

  /**
   * A string of UTF-16 code units that may hold lone surrogates (text split between the halves of a
   * pair): a mode byte, then utf-8 (mode 0, well-formed strings) or the code units (mode 1).
   */
  writeCodeUnits(value: string): void {
    const length = value.length;
    if (length < 0x80) {
      // Short ASCII (most keystrokes and field names) in one pass: mode 0, one-byte length, the bytes.
      this.ensure(length + 2);
      const buffer = this.buffer;
      const start = this.position;
      let i = 0;
      for (; i < length; i++) {
        const unit = value.charCodeAt(i);
        if (unit > 0x7f) break;
        buffer[start + 2 + i] = unit;
      }
      if (i === length) {
        buffer[start] = 0;
        buffer[start + 1] = length;
        this.position = start + 2 + length;
        return;
      }
    }
    if (isWellFormed(value)) {
      this.writeByte(0);
      this.writeString(value);
      return;
    }
    this.writeByte(1);
    this.writeVarUint(value.length);
    for (let i = 0; i < value.length; i++) this.writeVarUint(value.charCodeAt(i));
  }

  /** Length-prefixed raw bytes. */
  writeBytes(bytes: Uint8Array): void {
    this.writeVarUint(bytes.length);
    this.writeRaw(bytes);
  }

  /** Raw bytes, no length prefix. */
  writeRaw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buffer.set(bytes, this.position);
    this.position += bytes.length;
  }

  /** An id: replica then clock, both varuint. */
  writeId(id: { readonly replica: number; readonly clock: number }): void {
    this.writeVarUint(id.replica);
    this.writeVarUint(id.clock);
  }

  private ensure(extra: number): void {
    const needed = this.position + extra;
    if (needed <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < needed) capacity *= 2;
    const next = new Uint8Array(capacity);
    next.set(this.buffer.subarray(0, this.position));
    this.buffer = next;
  }
}

/** Bytes of `value` as a varuint (`value` < 2^53). */
function varUintSize(value: number): number {
  let size = 1;
  while (value > 0x7f) {
    value = Math.floor(value / 0x80);
    size++;
  }
  return size;
}

/** `String.prototype.isWellFormed` (ES2024) where the runtime has it: native, far faster on long strings. */
const nativeIsWellFormed = (String.prototype as { isWellFormed?: (this: string) => boolean }).isWellFormed;

/** True when `value` has no lone surrogate (so utf-8 round-trips it exactly). */
export function isWellFormed(value: string): boolean {
  if (nativeIsWellFormed !== undefined && value.length > 16) return nativeIsWellFormed.call(value);
  return isWellFormedByScan(value);
}

/** `isWellFormed` by a scan of the code units (short strings, and runtimes without the native one). */
export function isWellFormedByScan(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    if (unit < 0xd800 || unit > 0xdfff) continue;
    if (unit >= 0xdc00) return false;
    const next = value.charCodeAt(i + 1);
    if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
    i++;
  }
  return true;
}
