import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, peekMessageType } from './codec';
import { ErrorCode, ProtocolError } from './errors';
import { Limits, MessageTag, PROTOCOL_VERSION, hello, parseDocId, type Message } from './protocol';
import { WireWriter } from './wire';

/** Fixed seed (override with FC_SEED); fast-check prints the seed and path of any failure. */
const seed = Number(process.env.FC_SEED ?? 0x7a4d3);
const runs = 1500;

const docIdArb = fc
  .string({ unit: fc.constantFrom(...'abcXYZ019_-'.split('')), minLength: 1, maxLength: 128 })
  .map(parseDocId);
const bytesArb = fc.uint8Array({ maxLength: 64 });
const textArb = fc.string({ unit: 'grapheme', maxLength: 20 });
const anchorArb = fc.option(fc.record({ replica: fc.nat({ max: 0xffff_ffff }), clock: fc.maxSafeNat() }), { nil: null });
const presenceArb = fc.record({
  name: textArb,
  color: fc.string({ maxLength: 10 }).filter((s) => new TextEncoder().encode(s).length <= 64 && !/[\uD800-\uDFFF]/.test(s)),
  cursor: fc.option(fc.record({ field: textArb, anchor: anchorArb, head: anchorArb }), { nil: null }),
});

const messageArb: fc.Arbitrary<Message> = fc.oneof(
  fc.record({
    type: fc.constant('hello' as const),
    version: fc.constant(PROTOCOL_VERSION),
    docId: docIdArb,
    stateVector: bytesArb,
    clientName: fc.option(textArb, { nil: null }),
  }),
  fc.record({ type: fc.constant('sync' as const), update: bytesArb, stateVector: bytesArb }),
  fc.record({ type: fc.constant('update' as const), update: bytesArb }),
  fc.record({
    type: fc.constant('error' as const),
    code: fc.constantFrom(...Object.values(ErrorCode)),
    message: textArb,
  }),
  fc.record({ type: fc.constant('ack' as const), stateVector: bytesArb }),
  fc.record({
    type: fc.constant('awareness' as const),
    entries: fc.array(
      fc.record({ clientId: fc.nat({ max: 0xffff_ffff }), clock: fc.maxSafeNat(), state: fc.option(presenceArb, { nil: null }) }),
      { maxLength: 5 },
    ),
  }),
  fc
    .record({ transferId: fc.nat({ max: 0xffff_ffff }), count: fc.integer({ min: 1, max: 65_536 }), index: fc.nat(), bytes: bytesArb })
    .map(({ transferId, count, index, bytes }) => ({ type: 'chunk' as const, transferId, count, index: index % count, bytes })),
);

function decodeError(frame: Uint8Array): ProtocolError {
  try {
    decodeMessage(frame);
  } catch (error) {
    if (error instanceof ProtocolError) return error;
    throw new Error(`decodeMessage threw a non-ProtocolError: ${String(error)}`);
  }
  throw new Error('decodeMessage accepted a bad frame');
}

