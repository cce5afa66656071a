/**
 * Chunked transfers: how a frame larger than the peer's frame limit (`maxPayload`) crosses the
 * wire as a run of `chunk` messages, and how the receiver puts it back together.
 *
 * Why: a client that edited a lot offline sends one post-sync `update` holding all of it; without
 * chunking, a diff above the relay's `maxPayload` would be refused on every reconnect, forever.
 */
import { encodeMessage, peekMessageType } from './codec';
import { ErrorCode, ProtocolError } from './errors';
import { Limits, type ChunkMessage } from './protocol';

/** Bytes a chunk frame adds around its payload: tag, transferId, index, count, length (5 varints). */
const CHUNK_OVERHEAD = 1 + 5 + 3 + 3 + 4;

/** The smallest frame limit chunking supports (below it, the overhead dominates). */
export const MIN_CHUNKED_FRAME_BYTES = 256;

/**
 * The frames to send for `frame` under a limit of `maxFrameBytes` per frame: `[frame]` when it
 * fits, else `chunk` frames (each at most `maxFrameBytes`) carrying it in order.
 */
export function splitFrame(frame: Uint8Array, maxFrameBytes: number, transferId: number): Uint8Array[] {
  if (frame.length <= maxFrameBytes) return [frame];
  if (maxFrameBytes < MIN_CHUNKED_FRAME_BYTES) {
    throw new RangeError(`a frame limit of ${maxFrameBytes} bytes is too small to chunk (min ${MIN_CHUNKED_FRAME_BYTES})`);
  }
  if (peekMessageType(frame) === 'chunk') throw new RangeError('a chunk frame cannot be chunked again');
  const payload = Math.min(maxFrameBytes - CHUNK_OVERHEAD, Limits.chunkBytes);
  const count = Math.ceil(frame.length / payload);
  if (count > Limits.chunkCount) throw new RangeError(`frame of ${frame.length} bytes needs ${count} chunks, limit ${Limits.chunkCount}`);
  const frames: Uint8Array[] = [];
  for (let index = 0; index < count; index++) {
    const bytes = frame.subarray(index * payload, Math.min(frame.length, (index + 1) * payload));
    frames.push(encodeMessage({ type: 'chunk', transferId, index, count, bytes }));
  }
  return frames;
}

/** An incomplete chunked transfer. Invariant: `parts.length < count`, `size` = total bytes of `parts`. */
export interface PartialTransfer {
  readonly id: number;
  readonly count: number;
  readonly parts: readonly Uint8Array[];
  readonly size: number;
}

/** What `appendChunk` returns: the transfer still in progress, or the complete frame. */
export type ChunkProgress = { readonly partial: PartialTransfer; readonly frame: null } | { readonly partial: null; readonly frame: Uint8Array };

/**
 * Adds one chunk to the transfer in progress on a connection (pure). Rules: at most one transfer
 * in progress; its chunks arrive with consecutive indices from 0; the bytes never exceed
 * `maxBytes`; the reassembled frame is not itself a chunk. Violations throw `ProtocolError`.
 */
export function appendChunk(partial: PartialTransfer | null, chunk: ChunkMessage, maxBytes: number): ChunkProgress {
  const current: PartialTransfer = partial ?? { id: chunk.transferId, count: chunk.count, parts: [], size: 0 };
  if (chunk.transferId !== current.id || chunk.count !== current.count || chunk.index !== current.parts.length) {
    throw new ProtocolError(
      ErrorCode.malformed,
      `chunk ${chunk.index}/${chunk.count} of transfer ${chunk.transferId} while expecting ${current.parts.length}/${current.count} of ${current.id}`,
    );
  }
  const size = current.size + chunk.bytes.length;
  if (size > maxBytes) throw new ProtocolError(ErrorCode.tooLarge, `chunked message passes ${maxBytes} bytes`);
  const parts = [...current.parts, chunk.bytes];
  if (parts.length < current.count) return { partial: { ...current, parts, size }, frame: null };
  const frame = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    frame.set(part, offset);
    offset += part.length;
  }
  if (peekMessageType(frame) === 'chunk') throw new ProtocolError(ErrorCode.malformed, 'a chunked transfer must not carry a chunk');
  return { partial: null, frame };
}
