/**
 * The Loro peer: a `LoroDoc` whose peer id is the replica id, holding one `LoroText` named `text`.
 *
 * Loro does everything the contract asks natively: UTF-16 indices (`LoroText.insert`/`delete`),
 * causal buffering of updates that arrive before their dependencies (inside `import`), version
 * vectors (`oplogVersion`) and diffs from a version vector (`export({ mode: "update", from })`).
 * One flush is one Loro commit (one transaction); its update is exported by id range so that it
 * holds only this replica's own operations, never the remote ones it received since.
 */
import { LoroDoc, VersionVector } from "loro-crdt";
import type { LoroText } from "loro-crdt";
import type { TextCrdtAdapter, TextReplica } from "./types";

/** The name of the shared text container in every replica. */
const TEXT_FIELD = "text";

/** A replica id outside the unsigned 32-bit range the contract allows. */
export class LoroReplicaIdError extends RangeError {
  override readonly name = "LoroReplicaIdError";
  constructor(replicaId: number) {
    super(`replica id ${replicaId} is not an unsigned 32-bit integer`);
  }
}

/** Checks a replica id and returns it as Loro's decimal `PeerID` string. */
function peerIdOf(replicaId: number): `${number}` {
  if (!Number.isInteger(replicaId) || replicaId < 0 || replicaId > 0xffffffff) {
    throw new LoroReplicaIdError(replicaId);
  }
  return `${replicaId}`;
}

/** Bytes that are not a state vector of this adapter. */
export class LoroStateVectorError extends Error {
  override readonly name = "LoroStateVectorError";
  constructor(message: string) {
    super(`Loro state vector: ${message}`);
  }
}

/**
 * Encodes a version vector canonically: entry count, then (peer, counter) pairs as unsigned
 * LEB128 varints sorted by peer. Loro's own `VersionVector.encode` follows hash-map order, so two
 * replicas holding the same operations could produce different bytes.
 */
function encodeVersion(version: Map<`${number}`, number>): Uint8Array {
  const entries = [...version].map(([peer, counter]) => [BigInt(peer), BigInt(counter)] as const);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const bytes: number[] = [];
  const writeVarUint = (value: bigint): void => {
    let rest = value;
    while (rest >= 0x80n) {
      bytes.push(Number(rest & 0x7fn) | 0x80);
      rest >>= 7n;
    }
    bytes.push(Number(rest));
  };
  writeVarUint(BigInt(entries.length));
  for (const [peer, counter] of entries) {
    writeVarUint(peer);
    writeVarUint(counter);
  }
  return Uint8Array.from(bytes);
}

/** Decodes `encodeVersion`; throws `LoroStateVectorError` on malformed bytes. */
function decodeVersion(bytes: Uint8Array): Map<`${number}`, number> {
  let offset = 0;
  const readVarUint = (): bigint => {
    let value = 0n;
    let shift = 0n;
    for (;;) {
      if (offset >= bytes.length) throw new LoroStateVectorError("truncated varuint");
      const byte = bytes[offset++]!;
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return value;
      shift += 7n;
      if (shift > 63n) throw new LoroStateVectorError("varuint longer than 64 bits");
    }
  };
  const count = readVarUint();
  if (count > BigInt(bytes.length)) throw new LoroStateVectorError("more entries than bytes");
  const version = new Map<`${number}`, number>();
  for (let i = 0n; i < count; i++) {
    const peer = readVarUint();
    const counter = readVarUint();
    if (counter > BigInt(Number.MAX_SAFE_INTEGER)) throw new LoroStateVectorError("counter out of range");
    version.set(`${peer}` as `${number}`, Number(counter));
  }
  if (offset !== bytes.length) throw new LoroStateVectorError("trailing bytes");
  return version;
}

/** A Loro replica. */
class LoroReplica implements TextReplica {
  private readonly doc: LoroDoc;
  private readonly loroText: LoroText;
  private readonly peer: `${number}`;
  /**
   * This peer's operation counter at the last flush. Invariant: every own operation with a
   * counter below it has been handed out by `flush` (or was in the loaded state).
   */
  private flushedCounter: number;

  constructor(replicaId: number, state?: Uint8Array) {
    this.peer = peerIdOf(replicaId);
    this.doc = state === undefined ? new LoroDoc() : LoroDoc.fromSnapshot(state);
    this.doc.setPeerId(this.peer);
    this.loroText = this.doc.getText(TEXT_FIELD);
    this.flushedCounter = this.ownCounter();
  }

  insert(index: number, text: string): void {
    if (text.length > 0) this.loroText.insert(index, text);
  }

  delete(index: number, length: number): void {
    if (length > 0) this.loroText.delete(index, length);
  }

  text(): string {
    return this.loroText.toString();
  }

  encode(): Uint8Array {
    return this.doc.export({ mode: "snapshot" });
  }

  flush(): Uint8Array | null {
    this.doc.commit();
    const end = this.ownCounter();
    const start = this.flushedCounter;
    if (end === start) return null;
    this.flushedCounter = end;
    return this.doc.export({
      mode: "updates-in-range",
      spans: [{ id: { peer: this.peer, counter: start }, len: end - start }],
    });
  }

  apply(update: Uint8Array): void {
    // import() buffers changes whose dependencies are missing and skips known ones.
    this.doc.import(update);
  }

  stateVector(): Uint8Array {
    const version = this.doc.oplogVersion();
    try {
      return encodeVersion(version.toJSON());
    } finally {
      version.free();
    }
  }

  diff(stateVector: Uint8Array): Uint8Array {
    const from = new VersionVector(decodeVersion(stateVector));
    try {
      return this.doc.export({ mode: "update", from });
    } finally {
      from.free();
    }
  }

  /** The number of operations this peer has made in the document (committed or not). */
  private ownCounter(): number {
    const version = this.doc.oplogVersion();
    try {
      return version.get(this.peer) ?? 0;
    } finally {
      version.free();
    }
  }
}

/** Loro 1.x through the benchmark contract. */
export const loroAdapter: TextCrdtAdapter = {
  name: "loro",
  create: (replicaId) => new LoroReplica(replicaId),
  load: (state, replicaId) => new LoroReplica(replicaId, state),
};
