/**
 * Test helpers for `Doc`: scripted multi-replica scenarios (the commands fast-check generates),
 * merge as defined by the properties (load X's encoding, apply Y's), and state comparison on
 * internal state (state vector, canonical encoding, pending) as well as visible JSON.
 * Not used by production code.
 */
import { Doc, type DocOptions } from './doc';
import type { FieldKind } from './update-codec';

/** One scripted step: an edit (or a two-edit transaction) on a replica, or a one-way sync. */
export type ScenarioCommand =
  | { readonly type: 'edit'; readonly replica: number; readonly edits: readonly EditChoice[] }
  | { readonly type: 'sync'; readonly from: number; readonly to: number };

/** An edit drawn as plain numbers; the field kind decides what they mean. */
export interface EditChoice {
  readonly kind: FieldKind;
  readonly a: number;
  readonly b: number;
  readonly c: number;
}

/** The field name used for each kind in scenarios. */
export const SCENARIO_FIELDS: Record<FieldKind, string> = { text: 'body', set: 'tags', map: 'meta', register: 'title', counter: 'likes' };

const ALPHABET = ['a', 'b', 'c', 'xy', '😀', 'é'];
const VALUES = ['red', 'green', 'blue'];
const KEYS = ['k1', 'k2'];

/** Applies one edit choice to `doc`. */
export function applyEdit(doc: Doc, edit: EditChoice): void {
  const name = SCENARIO_FIELDS[edit.kind];
  switch (edit.kind) {
    case 'text': {
      const text = doc.getText(name);
      if (edit.a % 3 !== 0 || text.length === 0) text.insert(edit.b % (text.length + 1), ALPHABET[edit.c % ALPHABET.length]!.repeat(1 + (edit.a % 2)));
      else {
        const index = edit.b % text.length;
        text.delete(index, Math.min(1 + (edit.c % 3), text.length - index));
      }
      return;
    }
    case 'set': {
      const value = VALUES[edit.b % VALUES.length]!;
      if (edit.a % 3 === 0) doc.getSet(name).remove(value);
      else doc.getSet(name).add(value);
      return;
    }
    case 'map': {
      const key = KEYS[edit.b % KEYS.length]!;
      if (edit.a % 4 === 0) doc.getMap(name).delete(key);
      else doc.getMap(name).set(key, edit.c % 2 === 0 ? edit.c : { n: edit.c, s: ALPHABET[edit.c % ALPHABET.length]! });
      return;
    }
    case 'register':
      doc.getRegister(name).set(edit.a % 5 === 0 ? null : edit.c);
      return;
    case 'counter':
      doc.getCounter(name).add((edit.c % 7) - 3 || 1);
      return;
  }
}

/** The outcome of a scenario: the replicas' final documents and every update they emitted, in emission order. */
export interface ScenarioResult {
  readonly docs: Doc[];
  readonly updates: Uint8Array[];
}

/** What a scenario lets its caller do to each replica. */
export interface ScenarioHooks {
  /** Called on each new document before anything listens to it. */
  readonly setUp?: (doc: Doc) => void;
  /** Called on the edited document after each edit command's transaction. */
  readonly afterEdit?: (doc: Doc) => void;
}

/** Runs a scenario on `replicas` documents (replica ids 1..n) sharing a simulated wall clock. */
export function runScenario(commands: readonly ScenarioCommand[], replicas: number, options: DocOptions = {}, hooks: ScenarioHooks = {}): ScenarioResult {
  let time = 1_000;
  const now = (): number => time;
  const docs = Array.from({ length: replicas }, (_, i) => new Doc({ ...options, replicaId: i + 1, now }));
  if (hooks.setUp !== undefined) for (const doc of docs) hooks.setUp(doc);
  const updates: Uint8Array[] = [];
  for (const doc of docs) doc.on('update', (update) => updates.push(update));
  for (const command of commands) {
    time += 1;
    if (command.type === 'edit') {
      const doc = docs[command.replica % replicas]!;
      doc.transact(() => {
        for (const edit of command.edits) applyEdit(doc, edit);
      });
      hooks.afterEdit?.(doc);
    } else {
      const from = docs[command.from % replicas]!;
      const to = docs[command.to % replicas]!;
      to.apply(from.diff(to.stateVector()));
    }
  }
  return { docs, updates };
}

/** merge(X, Y) as the properties define it: load X's encoding, apply Y's encoding. */
export function merge(x: Doc, y: Doc, options: DocOptions = {}): Doc {
  const doc = Doc.load(x.encode(), { replicaId: 999, ...options });
  doc.apply(y.encode());
  return doc;
}

/** A comparable snapshot of a document's replicated state. */
export interface StateSnapshot {
  readonly json: unknown;
  readonly stateVector: [number, number][];
  readonly encoding: string;
  readonly pending: number;
}

/** Snapshot of everything two converged replicas must agree on. */
export function snapshot(doc: Doc): StateSnapshot {
  return {
    json: doc.toJSON(),
    stateVector: [...doc.stateVector()].sort((a, b) => a[0] - b[0]),
    encoding: Buffer.from(doc.encode()).toString('hex'),
    pending: doc.pendingCount(),
  };
}

/**
 * One local edit on the `body` text, derived from `label` (so concurrent edits land at different
 * places): inserts the label, and when the text is longer than `deleteAbove`, sometimes deletes
 * `deleteLength` characters too, in one transaction. Returns the transaction's update.
 */
export function editBodyText(doc: Doc, label: string, deleteAbove: number, deleteLength: number): Uint8Array {
  let update: Uint8Array | null = null;
  const off = doc.on('update', (bytes: Uint8Array) => {
    update = bytes;
  });
  try {
    const text = doc.getText('body');
    let hash = 0;
    for (const char of label) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
    doc.transact(() => {
      text.insert(hash % (text.length + 1), label);
      if (text.length > deleteAbove && hash % 3 === 0) text.delete(hash % (text.length - 5), deleteLength);
    });
  } finally {
    off();
  }
  if (update === null) throw new Error('the edit produced no update');
  return update;
}
