/**
 * Entropy-coded number columns for the full-state format (state-codec.ts): a column is a list of
 * non-negative integers written as canonical Huffman codes (Huffman, 1952; canonical codes as in
 * DEFLATE, RFC 1951 §3.2.2) over small symbols, plus raw bits. A value below the column's
 * `direct` limit (a power of two) is its own symbol; a larger value's symbol is its bit length,
 * followed by the bits below its top bit (as DEFLATE's length and distance codes do). So a column
 * of flags costs what their frequencies say, and a column of clocks costs about the entropy of
 * their magnitudes plus the bits that are really random.
 *
 * Block layout: varuint byte length of the rest, then (when the column is not empty) varuints
 * value count and alphabet size `a`, `a` code lengths of 4 bits each (0 = unused symbol), and the
 * codes, most significant bit first, zero-padded to a byte. The count lets a reader decode a whole
 * column in one tight loop (`readAll`). Decoding validates everything: the code lengths
 * must form a complete prefix code (or a single one-bit code), every symbol read must be in the
 * code, the block must end exactly where its last code ends (padding bits zero).
 */
import { Decoder } from '../codec/decoder';
import { Encoder } from '../codec/encoder';
import { DecodeError } from '../codec/errors';

/** Longest code; decoding looks codes up in a table of `2^MAX_CODE_LENGTH` entries. */
const MAX_CODE_LENGTH = 12;
const TABLE_SIZE = 2 ** MAX_CODE_LENGTH;
/** 2^0 .. 2^53. */
const POWERS_OF_TWO = Float64Array.from({ length: 54 }, (_, i) => 2 ** i);
/** The lookup table of an empty column: every code invalid (never written to). */
const NO_CODES = new Int32Array(2 ** 12).fill(-1);
/** Raw bits are written and read in pieces of at most this many. */
const WIDE_PIECE = 24;

/** Largest value a column holds (varuint range). */
const MAX_VALUE = Number.MAX_SAFE_INTEGER;

function bitLength(value: number): number {
  return value < 2 ** 31 ? 32 - Math.clz32(value) : 31 + bitLength(Math.floor(value / 2 ** 31));
}

/** Symbols needed for values up to 2^53 with `direct` values coded as themselves. */
function alphabetSize(direct: number): number {
  return direct + 54 - bitLength(direct);
}

/**
 * Code lengths (at most `MAX_CODE_LENGTH`) for symbol frequencies, by the classic Huffman merge;
 * when the tree is too deep the frequencies are flattened and it is built again. Deterministic:
 * ties go to the lower symbol.
 */
function codeLengths(frequencies: ArrayLike<number>): Uint8Array {
  const lengths = new Uint8Array(frequencies.length);
  const used: number[] = [];
  for (let s = 0; s < frequencies.length; s++) if (frequencies[s]! > 0) used.push(s);
  if (used.length === 1) {
    lengths[used[0]!] = 1;
    return lengths;
  }
  let weights = used.map((s) => frequencies[s]!);
  for (;;) {
    // Nodes: leaves 0..n-1, inner nodes after; merge the two lightest (stable by creation order).
    const n = used.length;
    const weight = weights.slice();
    const parent = new Int32Array(2 * n - 1).fill(-1);
    const queue = Array.from({ length: n }, (_, i) => i).sort((a, b) => weight[a]! - weight[b]! || a - b);
    const inner: number[] = [];
    let qi = 0;
    let ii = 0;
    const takeLightest = (): number => {
      if (ii >= inner.length || (qi < queue.length && weight[queue[qi]!]! <= weight[inner[ii]!]!)) return queue[qi++]!;
      return inner[ii++]!;
    };
    for (let next = n; next < 2 * n - 1; next++) {
      const a = takeLightest();
      const b = takeLightest();
      weight[next] = weight[a]! + weight[b]!;
      parent[a] = next;
      parent[b] = next;
      inner.push(next);
    }
    let deepest = 0;
    const depth = new Int32Array(2 * n - 1);
    for (let node = 2 * n - 3; node >= 0; node--) depth[node] = depth[parent[node]!]! + 1;
    for (let i = 0; i < n; i++) deepest = Math.max(deepest, depth[i]!);
    if (deepest <= MAX_CODE_LENGTH) {
      for (let i = 0; i < n; i++) lengths[used[i]!] = depth[i]!;
      return lengths;
    }
    weights = weights.map((w) => (w + 1) >> 1);
  }
}

