import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { DecodeError, Decoder, Encoder, MAX_JSON_DEPTH, readJson, writeJson, type JsonValue } from './index';
import { isWellFormed, isWellFormedByScan } from './encoder';

const SEED = 4242;
const params = { seed: SEED, numRuns: 1000 };

type Value =
  | { kind: 'uint'; value: number }
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'units'; value: string }
  | { kind: 'bytes'; value: Uint8Array }
  | { kind: 'json'; value: JsonValue };

const jsonArb: fc.Arbitrary<JsonValue> = fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<JsonValue>;

const valueArb: fc.Arbitrary<Value> = fc.oneof(
  fc.record({ kind: fc.constant('uint' as const), value: fc.oneof(fc.nat(300), fc.maxSafeNat()) }),
  fc.record({ kind: fc.constant('int' as const), value: fc.oneof(fc.integer({ min: -300, max: 300 }), fc.maxSafeInteger()) }),
  fc.record({ kind: fc.constant('float' as const), value: fc.double() }),
  fc.record({ kind: fc.constant('string' as const), value: fc.string({ unit: 'grapheme' }) }),
  fc.record({ kind: fc.constant('units' as const), value: fc.string({ unit: 'binary' }) }),
  fc.record({ kind: fc.constant('bytes' as const), value: fc.uint8Array({ maxLength: 20 }) }),
  fc.record({ kind: fc.constant('json' as const), value: jsonArb }),
);

function write(encoder: Encoder, v: Value): void {
  switch (v.kind) {
    case 'uint': return encoder.writeVarUint(v.value);
    case 'int': return encoder.writeVarInt(v.value);
    case 'float': return encoder.writeFloat64(v.value);
    case 'string': return encoder.writeString(v.value);
    case 'units': return encoder.writeCodeUnits(v.value);
    case 'bytes': return encoder.writeBytes(v.value);
    case 'json': return writeJson(encoder, v.value);
  }
}

function read(decoder: Decoder, kind: Value['kind']): unknown {
  switch (kind) {
    case 'uint': return decoder.readVarUint();
    case 'int': return decoder.readVarInt();
    case 'float': return decoder.readFloat64();
    case 'string': return decoder.readString();
    case 'units': return decoder.readCodeUnits();
    case 'bytes': return decoder.readBytes();
    case 'json': return readJson(decoder);
  }
}

function encodeAll(values: Value[]): Uint8Array {
  const encoder = new Encoder(8);
  for (const v of values) write(encoder, v);
  return encoder.toBytes();
}

/** Decodes with the given schema; returns the values or rethrows. Any error but DecodeError fails the test. */
function decodeAll(bytes: Uint8Array, kinds: Value['kind'][]): unknown[] {
  const decoder = new Decoder(bytes);
  const out = kinds.map((k) => read(decoder, k));
  decoder.expectEnd();
  return out;
}

describe('codec round trip', () => {
  it('every value written is read back identically (varuint to 2^53, signed varint, float64, utf-8, code units, bytes, JSON)', () => {
    fc.assert(
      fc.property(fc.array(valueArb, { maxLength: 8 }), (values) => {
        const bytes = encodeAll(values);
        const decoded = decodeAll(bytes, values.map((v) => v.kind));
        decoded.forEach((d, i) => {
          const v = values[i]!;
          if (v.kind === 'float') expect(Object.is(d, v.value)).toBe(true);
          else expect(d).toEqual(v.value);
        });
      }),
      params,
    );
  });

  it('varints at the edges of the fast paths (7, 31, 32 and 53 bits) have the canonical little-endian 7-bit layout and read back', () => {
    /** The reference layout: 7 bits per byte, low first, continuation bit set on all but the last. */
    const layout = (value: number): number[] => {
      const out: number[] = [];
      for (let rest = value; ; rest = Math.floor(rest / 128)) {
        if (rest < 128) return [...out, rest];
        out.push(128 | rest % 128);
      }
    };
    for (const value of [0, 1, 0x7f, 0x80, 0x3fff, 0x4000, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 2 ** 32, Number.MAX_SAFE_INTEGER]) {
      const encoder = new Encoder(1);
      encoder.writeVarUint(value);
      expect([...encoder.toBytes()], `varuint ${value}`).toEqual(layout(value));
      for (const signed of [value, -value]) {
        if (Object.is(signed, -0)) continue;
        const ints = new Encoder(1);
        ints.writeVarInt(signed);
        const magnitude = Math.abs(signed);
        const rest = Math.floor(magnitude / 64);
        // First byte: continuation, sign, 6 low bits; then the rest as a varuint.
        const expected = [(rest > 0 ? 0x80 : 0) | (signed < 0 ? 0x40 : 0) | magnitude % 64, ...(rest > 0 ? layout(rest) : [])];
        expect([...ints.toBytes()], `varint ${signed}`).toEqual(expected);
        expect(new Decoder(ints.toBytes()).readVarInt()).toBe(signed);
      }
    }
  });

  it('isWellFormed (native on long strings where the runtime has it) agrees with the scan, and long code-unit strings round-trip', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 0, maxLength: 200 }), fc.string({ minLength: 17, maxLength: 60 }), (units, ascii) => {
        for (const value of [units, ascii + units, units + ascii, ascii]) {
          expect(isWellFormed(value)).toBe(isWellFormedByScan(value));
          const encoder = new Encoder(4);
          encoder.writeCodeUnits(value);
          expect(new Decoder(encoder.toBytes()).readCodeUnits()).toBe(value);
        }
      }),
      params,
    );
    expect(isWellFormed('x'.repeat(40) + '\ud83d')).toBe(false);
    expect(isWellFormed('x'.repeat(40) + '\ud83d\ude00')).toBe(true);
  });

  it('lone surrogates survive writeCodeUnits; well-formed strings use utf-8', () => {
    const encoder = new Encoder();
    encoder.writeCodeUnits('a\ud83d');
    encoder.writeCodeUnits('\ude00b');
    const decoder = new Decoder(encoder.toBytes());
    expect(decoder.readCodeUnits() + decoder.readCodeUnits()).toBe('a😀b');
  });
});

