/**
 * `Doc`: a named collection of CRDT fields (text, OR-Set, LWW map, LWW register, PN-Counter) that
 * share one clock space per replica, one delete set and one state vector. See lib/README.md for
 * the contract. Local edits go through transactions and produce one `update` per outermost
 * transaction; remote updates go through `apply`, which validates everything before mutating,
 * integrates what is causally ready and buffers the rest (doc-core.ts).
 */
import { Encoder } from '../codec/encoder';
import { assertJsonValue, type JsonValue } from '../codec/json';
import { DEFAULT_MAX_SKEW_MS, Hlc } from '../clock/hlc';
import { asReplicaId, randomReplicaId, type ReplicaId } from '../clock/replica';
import type { VersionVector } from '../clock/version-vector';
import { InvalidDeltaError } from './counter';
import { normalizeRanges } from './delete-set';
import { DocCore, type Transaction } from './doc-core';
import { collectLogOps, collectNonTextOps, appendOp, trimFront } from './doc-encode';
import { isEmptyForBulk, maybeLoadInBulk } from './doc-load';
import { documentSpans, type DocumentSpan } from './rga/bulk';
import { STATE_VERSION, decodeState, encodeState, stateAsUpdate } from './state-codec';
import { FieldTypeError, type ChangeEvent, type ChangeListener, type FieldChange, type TextListener, type UpdateListener } from './doc-events';
import { LwwMapField, LwwRegisterField, OrSetField, PnCounterField, TextField, type FieldHost } from './doc-fields';
import type { FieldState, FieldStateOf, ReplicaLog, StoredAdd, StoredWrite } from './doc-log';
import { Rga } from './rga/rga';
import type { IdRange, Sequence } from './rga/types';
import { FieldTableCache, decodeStateVector, decodeUpdate, encodeStateVector, encodeUpdate, opLength, type FieldKind, type FieldRef, type Op, type ReplicaOps } from './update-codec';

/** Options of a `Doc`. */
export interface DocOptions {
  /** This session's replica id; default: random (from `random`, else `crypto.getRandomValues`). */
  readonly replicaId?: number;
  /** Physical time for the HLC. Without it the HLC is purely logical and the skew check is off. */
  readonly now?: () => number;
  /** Largest accepted lead of a remote LWW timestamp over `now()`; default 60 000 ms. */
  readonly maxClockSkewMs?: number;
  /** Builds the sequence CRDT of text fields (tests run `Rga` and `ReferenceRga`). */
  readonly createSequence?: () => Sequence;
  /** Randomness for the default replica id. */
  readonly random?: () => number;
  /**
   * Keep what `takeLocalChanges()` needs (the ids deleted locally since the last call). Off by
   * default: a document whose local changes go out through `update` events does not pay for it.
   */
  readonly trackLocalChanges?: boolean;
}

/** Thrown by `takeLocalChanges()` on a document made without `trackLocalChanges`. */
export class LocalChangesNotTrackedError extends Error {
  override readonly name = 'LocalChangesNotTrackedError';
  constructor() {
    super('takeLocalChanges() needs a Doc created with { trackLocalChanges: true }');
  }
}

type FieldHandle = TextField | OrSetField | LwwMapField | LwwRegisterField | PnCounterField;

/** The default sequence of text fields. */
function createRga(): Sequence {
  return new Rga();
}

/** What `isEmptyForBulk` reads for a document that never buffered an op. */
const NO_PENDING: ReadonlyMap<ReplicaId, readonly Op[]> = new Map();

/** A new handle of the field `state` for one document. */
function buildHandle(state: FieldState, host: FieldHost): FieldHandle {
  switch (state.kind) {
    case 'text':
      return new TextField(state, host);
    case 'set':
      return new OrSetField(state, host);
    case 'map':
      return new LwwMapField(state, host);
    case 'register':
      return new LwwRegisterField(state, host);
    case 'counter':
      return new PnCounterField(state, host);
  }
}