/** Canonical codes for code lengths: shorter codes first, then by symbol. */
function canonicalCodes(lengths: Uint8Array): Uint32Array {
  const codes = new Uint32Array(lengths.length);
  const count = new Uint32Array(MAX_CODE_LENGTH + 1);
  for (const length of lengths) count[length]!++;
  count[0] = 0;
  const next = new Uint32Array(MAX_CODE_LENGTH + 2);
  let code = 0;
  for (let length = 1; length <= MAX_CODE_LENGTH; length++) {
    code = (code + count[length - 1]!) << 1;
    next[length] = code;
  }
  for (let s = 0; s < lengths.length; s++) if (lengths[s]! > 0) codes[s] = next[lengths[s]!]!++;
  return codes;
}

/** Collects a column's values, then writes it as one block (`writeColumn`). */
export class ColumnWriter {
  private readonly values: number[] = [];

  /** `direct`: a power of two; values below it are symbols of their own. */
  constructor(private readonly direct: number) {}

  write(value: number): void {
    this.values.push(value);
  }

  /** Appends the block to `encoder`. */
  writeTo(encoder: Encoder): void {
    writeColumn(encoder, this.direct, this.values);
  }
}

/**
 * Appends the block of a column holding `values` to `encoder` (`direct`: a power of two; values
 * below it are symbols of their own). The per-value loops are plain functions of arrays and
 * typed arrays (`countSymbols`, `packCodes`): their optimized code depends on no object that dies
 * with the encoding, so the GCs between two encodes do not throw it away ('weak objects').
 */
export function writeColumn(encoder: Encoder, direct: number, values: readonly number[]): void {
  if (values.length === 0) {
    encoder.writeVarUint(0);
    return;
  }
  const lengths = codeLengths(countSymbols(values, direct));
  const codes = canonicalCodes(lengths);
  let alphabet = lengths.length;
  while (lengths[alphabet - 1] === 0) alphabet--;
  const body = packCodes(values, direct, codes, lengths, alphabet);
  const head = new Encoder(8);
  head.writeVarUint(values.length);
  head.writeVarUint(alphabet);
  const headBytes = head.toBytes();
  encoder.writeVarUint(headBytes.length + body.length);
  encoder.writeRaw(headBytes);
  encoder.writeRaw(body);
}

/** The symbol of `value`: itself below `direct`, else its bit length (offset past the direct symbols). */
function symbolOf(value: number, direct: number): number {
  return value < direct ? value : direct + bitLength(value) - bitLength(direct);
}

/** How often each symbol occurs among `values`. */
function countSymbols(values: readonly number[], direct: number): Float64Array {
  const frequencies = new Float64Array(alphabetSize(direct));
  for (let i = 0; i < values.length; i++) frequencies[symbolOf(values[i]!, direct)]!++;
  return frequencies;
}

/**
 * The bits of a block after its head: the `alphabet` 4-bit code lengths, then each value's code
 * (and raw bits below the top bit of a bit-length symbol), most significant bit first, zero-padded
 * to a byte.
 */
function packCodes(values: readonly number[], direct: number, codes: Uint32Array, lengths: Uint8Array, alphabet: number): Uint8Array {
  // Upper bound: 4 bits per code length, at most 12 + 53 bits per value.
  let out = new Uint8Array(Math.ceil((alphabet * 4 + values.length * 16) / 8) + 8);
  let size = 0;
  /** Pending bits, the last `filled` (< 8) of them not yet written. */
  let current = 0;
  let filled = 0;
  for (let i = -alphabet; i < values.length; i++) {
    let code: number;
    let codeLength: number;
    let value = 0;
    let width = 0;
    if (i < 0) {
      code = lengths[alphabet + i]!;
      codeLength = 4;
    } else {
      value = values[i]!;
      const symbol = symbolOf(value, direct);
      code = codes[symbol]!;
      codeLength = lengths[symbol]!;
      if (symbol >= direct) width = bitLength(value) - 1;
    }
    if (size + 16 > out.length) {
      const grown = new Uint8Array(out.length * 2);
      grown.set(out);
      out = grown;
    }
    // The code (at most 12 bits), then the raw bits below the top bit in pieces of at most 24, highest first.
    current = ((current << codeLength) | code) >>> 0;
    filled += codeLength;
    while (filled >= 8) {
      filled -= 8;
      out[size++] = (current >>> filled) & 0xff;
    }
    current &= (1 << filled) - 1;
    for (let low = WIDE_PIECE * Math.floor((width - 1) / WIDE_PIECE); low >= 0 && width > 0; low -= WIDE_PIECE) {
      const count = width - low;
      const piece = Math.floor(value / POWERS_OF_TWO[low]!) % POWERS_OF_TWO[count]!;
      if (size + 8 > out.length) {
        const grown = new Uint8Array(out.length * 2);
        grown.set(out);
        out = grown;
      }
      current = ((current << count) | piece) >>> 0;
      filled += count;
      while (filled >= 8) {
        filled -= 8;
        out[size++] = (current >>> filled) & 0xff;
      }
      current &= (1 << filled) - 1;
      width = low;
    }
  }
  if (filled > 0) out[size++] = (current << (8 - filled)) & 0xff;
  return out.subarray(0, size);
}

