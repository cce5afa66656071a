import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { appendChunk, splitFrame, type PartialTransfer } from './chunks';
import { decodeMessage, encodeMessage } from './codec';
import { ErrorCode, ProtocolError } from './errors';
import type { ChunkMessage } from './protocol';
import { LogDoc } from './log-doc';
import { createSession, stepSession } from './session';
import { parseDocId } from './protocol';

const seed = Number(process.env.FC_SEED ?? 0xc4c4);

function reassemble(frames: Uint8Array[], maxBytes = 1 << 30): Uint8Array | null {
  let partial: PartialTransfer | null = null;
  for (const frame of frames) {
    const message = decodeMessage(frame);
    if (message.type !== 'chunk') return frame;
    const progress = appendChunk(partial, message, maxBytes);
    if (progress.frame !== null) return progress.frame;
    partial = progress.partial;
  }
  return null;
}

function chunkError(run: () => unknown): ProtocolError {
  try {
    run();
  } catch (error) {
    if (error instanceof ProtocolError) return error;
    throw error;
  }
  throw new Error('expected a ProtocolError');
}

describe('chunked transfers', () => {
  it('split then reassemble gives back the frame, and every chunk frame respects the limit', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), fc.integer({ min: 256, max: 2000 }), (update, limit) => {
        const frame = encodeMessage({ type: 'update', update });
        const frames = splitFrame(frame, limit, 7);
        for (const piece of frames) expect(piece.length).toBeLessThanOrEqual(limit);
        if (frame.length <= limit) expect(frames).toEqual([frame]);
        expect(reassemble(frames)).toEqual(frame);
      }),
      { seed, numRuns: 1000 },
    );
  });

  it('refuses out-of-order, foreign and restarted chunks, oversize transfers and nested chunks', () => {
    const frame = encodeMessage({ type: 'update', update: new Uint8Array(2000).fill(1) });
    const chunks = splitFrame(frame, 512, 1).map((f) => decodeMessage(f) as ChunkMessage);
    expect(chunks.length).toBeGreaterThan(3);
    const first = appendChunk(null, chunks[0]!, 1 << 20);
    expect(first.frame).toBeNull();
    const partial = first.partial!;
    expect(chunkError(() => appendChunk(null, chunks[1]!, 1 << 20)).code).toBe(ErrorCode.malformed); // no start
    expect(chunkError(() => appendChunk(partial, chunks[2]!, 1 << 20)).code).toBe(ErrorCode.malformed); // skipped one
    expect(chunkError(() => appendChunk(partial, { ...chunks[1]!, transferId: 2 }, 1 << 20)).code).toBe(ErrorCode.malformed);
    expect(chunkError(() => appendChunk(partial, chunks[0]!, 1 << 20)).code).toBe(ErrorCode.malformed); // restart
    expect(chunkError(() => appendChunk(null, chunks[0]!, 100)).code).toBe(ErrorCode.tooLarge);
    const nested = encodeMessage({ type: 'chunk', transferId: 1, index: 0, count: 1, bytes: new Uint8Array([7, 0, 0, 1, 0]) });
    expect(chunkError(() => appendChunk(null, { type: 'chunk', transferId: 3, index: 0, count: 1, bytes: nested }, 1 << 20)).code).toBe(ErrorCode.malformed);
    expect(() => splitFrame(frame, 100, 1)).toThrow(RangeError);
  });

  it('the client session reassembles a chunked sync from the relay and handles it as one frame', () => {
    const relayDoc = new LogDoc(0);
    for (let i = 0; i < 50; i++) relayDoc.add(`value-${i}-${'z'.repeat(40)}`);
    const clientDoc = new LogDoc(1);
    let state = createSession(parseDocId('chunky'));
    state = stepSession(state, { type: 'connected' }, clientDoc).state;
    const sync = encodeMessage({ type: 'sync', update: relayDoc.diff(new LogDoc(9).encodeStateVector()), stateVector: relayDoc.encodeStateVector() });
    const frames = splitFrame(sync, 300, 42);
    expect(frames.length).toBeGreaterThan(5);
    const applied: Uint8Array[] = [];
    for (const frame of frames) {
      const step = stepSession(state, { type: 'received', frame }, clientDoc);
      state = step.state;
      for (const effect of step.effects) if (effect.type === 'apply') applied.push(effect.update);
    }
    expect(state.phase).toBe('live');
    expect(state.incomingTransfer).toBeNull();
    for (const update of applied) clientDoc.apply(update);
    expect(clientDoc.values()).toEqual(relayDoc.values());
  });
});