function defaultRandom(): number {
  const buffer = new Uint32Array(1);
  globalThis.crypto.getRandomValues(buffer);
  return buffer[0]! / 2 ** 32;
}

/** A collaborative document: the public API over `DocCore`'s state. */
export class Doc extends DocCore {
  /**
   * What field handles call: one object per document bound to it, made with the first handle.
   * (Eight bound closures cost more to create than the rest of an empty document.) Nested here
   * for access to the private operations.
   */
  private static readonly Host = class implements FieldHost {
    constructor(private readonly doc: Doc) {}
    insertText(field: FieldStateOf<'text'>, index: number, text: string): void {
      this.doc.insertText(field, index, text);
    }
    deleteText(field: FieldStateOf<'text'>, index: number, length: number): void {
      this.doc.deleteText(field, index, length);
    }
    observeText(field: FieldStateOf<'text'>, listener: TextListener): () => void {
      return this.doc.observeText(field, listener);
    }
    addToSet(field: FieldStateOf<'set'>, value: string): void {
      this.doc.addToSet(field, value);
    }
    removeFromSet(field: FieldStateOf<'set'>, value: string): void {
      this.doc.removeFromSet(field, value);
    }
    setMapKey(field: FieldStateOf<'map'>, key: string, value: JsonValue | undefined): void {
      this.doc.setMapKey(field, key, value);
    }
    setRegister(field: FieldStateOf<'register'>, value: JsonValue): void {
      this.doc.setRegister(field, value);
    }
    addToCounter(field: FieldStateOf<'counter'>, delta: number): void {
      this.doc.addToCounter(field, delta);
    }
  };

  // What a document may never need is made on first use (null until then): a replica that only
  // receives, or only sends, or is loaded to be read, does not pay for the rest.

  private handles: Map<string, FieldHandle> | null = null;
  private updateListeners: Set<UpdateListener> | null = null;
  private changeListeners: Set<ChangeListener> | null = null;
  private textListeners: Map<FieldState, Set<TextListener>> | null = null;
  /** Text listeners over all fields. Invariant: the sum of the sizes of `textListeners`' sets. */
  private textListenerCount = 0;
  /** Own clock at the last `takeLocalChanges` (own ops from here on are not taken yet). */
  private takenClock = 0;
  /**
   * Local text inserts since the last `takeLocalChanges`, merged while typing; null unless
   * tracking. `takeLocalChanges` sends them as typed (reading a run back from the sequence would
   * flatten a long span's content on every call), except runs with deleted characters.
   */
  private insertsSinceTake: Extract<Op, { kind: 'insert' }>[] | null = null;
  private host: FieldHost | null = null;
  /** Reused for every update this document encodes (`encodeUpdate` copies the bytes out). */
  private scratch: Encoder | null = null;
  /** The field table of the last update received (a peer's keystrokes name the same fields). */
  private fieldTables: FieldTableCache | null = null;

  constructor(options: DocOptions = {}) {
    super(
      options.replicaId !== undefined ? asReplicaId(options.replicaId) : randomReplicaId(options.random ?? defaultRandom),
      new Hlc({
        now: options.now ?? (() => 0),
        maxSkewMs: options.now === undefined ? Number.POSITIVE_INFINITY : (options.maxClockSkewMs ?? DEFAULT_MAX_SKEW_MS),
      }),
      options.createSequence ?? createRga,
    );
    if (options.trackLocalChanges === true) {
      this.localDeletesSinceTake = [];
      this.insertsSinceTake = [];
    }
  }

