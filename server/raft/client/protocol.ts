/**
 * The client protocol of a Raft node: HTTP/1.1 (keep-alive) on the node's client port.
 * Binary payloads (CRDT updates and states) travel as raw `application/octet-stream` bodies;
 * metadata in JSON bodies or `x-raft-*` headers; byte strings inside JSON are base64.
 *
 *   POST /v1/docs/{docId}/merge        body: update bytes
 *        200 MergeResponse (JSON)       only after the entry is committed AND applied on this node
 *   POST /v1/merges                    body: encodeMergeBatch(...) (merges into any documents)
 *        200 MergeBatchResponse (JSON)  once every merge is applied or failed; each one is a
 *                                       separate entry with its own result (errors per merge)
 *   GET  /v1/docs/{docId}?consistency=linearizable|stale     (default linearizable, via ReadIndex)
 *        200 body: the document's encoded state (empty when unknown),
 *            headers x-raft-found: 1|0, x-raft-index: applied index the read saw,
 *                    x-raft-version-vector: base64 of Doc.encodeStateVector()
 *   GET  /v1/docs?consistency=...      200 ListResponse (JSON)
 *   GET  /v1/status                    200 NodeStatus (JSON), never redirected
 *
 * Every response carries `x-raft-node-id`. Errors are JSON `ErrorBody` with the status of its
 * code (ERROR_STATUS). A follower answers a merge with 421 `notLeader` and the leader hint.
 */
import { Decoder, Encoder } from '../../../lib/codec';

/** Error codes of the protocol, and their HTTP status. */
export const ERROR_STATUS = {
  badRequest: 400,
  invalidUpdate: 422,
  notFound: 404,
  tooLarge: 413,
  notLeader: 421,
  unavailable: 503,
  timeout: 504,
  internal: 500,
} as const;
export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorBody {
  readonly error: ErrorCode;
  readonly message: string;
  /** With notLeader/unavailable: the leader this node knows (0 if none). */
  readonly leaderId?: number;
  /** With notLeader: the leader's client address `host:port`, when this node knows it. */
  readonly leaderAddress?: string;
}

export interface MergeResponse {
  /** The log index of the merge's entry. */
  readonly index: number;
  /** base64 of the document's version vector right after the merge was applied. */
  readonly versionVector: string;
}

/** One merge of a `POST /v1/merges` batch. */
export interface MergeBatchItem {
  readonly docId: string;
  readonly update: Uint8Array;
}

/** The results of a batch, in the order of its merges: each a MergeResponse or an ErrorBody. */
export interface MergeBatchResponse {
  readonly results: readonly (MergeResponse | ErrorBody)[];
}

/** The body of `POST /v1/merges`: a count, then per merge its document id and update bytes. */
export function encodeMergeBatch(items: readonly MergeBatchItem[]): Uint8Array {
  const e = new Encoder(items.reduce((n, item) => n + item.update.length + item.docId.length + 8, 8));
  e.writeVarUint(items.length);
  for (const item of items) {
    e.writeString(item.docId);
    e.writeBytes(item.update);
  }
  return e.toBytes();
}

/** Decodes `encodeMergeBatch` bytes; throws DecodeError on malformed input. */
export function decodeMergeBatch(bytes: Uint8Array): MergeBatchItem[] {
  const d = new Decoder(bytes);
  const count = d.readVarUintIn(0, d.remaining, 'merge count');
  const items: MergeBatchItem[] = [];
  for (let k = 0; k < count; k++) items.push({ docId: d.readString(), update: d.readBytes() });
  d.expectEnd();
  return items;
}

export interface ListResponse {
  /** The applied index the list reflects. */
  readonly index: number;
  readonly docs: readonly { readonly docId: string; readonly updatedIndex: number }[];
}

export type Consistency = 'linearizable' | 'stale';

export interface PeerStatus {
  readonly id: number;
  /** Raft (peer) address. */
  readonly raftAddress: string;
  /** Client address, when configured. */
  readonly clientAddress?: string;
  /** Replication progress, on the leader only. */
  readonly match?: number;
  readonly next?: number;
  readonly state?: string;
}

/** What `GET /v1/status` returns, for the cluster page and tests. */
export interface NodeStatus {
  readonly id: number;
  readonly role: 'follower' | 'preCandidate' | 'candidate' | 'leader';
  readonly term: number;
  /** 0 when no leader is known. */
  readonly leader: number;
  readonly commit: number;
  readonly applied: number;
  readonly firstIndex: number;
  readonly lastIndex: number;
  readonly snapshotIndex: number;
  readonly documents: number;
  readonly clientAddress: string;
  readonly raftAddress: string;
  readonly peers: readonly PeerStatus[];
  readonly uptimeMs: number;
}

export const HEADER_NODE_ID = 'x-raft-node-id';
export const HEADER_FOUND = 'x-raft-found';
export const HEADER_INDEX = 'x-raft-index';
export const HEADER_VERSION_VECTOR = 'x-raft-version-vector';

export const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
export const fromBase64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'));
