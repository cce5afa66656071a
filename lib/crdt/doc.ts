/**
 * `Doc`: a named collection of CRDT fields (text, OR-Set, LWW map, LWW register, PN-Counter) that
 * share one clock space per replica, one delete set and one state vector. See lib/README.md for
 * the contract. Local edits go through transactions and produce one `update` per outermost
 * transaction; remote updates go through `apply`, which validates everything before mutating,
 * integrates what is causally ready and buffers the rest.
 */
import { DecodeError } from '../codec/errors';
import { assertJsonValue, type JsonValue } from '../codec/json';
import { DEFAULT_MAX_SKEW_MS, Hlc } from '../clock/hlc';
import { asReplicaId, randomReplicaId, type ReplicaId } from '../clock/replica';
import type { VersionVector } from '../clock/version-vector';
import { InvalidDeltaError, PnCounter } from './counter';
import { DeleteSet, normalizeRanges } from './delete-set';
import { collectLogOps, appendOp, trimFront } from './doc-encode';
import { FieldTypeError, type ChangeEvent, type ChangeListener, type FieldChange, type TextListener, type UpdateListener } from './doc-events';
import { LwwMapField, LwwRegisterField, OrSetField, PnCounterField, TextField, type FieldHost } from './doc-fields';
import { ReplicaLog, type FieldState, type FieldStateOf, type StoredAdd, type StoredWrite } from './doc-log';
import { LwwMap, LwwRegister } from './lww';
import { OrSet } from './orset';
import { Rga } from './rga/rga';
import type { IdRange, Sequence, TextDelta } from './rga/types';
import { decodeStateVector, decodeUpdate, encodeStateVector, encodeUpdate, opLength, type FieldKind, type FieldRef, type Op, type ReplicaOps, type Update } from './update-codec';

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
}

type FieldHandle = TextField | OrSetField | LwwMapField | LwwRegisterField | PnCounterField;

/** What the current transaction changed, gathered for the `change` event. */
interface Transaction {
  readonly local: boolean;
  readonly origin: unknown;
  /** Own clock when the transaction opened: the update holds own ops from here. */
  readonly startClock: number;
  readonly localDeletes: IdRange[];
  /** Own ops made in this transaction, in clock order (sent as they were made; no re-reading). */
  readonly localOps: Op[];
  /** Per touched field (in first-touch order), what changed. */
  readonly records: Map<FieldState, FieldRecord>;
}

/** What one transaction did to one field; parts are created on first use. */
interface FieldRecord {
  deltas: TextDelta[] | null;
  /** Set elements touched, with whether each was present before the transaction. */
  setBefore: Map<string, boolean> | null;
  keys: Set<string> | null;
  counterDelta: number;
}

function defaultRandom(): number {
  const buffer = new Uint32Array(1);
  globalThis.crypto.getRandomValues(buffer);
  return buffer[0]! / 2 ** 32;
}

/** A collaborative document. Invariant: every replica's log is gap-free from clock 0; pending ops all start past their replica's clock. */
export class Doc {
  readonly replicaId: ReplicaId;
  private readonly hlc: Hlc;
  private readonly createSequence: () => Sequence;
  private readonly fields = new Map<string, FieldState>();
  private readonly handles = new Map<string, FieldHandle>();
  private readonly logs = new Map<ReplicaId, ReplicaLog>();
  private readonly deleteSet = new DeleteSet();
  /** Per replica, ops waiting for an earlier clock or a text origin; sorted by clock. */
  private readonly pending = new Map<ReplicaId, Op[]>();
  /** Fields declared locally and not yet sent in an update. */
  private readonly unsentFields = new Set<FieldState>();
  private readonly updateListeners = new Set<UpdateListener>();
  private readonly changeListeners = new Set<ChangeListener>();
  private readonly textListeners = new Map<FieldState, Set<TextListener>>();
  private transaction: Transaction | null = null;
  private readonly host: FieldHost;