/** Reads a column written by `ColumnWriter` with the same `direct`. */
export class ColumnReader {
  private readonly bytes: Uint8Array;
  private position = 0;
  /** Bits not yet consumed, in the low `count` bits of `buffer`. */
  private buffer = 0;
  private count = 0;
  /** Lookup by the next `MAX_CODE_LENGTH` bits: `symbol * 16 + code length`, or -1 for no code. */
  private readonly table: Int32Array;
  private readonly end: number;
  /** Symbol + `widthOffset` = the bit length - 1 of a value coded by its bit length. */
  private readonly widthOffset: number;

  constructor(
    decoder: Decoder,
    private readonly direct: number,
    private readonly what: string,
  ) {
    const start = decoder.offset;
    const size = decoder.readVarUintIn(0, decoder.remaining, `${what} column size`);
    const bytes = decoder.readRaw(size);
    this.bytes = bytes;
    this.end = bytes.length;
    this.widthOffset = bitLength(direct) - 1 - direct;
    this.table = NO_CODES;
    if (size === 0) return;
    // Value count and alphabet size (varuints, inside the block), then 4-bit code lengths.
    const count = this.readHeadVarUint(start);
    // Every value takes at least one bit.
    if (count < 1 || count > size * 8) throw new DecodeError(`${what} column of ${count} values in ${size} bytes`, start);
    this.valueCount = count;
    const alphabet = this.readHeadVarUint(start);
    if (alphabet < 1 || alphabet > alphabetSize(direct)) throw new DecodeError(`${what} column alphabet of ${alphabet}`, start);
    const lengths = new Uint8Array(alphabet);
    for (let s = 0; s < alphabet; s++) lengths[s] = this.readBits(4);
    if (lengths[alphabet - 1] === 0) throw new DecodeError(`${what} column alphabet not trimmed`, start);
    this.table = ColumnReader.tableFor(lengths, what, start);
  }

  /**
   * Decode tables by their code lengths. A table is 16 KB and read-only once built, and small
   * states (a relay's batch, a Raft command) repeat a handful of length sets: building a table per
   * column was most of the time of decoding such a state. Bounded (4 MB): when it is full, the
   * least recently used table goes (the `Map` keeps use order: a hit moves its key to the end).
   */
  private static readonly tables = new Map<string, Int32Array>();
  static readonly MAX_CACHED_TABLES = 256;

  private static tableFor(lengths: Uint8Array, what: string, offset: number): Int32Array {
    let key = '';
    for (let s = 0; s < lengths.length; s++) key += String.fromCharCode(65 + lengths[s]!);
    const tables = ColumnReader.tables;
    const cached = tables.get(key);
    if (cached !== undefined) {
      tables.delete(key);
      tables.set(key, cached);
      return cached;
    }
    const table = ColumnReader.buildTable(lengths, what, offset);
    if (tables.size >= ColumnReader.MAX_CACHED_TABLES) tables.delete(tables.keys().next().value!);
    tables.set(key, table);
    return table;
  }

  /** How many values the column holds. */
  valueCount = 0;

  /** Keeps the short-lived class's map alive across GCs (see `Decoder.keepShape`): an empty column. */
  static readonly keepShape: ColumnReader = new ColumnReader(new Decoder(new Uint8Array(1)), 16, 'shape');