  /**
   * A document built from `encode()` bytes (or any update). Stored state is trusted to be our own
   * past, so HLC skew is not checked here (a clock that was ahead when the state was saved must not
   * make it unreadable); every other validation of `apply` holds.
   */
  static load(bytes: Uint8Array, options: DocOptions = {}): Doc {
    const doc = new Doc(options);
    if (bytes[0] === STATE_VERSION) {
      // A full state: build the sequences and logs in bulk when possible, else integrate it as an update.
      const state = decodeState(bytes);
      doc.runTransaction(false, undefined, () => {
        const target = {
          declareField: (ref: FieldRef) => doc.declareField(ref, false),
          deleteSet: doc.deleteSet,
          logOf: (replica: ReplicaId) => doc.logOf(replica),
          integrateOne: (log: ReplicaLog, op: Op) => doc.integrateOne(log, op),
          enqueue: (replica: ReplicaId, ops: readonly Op[]) => doc.enqueue(replica, ops),
          drainPending: () => doc.drainPending(),
        };
        if (!maybeLoadInBulk(target, state)) doc.integrateUpdate(stateAsUpdate(state));
      });
      return doc;
    }
    const decoded = decodeUpdate(bytes);
    doc.validate(decoded, false);
    doc.runTransaction(false, undefined, () => doc.integrateUpdate(decoded));
    return doc;
  }

  // ---- fields ----

  getText(name: string): TextField {
    return this.handle(name, 'text') as TextField;
  }
  getSet(name: string): OrSetField {
    return this.handle(name, 'set') as OrSetField;
  }
  getMap(name: string): LwwMapField {
    return this.handle(name, 'map') as LwwMapField;
  }
  getRegister(name: string): LwwRegisterField {
    return this.handle(name, 'register') as LwwRegisterField;
  }
  getCounter(name: string): PnCounterField {
    return this.handle(name, 'counter') as PnCounterField;
  }

  /** The handle of field `name` (of type `kind`), declaring the field when new. */
  private handle(name: string, kind: FieldKind): FieldHandle {
    const existing = this.fields.get(name);
    if (existing !== undefined && existing.kind !== kind) throw new FieldTypeError(name, existing.kind, kind);
    const handles = (this.handles ??= new Map());
    let handle = handles.get(name);
    if (handle === undefined) {
      // A new field is part of the replicated state: declared inside a transaction (its own, if
      // none is open) so that peers learn it from an update even before it holds anything.
      const state = existing ?? this.declareFieldLocally(name, kind);
      handle = buildHandle(state, (this.host ??= new Doc.Host(this)));
      handles.set(name, handle);
    }
    return handle;
  }

  private declareFieldLocally(name: string, kind: FieldKind): FieldState {
    if (this.transaction !== null) return this.declareField({ name, kind }, true);
    this.beginTransaction(true, undefined);
    try {
      return this.declareField({ name, kind }, true);
    } finally {
      this.endTransaction();
    }
  }

  // ---- events and transactions ----

  on(event: 'update', listener: UpdateListener): () => void;
  on(event: 'change', listener: ChangeListener): () => void;
  on(event: 'update' | 'change', listener: UpdateListener | ChangeListener): () => void {
    const set = (event === 'update' ? (this.updateListeners ??= new Set()) : (this.changeListeners ??= new Set())) as Set<UpdateListener | ChangeListener>;
    set.add(listener);
    return () => set.delete(listener);
  }

  off(event: 'update' | 'change', listener: UpdateListener | ChangeListener): void {
    (event === 'update' ? this.updateListeners : this.changeListeners)?.delete(listener as never);
  }

  /** Runs `fn` as one transaction (nested calls join the outer one) and returns its result. */
  transact<T>(fn: () => T, origin?: unknown): T {
    return this.runTransaction(true, origin, fn);
  }

  private runTransaction<T>(local: boolean, origin: unknown, fn: () => T): T {
    if (this.transaction !== null) return fn();
    this.beginTransaction(local, origin);
    try {
      return fn();
    } finally {
      this.endTransaction();
    }
  }