  constructor(options: DocOptions = {}) {
    this.replicaId = options.replicaId !== undefined ? asReplicaId(options.replicaId) : randomReplicaId(options.random ?? defaultRandom);
    this.hlc = new Hlc({
      now: options.now ?? (() => 0),
      maxSkewMs: options.now === undefined ? Number.POSITIVE_INFINITY : (options.maxClockSkewMs ?? DEFAULT_MAX_SKEW_MS),
    });
    this.createSequence = options.createSequence ?? (() => new Rga());
    this.host = {
      insertText: (field, index, text) => this.insertText(field, index, text),
      deleteText: (field, index, length) => this.deleteText(field, index, length),
      observeText: (field, listener) => this.observeText(field, listener),
      addToSet: (field, value) => this.addToSet(field, value),
      removeFromSet: (field, value) => this.removeFromSet(field, value),
      setMapKey: (field, key, value) => this.setMapKey(field, key, value),
      setRegister: (field, value) => this.setRegister(field, value),
      addToCounter: (field, delta) => this.addToCounter(field, delta),
    };
  }

  /**
   * A document built from `encode()` bytes (or any update). Stored state is trusted to be our own
   * past, so HLC skew is not checked here (a clock that was ahead when the state was saved must not
   * make it unreadable); every other validation of `apply` holds.
   */
  static load(bytes: Uint8Array, options: DocOptions = {}): Doc {
    const doc = new Doc(options);
    const decoded = decodeUpdate(bytes);
    doc.validate(decoded, false);
    doc.runTransaction(false, undefined, () => doc.integrateUpdate(decoded));
    return doc;
  }

  // ---- fields ----

  getText(name: string): TextField {
    return this.handle(name, 'text', (state) => new TextField(state, this.host));
  }
  getSet(name: string): OrSetField {
    return this.handle(name, 'set', (state) => new OrSetField(state, this.host));
  }
  getMap(name: string): LwwMapField {
    return this.handle(name, 'map', (state) => new LwwMapField(state, this.host));
  }
  getRegister(name: string): LwwRegisterField {
    return this.handle(name, 'register', (state) => new LwwRegisterField(state, this.host));
  }
  getCounter(name: string): PnCounterField {
    return this.handle(name, 'counter', (state) => new PnCounterField(state, this.host));
  }

  private handle<K extends FieldKind, H extends FieldHandle>(name: string, kind: K, build: (state: FieldStateOf<K>) => H): H {
    const existing = this.fields.get(name);
    if (existing !== undefined && existing.kind !== kind) throw new FieldTypeError(name, existing.kind, kind);
    // A new field is part of the replicated state: declared inside a transaction (its own, if none
    // is open) so that peers learn it from an update even before it holds anything.
    const state = (existing ?? this.transact(() => this.declareField({ name, kind }, true))) as FieldStateOf<K>;
    let handle = this.handles.get(name);
    if (handle === undefined) {
      handle = build(state);
      this.handles.set(name, handle);
    }
    return handle as H;
  }

  private declareField(ref: FieldRef, local: boolean): FieldState {
    const existing = this.fields.get(ref.name);
    if (existing !== undefined) return existing;
    const { name } = ref;
    let state: FieldState;
    switch (ref.kind) {
      case 'text':
        state = { kind: 'text', name, sequence: this.createSequence() };
        break;
      case 'set':
        state = { kind: 'set', name, set: new OrSet<StoredAdd>() };
        break;
      case 'map':
        state = { kind: 'map', name, map: new LwwMap<StoredWrite>() };
        break;
      case 'register':
        state = { kind: 'register', name, register: new LwwRegister<StoredWrite>() };
        break;
      case 'counter':
        state = { kind: 'counter', name, counter: new PnCounter() };
        break;
    }
    this.fields.set(name, state);
    if (local) this.unsentFields.add(state);
    return state;
  }

  // ---- events and transactions ----