  /** A varuint of the block head (at most 4 bytes). */
  private readHeadVarUint(start: number): number {
    let value = 0;
    for (let shift = 1; ; shift *= 128) {
      if (this.position >= this.end || shift > 2 ** 21) throw new DecodeError(`${this.what} column head truncated or too large`, start);
      const byte = this.bytes[this.position++]!;
      value += (byte & 0x7f) * shift;
      if ((byte & 0x80) === 0) {
        if (byte === 0 && shift > 1) throw new DecodeError(`${this.what} column head overlong`, start);
        return value;
      }
    }
  }

  /**
   * Every value of the column (then checks that nothing but padding follows): an `Int32Array`
   * when every value fits 31 bits (always, in practice), else a plain array. Not a
   * `Float64Array`: a value read from a float array is a heap number in unoptimized code, and
   * storing one into an object field turns that field into a boxed double for every object of
   * the class. A typed array keeps the values off the young generation (fewer scavenges on load).
   */
  readAll(): Int32Array | number[] {
    const values = decodeValues(this.bytes, this.position, this.end, this.buffer, this.count, this.table, this.direct, this.widthOffset, this.valueCount, this.what);
    this.position = this.end;
    this.count = 0;
    return values;
  }

  private static buildTable(lengths: Uint8Array, what: string, offset: number): Int32Array {
    let used = 0;
    let kraft = 0;
    for (const length of lengths) {
      if (length === 0) continue;
      if (length > MAX_CODE_LENGTH) throw new DecodeError(`${what} column code longer than ${MAX_CODE_LENGTH} bits`, offset);
      used++;
      kraft += 2 ** (MAX_CODE_LENGTH - length);
    }
    const full = TABLE_SIZE;
    if (used === 0) throw new DecodeError(`${what} column without codes`, offset);
    // A complete prefix code, or a single symbol with a one-bit code.
    if (used === 1 ? kraft !== full / 2 : kraft !== full) throw new DecodeError(`${what} column code is not a complete prefix code`, offset);
    const table = new Int32Array(full).fill(-1);
    const codes = canonicalCodes(lengths);
    for (let s = 0; s < lengths.length; s++) {
      const length = lengths[s]!;
      if (length === 0) continue;
      const first = codes[s]! << (MAX_CODE_LENGTH - length);
      table.fill(s * 16 + length, first, first + (1 << (MAX_CODE_LENGTH - length)));
    }
    return table;
  }

  /** The next value. */
  read(): number {
    let count = this.count;
    if (count < MAX_CODE_LENGTH) {
      this.refill();
      count = this.count;
    }
    // The next MAX_CODE_LENGTH bits, zero-padded past the end of the block.
    const peek = count >= MAX_CODE_LENGTH ? (this.buffer >>> (count - MAX_CODE_LENGTH)) & (TABLE_SIZE - 1) : (this.buffer << (MAX_CODE_LENGTH - count)) & (TABLE_SIZE - 1);
    const entry = this.table[peek]!;
    const length = entry & 15;
    if (entry < 0 || length > count) throw new DecodeError(entry < 0 ? `invalid code in the ${this.what} column` : `${this.what} column truncated`, -1);
    this.count = count - length;
    const symbol = entry >> 4;
    return symbol < this.direct ? symbol : this.rawValue(symbol);
  }

  /** The value of a bit-length symbol: its top bit and the raw bits that follow the code. */
  private rawValue(symbol: number): number {
    const width = symbol + this.widthOffset;
    if (width <= WIDE_PIECE) return POWERS_OF_TWO[width]! + this.readBits(width);
    let low = 0;
    for (let piece = WIDE_PIECE * Math.floor((width - 1) / WIDE_PIECE), left = width; piece >= 0 && left > 0; piece -= WIDE_PIECE) {
      low = low * POWERS_OF_TWO[left - piece]! + this.readBits(left - piece);
      left = piece;
    }
    const value = POWERS_OF_TWO[width]! + low;
    if (value > MAX_VALUE) throw new DecodeError(`${this.what} column value out of range`, -1);
    return value;
  }

  /** Throws unless every code has been read (only zero padding bits, fewer than 8, left). */
  expectEnd(): void {
    if (this.position < this.end || this.count >= 8 || (this.buffer & ((1 << this.count) - 1)) !== 0) {
      throw new DecodeError(`trailing bits in the ${this.what} column`, -1);
    }
  }