  /**
   * Opens a transaction. It gathers its update only when someone listens to `update`, and its
   * changes only when someone listens to `change` or a text, as of now: a listener added inside a
   * transaction hears from the next one on.
   */
  private beginTransaction(local: boolean, origin: unknown): void {
    const encoding = local && this.updateListeners !== null && this.updateListeners.size > 0;
    this.transaction = {
      local,
      origin,
      startClock: this.ownLog().clock,
      localDeletes: encoding ? [] : null,
      localOps: encoding ? [] : null,
      records: (this.changeListeners !== null && this.changeListeners.size > 0) || this.textListenerCount > 0 ? new Map() : null,
    };
  }

  private endTransaction(): void {
    const tx = this.transaction!;
    this.transaction = null;
    const own = this.ownLog();
    // Own ops that arrived from elsewhere (our own earlier state) are not local changes to take.
    if (!tx.local && own.clock > tx.startClock && this.takenClock === tx.startClock) this.takenClock = own.clock;
    let update: Uint8Array | null = null;
    if (tx.localOps !== null && tx.localDeletes !== null && (own.clock > tx.startClock || tx.localDeletes.length > 0 || this.unsentFields !== null)) {
      const ops = tx.localOps;
      if (ops.length === 0 || ops[0]!.clock !== tx.startClock || own.clock !== tx.startClock + ops.reduce((n, op) => n + opLength(op), 0)) {
        // Remote ops of our own replica were applied inside the transaction: re-read the log.
        ops.length = 0;
        collectLogOps(own, tx.startClock, own.clock, ops);
      }
      const fields: FieldRef[] = this.unsentFields ?? [];
      this.unsentFields = null;
      for (const op of ops) {
        if (op.kind === 'skip') continue;
        const field = this.fields.get(op.field.name)!;
        if (!fields.includes(field)) fields.push(field);
      }
      update = encodeUpdate({ fields, replicas: [{ replica: this.replicaId, ops }], deletes: normalizeRanges(tx.localDeletes) }, (this.scratch ??= new Encoder(64)));
    }
    const changes = tx.records !== null && tx.records.size > 0 ? this.collectChanges(tx.records) : [];
    if (changes.length > 0) {
      const event: ChangeEvent = { local: tx.local, origin: tx.origin, changes };
      for (const change of changes) {
        if (change.kind !== 'text') continue;
        const listeners = this.textListeners?.get(this.fields.get(change.field)!);
        if (listeners !== undefined) for (const listener of [...listeners]) listener(change.deltas, event);
      }
      if (this.changeListeners !== null) for (const listener of [...this.changeListeners]) listener(event);
    }
    if (update !== null) for (const listener of [...this.updateListeners!]) listener(update, tx.origin);
  }

  private collectChanges(records: Transaction['records'] & {}): FieldChange[] {
    const changes: FieldChange[] = [];
    for (const [state, record] of records) {
      const field = state.name;
      switch (state.kind) {
        case 'text': {
          const deltas = record.deltas ?? [];
          if (deltas.length > 0) changes.push({ kind: 'text', field, deltas });
          break;
        }
        case 'set': {
          const added: string[] = [];
          const removed: string[] = [];
          for (const [value, had] of record.setBefore ?? []) {
            const has = state.set.has(value);
            if (has && !had) added.push(value);
            if (had && !has) removed.push(value);
          }
          if (added.length + removed.length > 0) changes.push({ kind: 'set', field, added: added.sort(), removed: removed.sort() });
          break;
        }
        case 'map':
          changes.push({ kind: 'map', field, keys: [...(record.keys ?? [])].sort() });
          break;
        case 'register':
          changes.push({ kind: 'register', field });
          break;
        case 'counter':
          changes.push({ kind: 'counter', field, delta: record.counterDelta });
          break;
      }
    }
    return changes;
  }

  private observeText(field: FieldState, listener: TextListener): () => void {
    const textListeners = (this.textListeners ??= new Map());
    let set = textListeners.get(field);
    if (set === undefined) {
      set = new Set();
      textListeners.set(field, set);
    }
    if (!set.has(listener)) {
      set.add(listener);
      this.textListenerCount++;
    }
    return () => {
      if (set.delete(listener)) this.textListenerCount--;
    };
  }