  on(event: 'update', listener: UpdateListener): () => void;
  on(event: 'change', listener: ChangeListener): () => void;
  on(event: 'update' | 'change', listener: UpdateListener | ChangeListener): () => void {
    const set = (event === 'update' ? this.updateListeners : this.changeListeners) as Set<UpdateListener | ChangeListener>;
    set.add(listener);
    return () => set.delete(listener);
  }

  off(event: 'update' | 'change', listener: UpdateListener | ChangeListener): void {
    (event === 'update' ? this.updateListeners : this.changeListeners).delete(listener as never);
  }

  /** Runs `fn` as one transaction (nested calls join the outer one) and returns its result. */
  transact<T>(fn: () => T, origin?: unknown): T {
    return this.runTransaction(true, origin, fn);
  }

  private runTransaction<T>(local: boolean, origin: unknown, fn: () => T): T {
    if (this.transaction !== null) return fn();
    this.transaction = {
      local,
      origin,
      startClock: this.ownLog().clock,
      localDeletes: [],
      localOps: [],
      records: new Map(),
    };
    try {
      return fn();
    } finally {
      this.endTransaction();
    }
  }

  private endTransaction(): void {
    const tx = this.transaction!;
    this.transaction = null;
    const own = this.ownLog();
    let update: Uint8Array | null = null;
    if (tx.local && (own.clock > tx.startClock || tx.localDeletes.length > 0 || this.unsentFields.size > 0)) {
      const ops = tx.localOps;
      if (ops.length === 0 || ops[0]!.clock !== tx.startClock || own.clock !== tx.startClock + ops.reduce((n, op) => n + opLength(op), 0)) {
        // Remote ops of our own replica were applied inside the transaction: re-read the log.
        ops.length = 0;
        collectLogOps(own, tx.startClock, own.clock, ops);
      }
      const fields: FieldRef[] = [];
      for (const field of this.unsentFields) fields.push(field);
      this.unsentFields.clear();
      for (const op of ops) {
        if (op.kind === 'skip') continue;
        const field = this.fields.get(op.field.name)!;
        if (!fields.includes(field)) fields.push(field);
      }
      update = encodeUpdate({ fields, replicas: [{ replica: this.replicaId, ops }], deletes: normalizeRanges(tx.localDeletes) });
    }
    let listening = this.changeListeners.size > 0;
    if (!listening && this.textListeners.size > 0) for (const field of tx.records.keys()) listening ||= (this.textListeners.get(field)?.size ?? 0) > 0;
    const changes = listening ? this.collectChanges(tx) : [];
    if (changes.length > 0) {
      const event: ChangeEvent = { local: tx.local, origin: tx.origin, changes };
      for (const change of changes) {
        if (change.kind !== 'text') continue;
        const listeners = this.textListeners.get(this.fields.get(change.field)!);
        if (listeners !== undefined) for (const listener of [...listeners]) listener(change.deltas, event);
      }
      for (const listener of [...this.changeListeners]) listener(event);
    }
    if (update !== null) for (const listener of [...this.updateListeners]) listener(update, tx.origin);
  }