describe('decoder robustness', () => {
  it('truncated or mutated bytes only ever throw DecodeError (never RangeError/TypeError)', () => {
    fc.assert(
      fc.property(
        fc.array(valueArb, { minLength: 1, maxLength: 6 }),
        fc.nat(),
        fc.nat(255),
        fc.constantFrom('truncate', 'flip', 'insert'),
        (values, position, byte, mutation) => {
          const bytes = encodeAll(values);
          let mutated: Uint8Array;
          if (mutation === 'truncate') mutated = bytes.slice(0, position % bytes.length);
          else if (mutation === 'flip') {
            mutated = bytes.slice();
            mutated[position % bytes.length] ^= 1 << (byte % 8);
          } else {
            const at = position % (bytes.length + 1);
            mutated = new Uint8Array([...bytes.slice(0, at), byte, ...bytes.slice(at)]);
          }
          try {
            decodeAll(mutated, values.map((v) => v.kind));
          } catch (error) {
            expect(error).toBeInstanceOf(DecodeError);
          }
          if (mutation === 'truncate') expect(() => decodeAll(mutated, values.map((v) => v.kind))).toThrow(DecodeError);
        },
      ),
      params,
    );
  });

  it('random bytes read as any type throw only DecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.array(fc.constantFrom<Value['kind']>('uint', 'int', 'float', 'string', 'units', 'bytes', 'json'), { minLength: 1, maxLength: 5 }), (bytes, kinds) => {
        try {
          decodeAll(bytes, kinds);
        } catch (error) {
          expect(error).toBeInstanceOf(DecodeError);
        }
      }),
      params,
    );
  });

  it('reports the byte offset and rejects overflow, overlong varints, invalid utf-8 and deep JSON', () => {
    const cases: [Uint8Array, (d: Decoder) => unknown, string][] = [
      [new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]), (d) => d.readVarUint(), 'overflow'],
      [new Uint8Array([0x80, 0x00]), (d) => d.readVarUint(), 'overlong'],
      [new Uint8Array([0x02, 0xc3, 0x28]), (d) => d.readString(), 'utf-8'],
      [new Uint8Array([0x40]), (d) => d.readVarInt(), 'negative zero'],
      [new Uint8Array([0x09]), (d) => readJson(d), 'tag'],
      [new Uint8Array(Array(MAX_JSON_DEPTH + 1).fill(6).flatMap((t) => [t, 1])), (d) => readJson(d), 'deeper'],
    ];
    for (const [bytes, fn, message] of cases) {
      const decoder = new Decoder(bytes);
      expect(() => fn(decoder)).toThrow(DecodeError);
      expect(() => fn(new Decoder(bytes))).toThrow(message);
    }
    try {
      const decoder = new Decoder(new Uint8Array([1, 2, 0x05]));
      decoder.readByte();
      decoder.readByte();
      decoder.readString();
    } catch (error) {
      expect((error as DecodeError).offset).toBe(3);
    }
  });

  it('readString: ASCII loop and TextDecoder agree around the short-string limit; bad bytes throw', () => {
    for (const length of [0, 1, 2, 31, 32, 33, 64, 200]) {
      for (const sample of ['a'.repeat(length), 'é'.repeat(length), 'x'.repeat(length) + '😀', '😀' + 'y'.repeat(length), '\u007f'.repeat(length)]) {
        const encoder = new Encoder();
        encoder.writeString(sample);
        encoder.writeString('tail');
        const decoder = new Decoder(encoder.toBytes());
        expect(decoder.readString()).toBe(sample);
        expect(decoder.readString()).toBe('tail');
        expect(decoder.done).toBe(true);
      }
      for (const bad of [[0xc3, 0x28], [0xff], [0x80], [0xed, 0xa0, 0x80]]) {
        const body = [...Array<number>(length).fill(0x61), ...bad];
        const encoder = new Encoder();
        encoder.writeVarUint(body.length);
        const bytes = new Uint8Array([...encoder.toBytes(), ...body]);
        expect(() => new Decoder(bytes).readString()).toThrow(DecodeError);
        expect(() => new Decoder(bytes).readString()).toThrow('utf-8');
        expect(() => new Decoder(bytes.subarray(0, bytes.length - 1)).readString()).toThrow(DecodeError);
      }
    }
  });

  it('writeString in place: byte lengths across the prefix-size edges (127/128, 16383/16384 bytes), after any offset, match TextEncoder (Node native writer, and the portable one a browser uses)', async () => {
    vi.resetModules();
    const saved = globalThis.Buffer;
    let portable: typeof Encoder;
    try {
      (globalThis as { Buffer?: unknown }).Buffer = undefined;
      portable = (await import('./encoder')).Encoder;
    } finally {
      globalThis.Buffer = saved;
    }
    expect(portable).not.toBe(Encoder);
    for (const EncoderClass of [Encoder, portable]) checkWriteString(EncoderClass);
  });

  function checkWriteString(EncoderClass: typeof Encoder): void {
    const textEncoder = new TextEncoder();
    for (const units of [63, 64, 100, 127, 128, 5461, 6000, 8191, 8192, 16383, 16384]) {
      // ASCII (prefix as guessed), 2-byte (the prefix grows past the guess), 3-byte, pairs, a lone surrogate (U+FFFD).
      for (const sample of ['a'.repeat(units), 'é'.repeat(units), 'a'.repeat(units - 1) + '€', '😀'.repeat(units >> 1), 'b'.repeat(units - 1) + '\ud800', 'ab\uFFFD'.repeat(units / 3 + 1)]) {
        for (const before of [0, 3, 61]) {
          const encoder = new EncoderClass(8);
          for (let i = 0; i < before; i++) encoder.writeByte(i);
          encoder.writeString(sample);
          encoder.writeByte(0x55);
          const bytes = encoder.toBytes();
          const utf8 = textEncoder.encode(sample);
          const prefix = new Encoder();
          prefix.writeVarUint(utf8.length);
          expect(Buffer.compare(bytes.subarray(before), Buffer.concat([prefix.toBytes(), utf8, new Uint8Array([0x55])]))).toBe(0);
          const decoder = new Decoder(bytes);
          decoder.skip(before);
          expect(decoder.readString()).toBe(new TextDecoder().decode(utf8));
          expect(decoder.readByte()).toBe(0x55);
        }
      }
    }
  }

  it('readString: long strings (lenient native decoder where the runtime has it) keep a real U+FFFD and reject invalid bytes anywhere', () => {
    const long = 'x'.repeat(100);
    for (const sample of [long + '\uFFFD', '\uFFFD' + long, long + '\uFFFD' + long]) {
      const encoder = new Encoder();
      encoder.writeString(sample);
      expect(new Decoder(encoder.toBytes()).readString()).toBe(sample);
    }
    for (const bad of [[0xc3, 0x28], [0xff], [0x80], [0xed, 0xa0, 0x80], [0xc0, 0x80], [0xf4, 0x90, 0x80, 0x80]]) {
      for (const at of [0, 50, 100]) {
        const body = [...Array<number>(at).fill(0x61), ...bad, ...Array<number>(100 - at).fill(0x62)];
        const encoder = new Encoder();
        encoder.writeVarUint(body.length);
        expect(() => new Decoder(new Uint8Array([...encoder.toBytes(), ...body])).readString()).toThrow(DecodeError);
      }
    }
  });

  it('"__proto__" keys decode as data, not as a prototype', () => {
    const value = JSON.parse('{"__proto__": {"polluted": true}}') as JsonValue;
    const encoder = new Encoder();
    writeJson(encoder, value);
    const decoded = readJson(new Decoder(encoder.toBytes())) as Record<string, unknown>;
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(Object.keys(decoded)).toEqual(['__proto__']);
  });
});