  // Text edits open their transaction inline (no closure): they are the per-keystroke path.

  private insertText(field: FieldStateOf<'text'>, index: number, text: string): void {
    const outer = this.transaction === null;
    if (outer) this.beginTransaction(true, undefined);
    try {
      const own = this.ownLog();
      const clock = own.clock;
      const run = field.sequence.insertLocal(index, text, this.replicaId, clock);
      own.appendText(field, text.length);
      const tx = this.transaction!;
      if (tx.localOps !== null || this.insertsSinceTake !== null) {
        const op: Extract<Op, { kind: 'insert' }> = { kind: 'insert', clock, field, run };
        if (tx.localOps !== null) appendLocalInsert(tx.localOps, op);
        const since = this.insertsSinceTake;
        // A one-element literal when empty: a push onto `[]` would allocate room for 17.
        if (since !== null) {
          if (since.length === 0) this.insertsSinceTake = [op];
          else appendLocalInsert(since, op);
        }
      }
      if (tx.records !== null) this.recordText(field, [{ index, insert: text }]);
    } finally {
      if (outer) this.endTransaction();
    }
  }

  private deleteText(field: FieldStateOf<'text'>, index: number, length: number): void {
    const outer = this.transaction === null;
    if (outer) this.beginTransaction(true, undefined);
    try {
      const ranges = field.sequence.deleteLocal(index, length);
      for (const range of ranges) this.deleteLocally(range.replica, range.clock, range.length);
      if (this.transaction!.records !== null) this.recordText(field, [{ index, delete: length }]);
    } finally {
      if (outer) this.endTransaction();
    }
  }

  private addToSet(field: FieldStateOf<'set'>, value: string): void {
    if (typeof value !== 'string') throw new TypeError('OR-Set values are strings');
    this.transact(() => {
      this.recordSetBefore(field, value);
      // The new dot supersedes every observed one (Bieniusa et al.: one dot per concurrent add).
      this.removeObserved(field, value);
      const own = this.ownLog();
      const add: StoredAdd = { replica: this.replicaId, clock: own.clock, value };
      own.append({ kind: 'add', clock: add.clock, length: 1, field, add });
      field.set.add(value, add);
      this.transaction!.localOps?.push({ kind: 'add', clock: add.clock, field, value });
    });
  }

  private removeFromSet(field: FieldStateOf<'set'>, value: string): void {
    if (!field.set.has(value)) return;
    this.transact(() => {
      this.recordSetBefore(field, value);
      this.removeObserved(field, value);
    });
  }

  private removeObserved(field: FieldStateOf<'set'>, value: string): void {
    for (const dot of field.set.removeAll(value)) {
      this.deleteLocally(dot.replica, dot.clock, 1);
      this.logs.get(dot.replica as ReplicaId)?.replaceWithSkip(dot.clock);
    }
  }

  private setMapKey(field: FieldStateOf<'map'>, key: string, value: JsonValue | undefined): void {
    if (value !== undefined) assertJsonValue(value);
    this.transact(() => {
      const own = this.ownLog();
      const write: StoredWrite = { ts: this.hlc.tick(), replica: this.replicaId, clock: own.clock, key, value };
      this.integrateWrite(field, own, write);
      this.transaction!.localOps?.push({ kind: 'mapSet', clock: write.clock, field, key, value, ts: write.ts });
    });
  }

  private setRegister(field: FieldStateOf<'register'>, value: JsonValue): void {
    assertJsonValue(value);
    this.transact(() => {
      const own = this.ownLog();
      const write: StoredWrite = { ts: this.hlc.tick(), replica: this.replicaId, clock: own.clock, key: '', value };
      this.integrateWrite(field, own, write);
      this.transaction!.localOps?.push({ kind: 'registerSet', clock: write.clock, field, value, ts: write.ts });
    });
  }