describe('wire codec', () => {
  it('round-trips every valid message: decode(encode(m)) = m', () => {
    fc.assert(
      fc.property(messageArb, (message) => {
        const frame = encodeMessage(message);
        expect(decodeMessage(frame)).toEqual(message);
        expect(peekMessageType(frame)).toBe(message.type);
      }),
      { seed, numRuns: runs },
    );
  });

  it('never throws anything but ProtocolError on arbitrary bytes, and accepts only canonical frames', () => {
    // Half the frames start with a valid tag, so the fuzz reaches every message decoder.
    const frameArb = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.tuple(fc.integer({ min: 1, max: 7 }), fc.uint8Array({ maxLength: 200 })).map(([tag, rest]) => new Uint8Array([tag, ...rest])),
    );
    fc.assert(
      fc.property(frameArb, (bytes) => {
        try {
          const message = decodeMessage(bytes);
          // The encoding is canonical: whatever decodes re-encodes to exactly the same bytes.
          expect(encodeMessage(message)).toEqual(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(ProtocolError);
        }
      }),
      { seed, numRuns: runs },
    );
  });

  it('rejects every mutation of a valid frame with ProtocolError or decodes it to a valid message (bit flips, truncation, extension)', () => {
    fc.assert(
      fc.property(
        messageArb,
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        fc.constantFrom('flip', 'truncate', 'append'),
        (message, position, value, mutation) => {
          const frame = encodeMessage(message);
          let mutated: Uint8Array;
          if (mutation === 'flip') {
            mutated = frame.slice();
            mutated[position % frame.length] = value;
          } else if (mutation === 'truncate') {
            mutated = frame.slice(0, position % frame.length);
          } else {
            mutated = new Uint8Array([...frame, value]);
          }
          try {
            decodeMessage(mutated);
          } catch (error) {
            expect(error).toBeInstanceOf(ProtocolError);
          }
          if (mutation !== 'flip') expect(() => decodeMessage(mutated)).toThrow(ProtocolError);
        },
      ),
      { seed, numRuns: runs },
    );
  });

  it('rejects an unknown message tag and an empty frame as malformed', () => {
    expect(decodeError(new Uint8Array([0])).code).toBe(ErrorCode.malformed);
    expect(decodeError(new Uint8Array([99, 0])).code).toBe(ErrorCode.malformed);
    expect(decodeError(new Uint8Array([])).code).toBe(ErrorCode.malformed);
  });

  it('rejects a hello with another protocol version as unsupportedVersion', () => {
    const writer = new WireWriter();
    writer.writeByte(MessageTag.hello);
    writer.writeVarUint(PROTOCOL_VERSION + 1);
    writer.writeString('doc');
    writer.writeBytes(new Uint8Array());
    writer.writeByte(0);
    expect(decodeError(writer.finish()).code).toBe(ErrorCode.unsupportedVersion);
  });

  it('rejects bad document ids (empty, too long, bad characters) as badDocId, on decode and encode', () => {
    for (const bad of ['', 'a'.repeat(129), 'a b', 'é', '../x', 'a/b']) {
      const writer = new WireWriter();
      writer.writeByte(MessageTag.hello);
      writer.writeVarUint(PROTOCOL_VERSION);
      writer.writeString(bad);
      writer.writeBytes(new Uint8Array());
      writer.writeByte(0);
      expect(decodeError(writer.finish()).code).toBe(ErrorCode.badDocId);
      expect(() => encodeMessage({ ...hello('ok' as never, new Uint8Array()), docId: bad as never })).toThrow(ProtocolError);
    }
    expect(() => parseDocId('a'.repeat(128))).not.toThrow();
  });

  it('rejects oversized fields as tooLarge without reading them', () => {
    const writer = new WireWriter();
    writer.writeByte(MessageTag.error);
    writer.writeVarUint(ErrorCode.internal);
    writer.writeVarUint(Limits.errorMessageBytes + 1); // claimed length only: no payload follows
    expect(decodeError(writer.finish()).code).toBe(ErrorCode.tooLarge);

    const sync = new WireWriter();
    sync.writeByte(MessageTag.sync);
    sync.writeVarUint(Limits.updateBytes + 1);
    expect(decodeError(sync.finish()).code).toBe(ErrorCode.tooLarge);

    expect(() => encodeMessage({ type: 'error', code: ErrorCode.internal, message: 'x'.repeat(Limits.errorMessageBytes + 1) })).toThrow(ProtocolError);
  });

  it('rejects lengths that run past the end, trailing bytes, bad flags, bad UTF-8, unknown error codes and oversized varuints', () => {
    expect(decodeError(new Uint8Array([MessageTag.update, 5, 1, 2])).code).toBe(ErrorCode.malformed);
    expect(decodeError(new Uint8Array([MessageTag.update, 1, 1, 0])).code).toBe(ErrorCode.malformed);
    expect(decodeError(new Uint8Array([MessageTag.ack, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])).code).toBe(ErrorCode.malformed);
    expect(decodeError(new Uint8Array([MessageTag.error, 77, 0])).code).toBe(ErrorCode.malformed);
    expect(decodeError(new Uint8Array([MessageTag.error, 1, 2, 0xc3, 0x28])).code).toBe(ErrorCode.malformed);
    expect(decodeError(new Uint8Array([MessageTag.awareness, 1, 5, 0, 2])).code).toBe(ErrorCode.malformed);
    // A clientId above uint32.
    expect(decodeError(new Uint8Array([MessageTag.awareness, 1, 0x80, 0x80, 0x80, 0x80, 0x10, 0, 0])).code).toBe(ErrorCode.malformed);
  });

  it('refuses to encode invalid values (non-integers, lone surrogates) instead of sending garbage', () => {
    expect(() => encodeMessage({ type: 'awareness', entries: [{ clientId: -1, clock: 0, state: null }] })).toThrow(ProtocolError);
    expect(() => encodeMessage({ type: 'awareness', entries: [{ clientId: 1, clock: 0.5, state: null }] })).toThrow(ProtocolError);
    expect(() => encodeMessage(hello(parseDocId('d'), new Uint8Array(), '\uD800'))).toThrow(ProtocolError);
    expect(() => encodeMessage({ type: 'nope' } as unknown as Message)).toThrow(ProtocolError);
  });
});
