/**
 * The entropy-coded number columns of the full-state format (state-columns.ts): any list of
 * values round-trips for every `direct` limit, the canonical Huffman code is complete and at most
 * 12 bits deep, and damaged blocks only ever throw `DecodeError`.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Decoder } from '../codec/decoder';
import { Encoder } from '../codec/encoder';
import { DecodeError } from '../codec/errors';
import { ColumnReader, ColumnWriter } from './state-columns';

const DIRECTS = [1, 16, 256] as const;

/** Values with skewed small ones, some mid-sized and a few up to 2^53 - 1. */
const valueArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 20 }) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 100_000 }) },
  { weight: 1, arbitrary: fc.maxSafeNat() },
);

function encode(direct: number, values: readonly number[]): Uint8Array {
  const writer = new ColumnWriter(direct);
  for (const value of values) writer.write(value);
  const encoder = new Encoder(64);
  writer.writeTo(encoder);
  encoder.writeByte(0xaa); // what follows the block stays in place
  return encoder.toBytes();
}

/** The `count` values of the block at the start of `bytes`, and the byte after the block. */
function decode(direct: number, bytes: Uint8Array, count: number): { values: number[]; next: number } {
  const decoder = new Decoder(bytes);
  const reader = new ColumnReader(decoder, direct, 'test');
  const values: number[] = [];
  for (let i = 0; i < count; i++) values.push(reader.read());
  reader.expectEnd();
  return { values, next: decoder.readByte() };
}

describe('state columns', () => {
  it('round-trip any values for each direct limit, value by value and whole (500 seeded cases)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...DIRECTS), fc.array(valueArb, { maxLength: 300 }), (direct, values) => {
        const bytes = encode(direct, values);
        expect(decode(direct, bytes, values.length)).toEqual({ values, next: 0xaa });
        const decoder = new Decoder(bytes);
        const all = new ColumnReader(decoder, direct, 'test').readAll();
        expect(Array.from(all)).toEqual(values);
        // An Int32Array exactly when every value fits 31 bits.
        expect(all instanceof Int32Array).toBe(values.every((value) => value <= 0x7fff_ffff));
        expect(decoder.readByte()).toBe(0xaa);
      }),
      { seed: 7, numRuns: 500 },
    );
  });

  it('readAll keeps the values before and after the first one past 2^31 - 1 exact (plain array from there on)', () => {
    const values = [0, 5, 0x7fff_ffff, 3, 2 ** 31, 7, 2 ** 53 - 1, 1, 2 ** 40 + 3];
    for (const direct of DIRECTS) {
      const all = new ColumnReader(new Decoder(encode(direct, values)), direct, 'test').readAll();
      expect(Array.isArray(all)).toBe(true);
      expect(all).toEqual(values);
    }
  });

  it('a skewed column costs about its entropy: 10 000 values of which 90% are one symbol take under 1.6 bits each', () => {
    const values = Array.from({ length: 10_000 }, (_, i) => (i % 10 === 0 ? i % 7 : 3));
    const bytes = encode(16, values);
    expect(bytes.length * 8).toBeLessThan(10_000 * 1.6);
    expect(decode(16, bytes, values.length).values).toEqual(values);
  });

  it('flat frequencies over 300 symbols still get codes of at most 12 bits (length limiting)', () => {
    // Fibonacci-like frequencies force a deep Huffman tree unless limited.
    const values: number[] = [];
    let a = 1;
    let b = 1;
    for (let s = 0; s < 25; s++) {
      for (let k = 0; k < Math.min(a, 5000); k++) values.push(s);
      [a, b] = [b, a + b];
    }
    expect(decode(256, encode(256, values), values.length).values).toEqual(values);
  });

  it('reading past the codes, trailing codes and damaged blocks throw DecodeError only (1 000 seeded cases)', () => {
    const bytes = encode(16, Array.from({ length: 200 }, (_, i) => (i * 7919) % 50));
    expect(() => decode(16, bytes, 201)).toThrow(DecodeError);
    expect(() => decode(16, bytes, 199)).toThrow(DecodeError);
    fc.assert(
      fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), (at, mask) => {
        const damaged = bytes.slice();
        damaged[at]! ^= mask;
        try {
          decode(16, damaged, 200);
        } catch (error) {
          if (!(error instanceof DecodeError)) expect(error).toBeInstanceOf(DecodeError);
        }
      }),
      { seed: 11, numRuns: 1000 },
    );
  });

  it('the decode-table cache stays bounded and keeps the tables in use (least recently used goes first)', () => {
    const tableOf = (bytes: Uint8Array): unknown => (new ColumnReader(new Decoder(bytes), 256, 'test') as unknown as { table: unknown }).table;
    const cacheSize = (): number => (ColumnReader as unknown as { tables: Map<string, unknown> }).tables.size;
    const hot = encode(256, [0, 0, 0, 0, 1, 2, 3, 3, 7]);
    const first = tableOf(hot);
    let distinct = 0;
    for (let k = 2; k <= 256; k++) {
      // Two more length sets per k: k values once each, and k values with 0 far more frequent.
      for (const values of [Array.from({ length: k }, (_, v) => v), [...Array<number>(64).fill(0), ...Array.from({ length: k }, (_, v) => v)]]) {
        tableOf(encode(256, values));
        distinct++;
      }
      if (k % 16 === 0) expect(tableOf(hot)).toBe(first); // used now and then: never evicted
      expect(cacheSize()).toBeLessThanOrEqual(ColumnReader.MAX_CACHED_TABLES);
    }
    expect(distinct).toBeGreaterThan(2 * ColumnReader.MAX_CACHED_TABLES - 10);
    expect(tableOf(hot)).toBe(first);
  });
});
