/**
 * Sequential models for the checker: a key-value store of registers, and Tandem's document store.
 */
import type { Model, Operation, Outcome } from './model';
import { hashString, mix32 } from './model';

/** Groups operations by a key, keeping their order. */
function partitionBy<I, O>(history: readonly Operation<I, O>[], keyOf: (input: I) => string): Operation<I, O>[][] {
  const groups = new Map<string, Operation<I, O>[]>();
  for (const op of history) {
    const key = keyOf(op.input);
    const group = groups.get(key);
    if (group) group.push(op);
    else groups.set(key, [op]);
  }
  return [...groups.values()];
}

// ---------------------------------------------------------------------------------------------
// Key-value store of registers

/** An operation on a key-value store. */
export type KvInput =
  | { readonly kind: 'put'; readonly key: string; readonly value: string }
  | { readonly kind: 'get'; readonly key: string };

/** A get returns the value, or null when the key was never written; a put returns null. */
export type KvOutput = string | null;

/** The state of one key (the history is partitioned by key): its value, or null. */
export type KvState = string | null;

/** A linearizable register per key: a get returns the value of the latest put before it. */
export const kvModel: Model<KvState, KvInput, KvOutput> = {
  init: () => null,
  step(state, input, outcome) {
    if (input.kind === 'put') return [true, input.value];
    return [!outcome.known || outcome.value === state, state];
  },
  hash: (state) => (state === null ? 0 : hashString(state)),
  equal: (a, b) => a === b,
  partition: (history) => partitionBy(history, (input) => input.key),
  isReadOnly: (input) => input.kind === 'get',
  describe(input, outcome) {
    const result = outcome.known ? JSON.stringify(outcome.value) : '?';
    return input.kind === 'put' ? `put(${input.key}, ${JSON.stringify(input.value)})` : `get(${input.key}) -> ${result}`;
  },
};

// ---------------------------------------------------------------------------------------------
// The document store

/**
 * An operation on the document store. A merge adds one CRDT update, named by a unique tag, to a
 * document; a read returns the tags of every update the document holds.
 */
export type DocInput =
  | { readonly kind: 'merge'; readonly docId: string; readonly tag: string }
  | { readonly kind: 'read'; readonly docId: string };

/** A read returns the set of tags present; a merge returns null. */
export type DocOutput = ReadonlySet<string> | null;

/**
 * The state of one document: the tags merged so far, and an order-independent digest of them.
 * Invariant: `digest` is the sum of `hashString(tag)` over `tags`, mod 2^32.
 */
export interface DocState {
  readonly tags: ReadonlySet<string>;
  readonly digest: number;
}

const emptyDoc: DocState = { tags: new Set(), digest: 0 };

/** True when two sets hold the same tags. */
function sameTags(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const tag of a) if (!b.has(tag)) return false;
  return true;
}

/**
 * Tandem's document store as a sequential model. Merges commute (the CRDT merge is idempotent and
 * order-insensitive), so the state is a set of tags; a read must return exactly the merges
 * linearized before it: every merge acknowledged before the read began, none that began after the
 * read returned, and any subset of those concurrent with it that is consistent with other reads.
 */
export const docStoreModel: Model<DocState, DocInput, DocOutput> = {
  init: () => emptyDoc,
  step(state, input, outcome: Outcome<DocOutput>) {
    if (input.kind === 'merge') {
      if (state.tags.has(input.tag)) return [true, state];
      const tags = new Set(state.tags);
      tags.add(input.tag);
      return [true, { tags, digest: (state.digest + hashString(input.tag)) >>> 0 }];
    }
    if (!outcome.known) return [true, state];
    const seen = outcome.value;
    return [seen !== null && sameTags(seen, state.tags), state];
  },
  hash: (state) => mix32(state.digest ^ state.tags.size),
  equal: (a, b) => a.digest === b.digest && sameTags(a.tags, b.tags),
  partition: (history) => partitionBy(history, (input) => input.docId),
  isReadOnly: (input) => input.kind === 'read',
  normalize: normalizeDocHistory,
  describe(input, outcome) {
    if (input.kind === 'merge') return `merge(${input.docId}, ${input.tag})${outcome.known ? '' : ' ?'}`;
    if (!outcome.known || outcome.value === null) return `read(${input.docId}) -> ?`;
    const tags = [...outcome.value].sort();
    const shown = tags.length > 12 ? `${tags.slice(0, 12).join(',')},…(${tags.length})` : tags.join(',');
    return `read(${input.docId}) -> {${shown}}`;
  },
};

/**
 * Bounds the merges whose outcome is unknown (a client timed out), which would otherwise stay
 * concurrent with everything after their call and make the search exponential in their number:
 * - a merge no read ever saw is dropped: linearizing it after every other operation is always
 *   possible (it never returned) and equivalent, since no read observes it;
 * - a merge some read saw took effect before that read's point, so before the read returned: its
 *   return becomes the earliest return of a read that saw it (same docId).
 * Both rewrites keep the verdict unchanged.
 */
export function normalizeDocHistory(
  history: readonly Operation<DocInput, DocOutput>[],
): Operation<DocInput, DocOutput>[] {
  const firstSeen = new Map<string, number>();
  for (const op of history) {
    if (op.input.kind !== 'read' || !op.outcome.known || op.outcome.value === null || op.return === undefined) continue;
    for (const tag of op.outcome.value) {
      const key = `${op.input.docId}\u0000${tag}`;
      firstSeen.set(key, Math.min(firstSeen.get(key) ?? Number.POSITIVE_INFINITY, op.return));
    }
  }
  const out: Operation<DocInput, DocOutput>[] = [];
  for (const op of history) {
    if (op.input.kind !== 'merge' || op.outcome.known) {
      out.push(op);
      continue;
    }
    const seenBy = firstSeen.get(`${op.input.docId}\u0000${op.input.tag}`);
    if (seenBy === undefined) continue;
    const bound = Math.max(op.call, Math.min(seenBy, op.return ?? Number.POSITIVE_INFINITY));
    out.push({ ...op, return: bound });
  }
  return out;
}