  /** Reads `width <= 24` raw bits. */
  private readBits(width: number): number {
    if (this.count < width) this.refill();
    if (this.count < width) throw new DecodeError(`${this.what} column truncated`, -1);
    this.count -= width;
    return (this.buffer >>> this.count) & ((1 << width) - 1);
  }

  /** Tops the buffer up to at least 24 bits (fewer at the end of the block). Invariant: count <= 31. */
  private refill(): void {
    let buffer = this.buffer & ((1 << this.count) - 1);
    while (this.count < 24 && this.position < this.end) {
      buffer = (buffer << 8) | this.bytes[this.position++]!;
      this.count += 8;
    }
    this.buffer = buffer;
  }
}

/**
 * The `count` values of a column whose codes start with `bits` bits of `buffer` and continue at
 * `bytes[position]` (`ColumnReader.readAll`; a plain function of plain values, so its optimized
 * code depends on no reader object), then checks that only zero padding follows.
 */
function decodeValues(bytes: Uint8Array, position: number, end: number, buffer: number, bits: number, table: Int32Array, direct: number, widthOffset: number, count: number, what: string): Int32Array | number[] {
  const values = new Int32Array(count);
  // The values from the first one past 2^31 - 1 on, once there is one.
  let wide: number[] | null = null;
  for (let i = 0; i < count; i++) {
    // Codes are at most 12 bits: top the buffer up (to 24 bits or more) only below that.
    if (bits < MAX_CODE_LENGTH) {
      while (bits < 24 && position < end) {
        buffer = ((buffer & ((1 << bits) - 1)) << 8) | bytes[position++]!;
        bits += 8;
      }
    }
    const peek = bits >= MAX_CODE_LENGTH ? (buffer >>> (bits - MAX_CODE_LENGTH)) & (TABLE_SIZE - 1) : (buffer << (MAX_CODE_LENGTH - bits)) & (TABLE_SIZE - 1);
    const entry = table[peek]!;
    const length = entry & 15;
    if (entry < 0 || length > bits) throw new DecodeError(entry < 0 ? `invalid code in the ${what} column` : `${what} column truncated`, -1);
    bits -= length;
    const symbol = entry >> 4;
    if (symbol < direct) {
      if (wide === null) values[i] = symbol;
      else wide[i] = symbol;
      continue;
    }
    // A bit length: the top bit, then the raw bits below it in pieces of at most 24, highest first.
    const width = symbol + widthOffset;
    if (width <= WIDE_PIECE) {
      // One piece (always, for values below 2^25): small-integer arithmetic only.
      while (bits < WIDE_PIECE && position < end) {
        buffer = ((buffer & ((1 << bits) - 1)) << 8) | bytes[position++]!;
        bits += 8;
      }
      if (bits < width) throw new DecodeError(`${what} column truncated`, -1);
      bits -= width;
      const value = (1 << width) | ((buffer >>> bits) & ((1 << width) - 1));
      if (wide === null) values[i] = value;
      else wide[i] = value;
      continue;
    }
    let low = 0;
    for (let left = width; left > 0; ) {
      const piece = left - WIDE_PIECE * Math.floor((left - 1) / WIDE_PIECE);
      while (bits < WIDE_PIECE && position < end) {
        buffer = ((buffer & ((1 << bits) - 1)) << 8) | bytes[position++]!;
        bits += 8;
      }
      if (bits < piece) throw new DecodeError(`${what} column truncated`, -1);
      bits -= piece;
      low = low * POWERS_OF_TWO[piece]! + ((buffer >>> bits) & ((1 << piece) - 1));
      left -= piece;
    }
    const value = POWERS_OF_TWO[width]! + low;
    if (value > MAX_VALUE) throw new DecodeError(`${what} column value out of range`, -1);
    if (wide === null && value <= 0x7fff_ffff) {
      values[i] = value;
      continue;
    }
    wide ??= Array.from(values.subarray(0, i));
    wide[i] = value <= 0x7fff_ffff ? value | 0 : value;
  }
  if (position < end || bits >= 8 || (buffer & ((1 << bits) - 1)) !== 0) throw new DecodeError(`trailing bits in the ${what} column`, -1);
  return wide ?? values;
}
