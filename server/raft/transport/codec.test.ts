/** The Raft message codec: round trip of every message type; bad bytes give only typed errors. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../../lib/codec';
import { messageArbitrary } from './arbitraries';
import { MESSAGE_TAGS, MessageDecodeError, decodeMessage, encodeMessage } from './codec';

const seed = Number(process.env.SEED ?? 20240611);

describe('Raft message codec', () => {
  it('property: decode(encode(m)) equals m for every message type', () => {
    fc.assert(
      fc.property(messageArbitrary(), (m) => {
        expect(decodeMessage(encodeMessage(m))).toEqual(m);
      }),
      { seed, numRuns: 2000 },
    );
  });

  it('covers all 14 message types', () => {
    expect(Object.keys(MESSAGE_TAGS)).toHaveLength(14);
  });

  it('property: every truncation of a valid message is a MessageDecodeError', () => {
    fc.assert(
      fc.property(messageArbitrary(), (m) => {
        const bytes = encodeMessage(m);
        for (let k = 0; k < bytes.length; k++) expect(() => decodeMessage(bytes.subarray(0, k))).toThrow(MessageDecodeError);
      }),
      { seed, numRuns: 300 },
    );
  });

  it('property: random bytes and mutated messages either decode or throw MessageDecodeError, nothing else', () => {
    const mutated = fc.tuple(messageArbitrary(), fc.nat(), fc.integer({ min: 0, max: 255 })).map(([m, at, value]) => {
      const bytes = encodeMessage(m);
      bytes[at % bytes.length] = value;
      return bytes;
    });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), mutated), (bytes) => {
        try {
          decodeMessage(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(MessageDecodeError);
          expect(error).toBeInstanceOf(DecodeError);
        }
      }),
      { seed, numRuns: 3000 },
    );
  });

  it('rejects an unknown version, an unknown tag and trailing bytes', () => {
    const bytes = encodeMessage({ type: 'timeoutNow', from: 1, to: 2, term: 3 } as never);
    expect(() => decodeMessage(Uint8Array.of(9, ...bytes.subarray(1)))).toThrow(/version/);
    expect(() => decodeMessage(Uint8Array.of(bytes[0]!, 99, ...bytes.subarray(2)))).toThrow(/tag/);
    expect(() => decodeMessage(Uint8Array.of(...bytes, 0))).toThrow(/trailing/);
  });
});