  private addToCounter(field: FieldStateOf<'counter'>, delta: number): void {
    if (!Number.isSafeInteger(delta)) throw new InvalidDeltaError(delta);
    this.transact(() => {
      const own = this.ownLog();
      this.transaction!.localOps?.push({ kind: 'counterAdd', clock: own.clock, field, delta });
      this.integrateCounter(field, own, delta);
    });
  }

  // ---- remote updates ----

  /**
   * Applies an update: decodes and validates it entirely (throws `DecodeError` or
   * `ClockSkewError`, leaving the document untouched), then merges the delete set, integrates
   * every causally ready operation and buffers the rest. Idempotent and order-insensitive.
   */
  apply(update: Uint8Array, origin?: unknown): void {
    if (update[0] === STATE_VERSION && this.transaction === null && isEmptyForBulk(this.logs, this.deleteSet, this.pending ?? NO_PENDING)) {
      // A full state into an empty replica: validate it all, then build it in bulk as `load` does.
      const state = decodeState(update);
      this.checkFieldKinds(state.fields); // fields it declared already must be of the state's kinds
      for (const [, timeline] of state.timeline) {
        for (const op of timeline.ops) if (op.kind === 'mapSet' || op.kind === 'registerSet') this.hlc.checkSkew(op.ts);
      }
      this.beginTransaction(false, origin);
      try {
        const target = {
          declareField: (ref: FieldRef) => this.declareField(ref, false),
          deleteSet: this.deleteSet,
          logOf: (replica: ReplicaId) => this.logOf(replica),
          integrateOne: (log: ReplicaLog, op: Op) => this.integrateOne(log, op),
          enqueue: (replica: ReplicaId, ops: readonly Op[]) => this.enqueue(replica, ops),
          drainPending: () => this.drainPending(),
        };
        if (!maybeLoadInBulk(target, state)) this.integrateUpdate(stateAsUpdate(state));
        else if (this.recording) {
          // The bulk build records no deltas: each text arrives as one insert of its whole text.
          for (const name of state.texts.keys()) {
            const field = this.fields.get(name)!;
            if (field.kind === 'text' && field.sequence.length > 0) this.recordText(field, [{ index: 0, insert: field.sequence.toString() }]);
          }
        }
      } finally {
        this.endTransaction();
      }
      return;
    }
    const decoded = decodeUpdate(update, (this.fieldTables ??= new FieldTableCache()));
    this.validate(decoded);
    if (this.transaction !== null) return this.integrateUpdate(decoded);
    this.beginTransaction(false, origin);
    try {
      this.integrateUpdate(decoded);
    } finally {
      this.endTransaction();
    }
  }