  private collectChanges(tx: Transaction): FieldChange[] {
    const changes: FieldChange[] = [];
    for (const [state, record] of tx.records) {
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
    let set = this.textListeners.get(field);
    if (set === undefined) {
      set = new Set();
      this.textListeners.set(field, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  // ---- recording changes (always inside a transaction) ----

  private recordText(field: FieldState, deltas: readonly TextDelta[]): void {
    if (deltas.length === 0) return;
    const record = this.recordOf(field);
    const list = (record.deltas ??= []);
    for (const delta of deltas) list.push(delta);
  }

  private recordOf(field: FieldState): FieldRecord {
    const records = this.transaction!.records;
    let record = records.get(field);
    if (record === undefined) records.set(field, (record = { deltas: null, setBefore: null, keys: null, counterDelta: 0 }));
    return record;
  }

  private recordSetBefore(field: FieldStateOf<'set'>, value: string): void {
    const before = (this.recordOf(field).setBefore ??= new Map());
    if (!before.has(value)) before.set(value, field.set.has(value));
  }

  private recordMapKey(field: FieldState, key: string): void {
    (this.recordOf(field).keys ??= new Set()).add(key);
  }

  private recordCounter(field: FieldState, delta: number): void {
    this.recordOf(field).counterDelta += delta;
  }

  // ---- local operations ----

  private ownLog(): ReplicaLog {
    return this.logOf(this.replicaId);
  }

  private logOf(replica: ReplicaId): ReplicaLog {
    let log = this.logs.get(replica);
    if (log === undefined) {
      log = new ReplicaLog(replica);
      this.logs.set(replica, log);
    }
    return log;
  }

  private insertText(field: FieldStateOf<'text'>, index: number, text: string): void {
    this.transact(() => {
      const own = this.ownLog();
      const clock = own.clock;
      const run = field.sequence.insertLocal(index, text, this.replicaId, clock);
      own.append({ kind: 'text', clock, length: text.length, field });
      appendLocalInsert(this.transaction!.localOps, { kind: 'insert', clock, field, run });
      this.recordText(field, [{ index, insert: text }]);
    });
  }

  private deleteText(field: FieldStateOf<'text'>, index: number, length: number): void {
    this.transact(() => {
      const ranges = field.sequence.deleteLocal(index, length);
      for (const range of ranges) this.deleteLocally(range.replica, range.clock, range.length);
      this.recordText(field, [{ index, delete: length }]);
    });
  }

  private deleteLocally(replica: number, clock: number, length: number): void {
    this.deleteSet.add(replica, clock, length);
    this.transaction!.localDeletes.push({ replica, clock, length });
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
      this.transaction!.localOps.push({ kind: 'add', clock: add.clock, field, value });
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
      this.transaction!.localOps.push({ kind: 'mapSet', clock: write.clock, field, key, value, ts: write.ts });
    });
  }

  private setRegister(field: FieldStateOf<'register'>, value: JsonValue): void {
    assertJsonValue(value);
    this.transact(() => {
      const own = this.ownLog();
      const write: StoredWrite = { ts: this.hlc.tick(), replica: this.replicaId, clock: own.clock, key: '', value };
      this.integrateWrite(field, own, write);
      this.transaction!.localOps.push({ kind: 'registerSet', clock: write.clock, field, value, ts: write.ts });
    });
  }

  private addToCounter(field: FieldStateOf<'counter'>, delta: number): void {
    if (!Number.isSafeInteger(delta)) throw new InvalidDeltaError(delta);
    this.transact(() => {
      const own = this.ownLog();
      this.transaction!.localOps.push({ kind: 'counterAdd', clock: own.clock, field, delta });
      this.integrateCounter(field, own, delta);
    });
  }

  // ---- integration (shared by local and remote ops) ----

  private integrateWrite(field: FieldStateOf<'map'> | FieldStateOf<'register'>, log: ReplicaLog, write: StoredWrite): void {
    const outcome = field.kind === 'map' ? field.map.apply(write.key, write) : field.register.apply(write);
    if (outcome.won) {
      if (field.kind === 'map') {
        log.append({ kind: 'mapSet', clock: write.clock, length: 1, field, write });
        this.recordMapKey(field, write.key);
      } else {
        log.append({ kind: 'registerSet', clock: write.clock, length: 1, field, write });
        this.recordOf(field);
      }
    } else {
      log.append({ kind: 'skip', clock: write.clock, length: 1 });
    }
    const loser = outcome.loser;
    if (loser !== null && loser !== write) this.logs.get(loser.replica as ReplicaId)?.replaceWithSkip(loser.clock);
  }

  private integrateCounter(field: FieldStateOf<'counter'>, log: ReplicaLog, delta: number): void {
    log.append({ kind: 'counterAdd', clock: log.clock, length: 1, field, delta });
    field.counter.add(delta);
    this.recordCounter(field, delta);
  }

  // ---- remote updates ----

  /**
   * Applies an update: decodes and validates it entirely (throws `DecodeError` or
   * `ClockSkewError`, leaving the document untouched), then merges the delete set, integrates
   * every causally ready operation and buffers the rest. Idempotent and order-insensitive.
   */
  apply(update: Uint8Array, origin?: unknown): void {
    const decoded = decodeUpdate(update);
    this.validate(decoded);
    this.runTransaction(false, origin, () => this.integrateUpdate(decoded));
  }

  private validate(update: Update, checkSkew = true): void {
    for (const field of update.fields) {
      const existing = this.fields.get(field.name);
      if (existing !== undefined && existing.kind !== field.kind) {
        throw new DecodeError(`field ${JSON.stringify(field.name)} is a ${existing.kind} here but a ${field.kind} in the update`, -1);
      }
    }
    if (!checkSkew) return;
    for (const { replica, ops } of update.replicas) {
      const known = this.logs.get(replica)?.clock ?? 0;
      for (const op of ops) {
        if ((op.kind === 'mapSet' || op.kind === 'registerSet') && op.clock >= known) this.hlc.checkSkew(op.ts);
      }
    }
  }

  private integrateUpdate(update: Update): void {
    for (const field of update.fields) this.declareField(field, false);
    for (const range of update.deletes) {
      for (const added of this.deleteSet.add(range.replica, range.clock, range.length)) this.routeDelete(added);
    }
    for (const { replica, ops } of update.replicas) this.enqueue(replica, ops);
    this.drainPending();
  }

  /** Applies a newly deleted id range to whatever this document holds of it. */
  private routeDelete(range: IdRange): void {
    const log = this.logs.get(range.replica as ReplicaId);
    if (log === undefined || range.clock >= log.clock) return;
    const end = Math.min(range.clock + range.length, log.clock);
    for (let i = Math.max(0, log.indexOf(range.clock)); i < log.entries.length; i++) {
      const entry = log.entries[i]!;
      if (entry.clock >= end) break;
      if (entry.kind === 'text') {
        const start = Math.max(range.clock, entry.clock);
        const stop = Math.min(end, entry.clock + entry.length);
        if (stop > start) this.recordText(entry.field, entry.field.sequence.deleteRange({ replica: range.replica, clock: start, length: stop - start }));
      } else if (entry.kind === 'add' && entry.clock >= range.clock) {
        this.recordSetBefore(entry.field, entry.add.value);
        entry.field.set.removeDot(entry.add.value, entry.add);
        log.replaceWithSkip(entry.clock);
      }
    }
  }

  /** Integrates a replica's ops in order while possible; the rest join its pending queue. */
  private enqueue(replica: ReplicaId, ops: readonly Op[]): void {
    let queue = this.pending.get(replica);
    let i = 0;
    if (queue === undefined) {
      const log = this.logOf(replica);
      while (i < ops.length && this.integrateOne(log, ops[i]!)) i++;
      if (i === ops.length) return;
      queue = [];
      this.pending.set(replica, queue);
    }
    for (; i < ops.length; i++) insertPending(queue, ops[i]!);
  }

  /** Retries pending ops until nothing more integrates (text origins may unblock other replicas). */
  private drainPending(): void {
    let progress = true;
    while (progress && this.pending.size > 0) {
      progress = false;
      for (const [replica, queue] of this.pending) {
        const log = this.logOf(replica);
        let consumed = 0;
        while (consumed < queue.length && this.integrateOne(log, queue[consumed]!)) consumed++;
        if (consumed > 0) {
          queue.splice(0, consumed);
          progress = true;
        }
        if (queue.length === 0) this.pending.delete(replica);
      }
    }
  }

  /** Integrates `op` when it is causally ready; returns false when it must wait. Known ops are dropped (true). */
  private integrateOne(log: ReplicaLog, op: Op): boolean {
    const end = op.clock + opLength(op);
    if (end <= log.clock) return true;
    if (op.clock > log.clock) return false;
    if (op.clock < log.clock) op = trimFront(op, log.clock);
    const replica = log.replica;
    switch (op.kind) {
      case 'skip':
        log.append({ kind: 'skip', clock: op.clock, length: op.length });
        return true;
      case 'insert': {
        const field = this.fields.get(op.field.name) as FieldStateOf<'text'>;
        if (!field.sequence.canIntegrate(op.run)) return false;
        this.recordText(field, field.sequence.integrate(op.run));
        log.append({ kind: 'text', clock: op.clock, length: op.run.length, field });
        for (const part of this.deleteSet.intersect(replica, op.clock, op.run.length)) this.recordText(field, field.sequence.deleteRange(part));
        return true;
      }
      case 'add': {
        const field = this.fields.get(op.field.name) as FieldStateOf<'set'>;
        if (this.deleteSet.has(replica, op.clock)) {
          log.append({ kind: 'skip', clock: op.clock, length: 1 });
          return true;
        }
        const add: StoredAdd = { replica, clock: op.clock, value: op.value };
        this.recordSetBefore(field, op.value);
        log.append({ kind: 'add', clock: op.clock, length: 1, field, add });
        field.set.add(op.value, add);
        return true;
      }
      case 'mapSet':
      case 'registerSet': {
        const field = this.fields.get(op.field.name) as FieldStateOf<'map'> | FieldStateOf<'register'>;
        this.hlc.observe(op.ts);
        const key = op.kind === 'mapSet' ? op.key : '';
        this.integrateWrite(field, log, { ts: op.ts, replica, clock: op.clock, key, value: op.value });
        return true;
      }
      case 'counterAdd':
        this.integrateCounter(this.fields.get(op.field.name) as FieldStateOf<'counter'>, log, op.delta);
        return true;
    }
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
    const replicas = [...new Set<ReplicaId>([...this.logs.keys(), ...this.pending.keys()])].sort((a, b) => a - b);
    const out: ReplicaOps[] = [];
    for (const replica of replicas) {
      const from = vector.get(replica) ?? 0;
      const ops: Op[] = [];
      const log = this.logs.get(replica);
      if (log !== undefined && log.clock > from) collectLogOps(log, from, log.clock, ops);
      for (const op of this.pending.get(replica) ?? []) {
        if (op.clock + opLength(op) <= from) continue;
        appendOp(ops, op.clock < from ? trimFront(op, from) : op);
      }
      if (ops.length > 0) out.push({ replica, ops });
    }
    return encodeUpdate({ fields: [...this.fields.values()], replicas: out, deletes: this.deleteSet.ranges() });
  }

  /** The whole document as one update (canonical: equal states give equal bytes). */
  encode(): Uint8Array {
    return this.diff(new Map());
  }

  /** Operations held for missing dependencies. */
  pendingCount(): number {
    let count = 0;
    for (const queue of this.pending.values()) count += queue.length;
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
    ops[ops.length - 1] = { ...last, run: { ...last.run, length: last.run.length + run.length, content: last.run.content + run.content } };
    return;
  }
  ops.push(op);
}

function sameId(a: { replica: number; clock: number } | null, b: { replica: number; clock: number } | null): boolean {
  if (a === null || b === null) return a === b;
  return a.replica === b.replica && a.clock === b.clock;
}

/** Inserts an op into a clock-sorted pending queue, skipping exact duplicates. */
function insertPending(queue: Op[], op: Op): void {
  let lo = 0;
  let hi = queue.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (queue[mid]!.clock < op.clock) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < queue.length && queue[i]!.clock === op.clock; i++) {
    if (opLength(queue[i]!) >= opLength(op)) return;
  }
  queue.splice(lo, 0, op);
}

/** One update equivalent to applying all of `updates` (throws `DecodeError` on bad input or field clashes). */
export function mergeUpdates(updates: readonly Uint8Array[], options: Pick<DocOptions, 'createSequence'> = {}): Uint8Array {
  const doc = new Doc({ replicaId: 0, createSequence: options.createSequence });
  for (const update of updates) doc.apply(update);
  return doc.encode();
}