  /**
   * The local changes since the previous call (since creation or load on the first) as one
   * update, or null when there are none: this replica's ops from the clock of the previous call
   * (canonical runs: characters deleted since travel without content), the ids it deleted locally
   * and the fields it declared since. Changes received through `apply` are not included. Cheaper
   * than merging per-transaction `update`s: nothing is encoded per transaction. Needs
   * `trackLocalChanges: true` (else throws `LocalChangesNotTrackedError`).
   */
  takeLocalChanges(): Uint8Array | null {
    const deletes = this.localDeletesSinceTake;
    if (deletes === null) throw new LocalChangesNotTrackedError();
    const own = this.ownLog();
    const from = this.takenClock;
    if (own.clock === from && deletes.length === 0 && this.fieldsSinceTake === null) return null;
    const inserts = this.insertsSinceTake!;
    const allDeletes = deletes.length <= 1 ? deletes : normalizeRanges(deletes);
    let ops: Op[];
    if (inserts.length === 1 && inserts[0]!.clock === from && from + inserts[0]!.run.length === own.clock && !deletesOwnClocks(allDeletes, this.replicaId, from, own.clock)) {
      // One run typed since the last take, none of it deleted since (typing): sent as typed.
      ops = inserts;
    } else {
      ops = [];
      // Own ops in clock order: recorded inserts as typed, everything else read back from the log.
      // An insert that lost characters to a local delete since is re-read (its deleted content is not sent).
      // Own deleted clocks since the last take, sorted; walked along with the inserts (also in clock order).
      let next = 0;
      let cursor = from;
      for (const insert of inserts) {
        const end = insert.clock + insert.run.length;
        if (insert.clock < cursor || end > own.clock) continue; // not ours to send (cannot happen while tracking)
        if (cursor < insert.clock) collectLogOps(own, cursor, insert.clock, ops);
        while (next < allDeletes.length && (allDeletes[next]!.replica < this.replicaId || (allDeletes[next]!.replica === this.replicaId && allDeletes[next]!.clock + allDeletes[next]!.length <= insert.clock))) next++;
        const overlapping = allDeletes[next];
        if (overlapping !== undefined && overlapping.replica === this.replicaId && overlapping.clock < end) collectLogOps(own, insert.clock, end, ops);
        else appendOp(ops, insert);
        cursor = end;
      }
      if (cursor < own.clock) collectLogOps(own, cursor, own.clock, ops);
    }
    const fields = fieldsOf(this.fieldsSinceTake, ops);
    const update = encodeUpdate({ fields, replicas: ops.length > 0 ? [{ replica: this.replicaId, ops }] : [], deletes: allDeletes }, (this.scratch ??= new Encoder(64)));
    this.takenClock = own.clock;
    this.fieldsSinceTake = null;
    // Fresh empty literals (no storage until the next edit; emptying in place costs a runtime call).
    if (deletes.length > 0) this.localDeletesSinceTake = [];
    if (inserts.length > 0) this.insertsSinceTake = [];
    return update;
  }

  // ---- state ----

  /** Clock units integrated per replica (pending ops excluded). */
  stateVector(): VersionVector {
    const vv: VersionVector = new Map();
    for (const [replica, log] of this.logs) if (log.clock > 0) vv.set(replica, log.clock);
    return vv;
  }

  encodeStateVector(): Uint8Array {
    return encodeStateVector(this.stateVector());
  }

  /** Every op the peer with state vector `sv` lacks (pending ones included), plus the whole delete set. */
  diff(sv: VersionVector | ReadonlyMap<number, number> | Uint8Array): Uint8Array {
    const vector: ReadonlyMap<number, number> = sv instanceof Uint8Array ? decodeStateVector(sv) : sv;
    const replicas = [...new Set<ReplicaId>([...this.logs.keys(), ...(this.pending?.keys() ?? [])])].sort((a, b) => a - b);
    const out: ReplicaOps[] = [];
    for (const replica of replicas) {
      const from = vector.get(replica) ?? 0;
      const ops: Op[] = [];
      const log = this.logs.get(replica);
      if (log !== undefined && log.clock > from) collectLogOps(log, from, log.clock, ops);
      for (const op of this.pending?.get(replica) ?? []) {
        if (op.clock + opLength(op) <= from) continue;
        appendOp(ops, op.clock < from ? trimFront(op, from) : op);
      }
      if (ops.length > 0) out.push({ replica, ops });
    }
    return encodeUpdate({ fields: [...this.fields.values()], replicas: out, deletes: this.deleteSet.ranges() });
  }

  /** The whole document as one update (canonical: equal states give equal bytes). */
  encode(): Uint8Array {
    const texts = new Map<string, DocumentSpan[]>();
    for (const field of this.fields.values()) {
      if (field.kind !== 'text') continue;
      const spans = documentSpans(field.sequence);
      if (spans === null) return this.diff(new Map()); // a sequence without document-order access
      texts.set(field.name, spans);
    }
    const rest: ReplicaOps[] = [];
    for (const replica of [...new Set<ReplicaId>([...this.logs.keys(), ...(this.pending?.keys() ?? [])])].sort((a, b) => a - b)) {
      const ops: Op[] = [];
      const log = this.logs.get(replica);
      if (log !== undefined) collectNonTextOps(log, ops);
      for (const op of this.pending?.get(replica) ?? []) appendOp(ops, op);
      if (ops.length > 0) rest.push({ replica, ops });
    }
    return encodeState({ fields: [...this.fields.values()], texts, rest, deletes: this.deleteSet.ranges() });
  }

  /** Operations held for missing dependencies. */
  pendingCount(): number {
    let count = 0;
    if (this.pending !== null) for (const queue of this.pending.values()) count += queue.length;
    return count;
  }

  /** `{ [field]: plain value }`, fields sorted by name. */
  toJSON(): Record<string, JsonValue> {
    const out: Record<string, JsonValue> = {};
    for (const name of [...this.fields.keys()].sort()) {
      const state = this.fields.get(name)!;
      let value: JsonValue;
      switch (state.kind) {
        case 'text':
          value = state.sequence.toString();
          break;
        case 'set':
          value = state.set.values();
          break;
        case 'map':
          value = this.getMap(name).toJSON();
          break;
        case 'register':
          value = state.register.winner?.value ?? null;
          break;
        case 'counter':
          value = state.counter.value;
          break;
      }
      Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
}

/** The fields an update must name: `declared` (new fields, null for none), then those `ops` use, each once. */
function fieldsOf(declared: readonly FieldRef[] | null, ops: readonly Op[]): FieldRef[] {
  if (declared === null && ops.length === 1 && ops[0]!.kind !== 'skip') return [ops[0]!.field];
  const fields: FieldRef[] = declared === null ? [] : declared.slice();
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    if (op.kind !== 'skip' && !fields.includes(op.field)) fields.push(op.field);
  }
  return fields;
}

/** True when canonical `ranges` delete any of `replica`'s clocks in `[from, to)`. */
function deletesOwnClocks(ranges: readonly IdRange[], replica: number, from: number, to: number): boolean {
  for (const range of ranges) if (range.replica === replica && range.clock < to && range.clock + range.length > from) return true;
  return false;
}

/** Appends a local insert, merging it into the previous one when it continues it (typing). */
function appendLocalInsert(ops: Op[], op: Extract<Op, { kind: 'insert' }>): void {
  const last = ops[ops.length - 1];
  const run = op.run;
  if (
    last !== undefined &&
    last.kind === 'insert' &&
    last.field === op.field &&
    last.clock + last.run.length === op.clock &&
    run.originLeft !== null &&
    run.originLeft.replica === run.replica &&
    run.originLeft.clock === op.clock - 1 &&
    sameId(last.run.originRight, run.originRight) &&
    last.run.content !== null &&
    run.content !== null
  ) {
    // Built field by field: object spread is several times slower here, on every keystroke.
    const before = last.run;
    ops[ops.length - 1] = {
      kind: 'insert',
      clock: last.clock,
      field: last.field,
      run: {
        replica: before.replica,
        clock: before.clock,
        length: before.length + run.length,
        originLeft: before.originLeft,
        originRight: before.originRight,
        content: before.content + run.content,
      },
    };
    return;
  }
  ops.push(op);
}

function sameId(a: { replica: number; clock: number } | null, b: { replica: number; clock: number } | null): boolean {
  if (a === null || b === null) return a === b;
  return a.replica === b.replica && a.clock === b.clock;
}

/** One update equivalent to applying all of `updates` (throws `DecodeError` on bad input or field clashes). */
export function mergeUpdates(updates: readonly Uint8Array[], options: Pick<DocOptions, 'createSequence'> = {}): Uint8Array {
  const doc = new Doc({ replicaId: 0, createSequence: options.createSequence });
  for (const update of updates) doc.apply(update);
  return doc.encode();
}
