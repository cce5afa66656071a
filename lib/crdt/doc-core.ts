/**
 * `DocCore`: the replicated state of a `Doc` and how operations integrate into it: fields, the
 * per-replica clock logs, the delete set, the pending buffer and the current transaction's change
 * record. `Doc` (doc.ts) adds the public API, local edits, events and encoding on top.
 */
import { DecodeError } from '../codec/errors';
import type { Hlc } from '../clock/hlc';
import type { ReplicaId } from '../clock/replica';
import { PnCounter } from './counter';
import { DeleteSet } from './delete-set';
import { trimFront } from './doc-encode';
import { ReplicaLog, type FieldState, type FieldStateOf, type StoredAdd, type StoredWrite } from './doc-log';
import { LwwMap, LwwRegister } from './lww';
import { OrSet } from './orset';
import type { IdRange, Sequence, TextDelta } from './rga/types';
import { opLength, type FieldRef, type Op, type Update } from './update-codec';

/**
 * The open transaction: what it must gather for its `update` and `change` events. What nobody
 * listens to (as of when the transaction opened) is not gathered: those parts are null.
 */
export interface Transaction {
  readonly local: boolean;
  readonly origin: unknown;
  /** Own clock when the transaction opened: the update holds own ops from here. */
  readonly startClock: number;
  /** Ids deleted locally, for the `update` event; null when no update is encoded. */
  readonly localDeletes: IdRange[] | null;
  /** Own ops made in this transaction, in clock order (sent as they were made; no re-reading); null when no update is encoded. */
  readonly localOps: Op[] | null;
  /** Per touched field (in first-touch order), what changed; null when nobody listens to changes. */
  readonly records: Map<FieldState, FieldRecord> | null;
}

/** What one transaction did to one field; parts are created on first use. */
export interface FieldRecord {
  deltas: TextDelta[] | null;
  /** Set elements touched, with whether each was present before the transaction. */
  setBefore: Map<string, boolean> | null;
  keys: Set<string> | null;
  counterDelta: number;
}

/** The state and integration half of `Doc`. Invariant: every replica's log is gap-free from clock 0; pending ops all start past their replica's clock. */
export abstract class DocCore {
  protected readonly fields = new Map<string, FieldState>();
  protected readonly logs = new Map<ReplicaId, ReplicaLog>();
  protected readonly deleteSet = new DeleteSet();
  /** Per replica, ops waiting for an earlier clock or a text origin; sorted by clock. Null until an op has to wait. */
  protected pending: Map<ReplicaId, Op[]> | null = null;
  /**
   * Fields declared locally and not yet sent in an update, in declaration order; null when none.
   * (Collections a document may never need are made on first use: a document is cheap to create.)
   */
  protected unsentFields: FieldState[] | null = null;
  protected transaction: Transaction | null = null;
  /** This replica's own log, once created (cached: local edits reach it on every keystroke). */
  private own: ReplicaLog | null = null;
  /**
   * Local deletes since the last `takeLocalChanges`, merged where adjacent; null unless the
   * document tracks local changes (`DocOptions.trackLocalChanges`).
   */
  protected localDeletesSinceTake: IdRange[] | null = null;
  /** Fields declared locally since the last `takeLocalChanges` (when tracking), in declaration order; null when none. */
  protected fieldsSinceTake: FieldState[] | null = null;

  constructor(
    readonly replicaId: ReplicaId,
    protected readonly hlc: Hlc,
    protected readonly createSequence: () => Sequence,
  ) {}

  /** The field `ref` names, created empty when new; `local` marks it for the next local update. */
  protected declareField(ref: FieldRef, local: boolean): FieldState {
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
    if (local) {
      // A field is declared once (see above), so these lists never hold it twice.
      if (this.unsentFields === null) this.unsentFields = [state];
      else this.unsentFields.push(state);
      if (this.localDeletesSinceTake !== null) {
        if (this.fieldsSinceTake === null) this.fieldsSinceTake = [state];
        else this.fieldsSinceTake.push(state);
      }
    }
    return state;
  }

  // ---- recording changes (always inside a transaction) ----

  /** True when the open transaction gathers changes (someone listened when it opened). */
  protected get recording(): boolean {
    return this.transaction!.records !== null;
  }

  protected recordText(field: FieldState, deltas: readonly TextDelta[]): void {
    if (deltas.length === 0 || !this.recording) return;
    const record = this.recordOf(field);
    const list = (record.deltas ??= []);
    for (const delta of deltas) list.push(delta);
  }

  /** The open transaction's record of `field`; only called while recording. */
  protected recordOf(field: FieldState): FieldRecord {
    const records = this.transaction!.records!;
    let record = records.get(field);
    if (record === undefined) records.set(field, (record = { deltas: null, setBefore: null, keys: null, counterDelta: 0 }));
    return record;
  }

  protected recordSetBefore(field: FieldStateOf<'set'>, value: string): void {
    if (!this.recording) return;
    const before = (this.recordOf(field).setBefore ??= new Map());
    if (!before.has(value)) before.set(value, field.set.has(value));
  }

  protected recordMapKey(field: FieldState, key: string): void {
    if (this.recording) (this.recordOf(field).keys ??= new Set()).add(key);
  }

  protected recordCounter(field: FieldState, delta: number): void {
    if (this.recording) this.recordOf(field).counterDelta += delta;
  }

  // ---- local operations ----

  protected ownLog(): ReplicaLog {
    return (this.own ??= this.logOf(this.replicaId));
  }

  protected logOf(replica: ReplicaId): ReplicaLog {
    let log = this.logs.get(replica);
    if (log === undefined) {
      log = new ReplicaLog(replica);
      this.logs.set(replica, log);
    }
    return log;
  }

  protected deleteLocally(replica: number, clock: number, length: number): void {
    this.deleteSet.include(replica, clock, length);
    const range: IdRange = { replica, clock, length };
    this.transaction!.localDeletes?.push(range);
    const since = this.localDeletesSinceTake;
    // A one-element literal when empty: a push onto `[]` would allocate room for 17.
    if (since !== null) {
      if (since.length === 0) this.localDeletesSinceTake = [range];
      else pushDeleteRange(since, range);
    }
  }

  // ---- integration (shared by local and remote ops) ----

  protected integrateWrite(field: FieldStateOf<'map'> | FieldStateOf<'register'>, log: ReplicaLog, write: StoredWrite): void {
    const outcome = field.kind === 'map' ? field.map.apply(write.key, write) : field.register.apply(write);
    if (outcome.won) {
      if (field.kind === 'map') {
        log.append({ kind: 'mapSet', clock: write.clock, length: 1, field, write });
        this.recordMapKey(field, write.key);
      } else {
        log.append({ kind: 'registerSet', clock: write.clock, length: 1, field, write });
        if (this.recording) this.recordOf(field);
      }
    } else {
      log.append({ kind: 'skip', clock: write.clock, length: 1 });
    }
    const loser = outcome.loser;
    if (loser !== null && loser !== write) this.logs.get(loser.replica as ReplicaId)?.replaceWithSkip(loser.clock);
  }

  protected integrateCounter(field: FieldStateOf<'counter'>, log: ReplicaLog, delta: number): void {
    log.append({ kind: 'counterAdd', clock: log.clock, length: 1, field, delta });
    field.counter.add(delta);
    this.recordCounter(field, delta);
  }

  // Indexed loops on the per-update path: `for...of` may allocate an iterator per loop.

  /** Throws `DecodeError` when a field of `fields` exists here with another kind. */
  protected checkFieldKinds(fields: readonly FieldRef[]): void {
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i]!;
      const existing = this.fields.get(field.name);
      if (existing !== undefined && existing.kind !== field.kind) {
        throw new DecodeError(`field ${JSON.stringify(field.name)} is a ${existing.kind} here but a ${field.kind} in the update`, -1);
      }
    }
  }

  protected validate(update: Update, checkSkew = true): void {
    this.checkFieldKinds(update.fields);
    if (!checkSkew) return;
    const replicas = update.replicas;
    for (let r = 0; r < replicas.length; r++) {
      const ops = replicas[r]!.ops;
      let known = -1; // looked up at the first timestamped op
      for (let i = 0; i < ops.length; i++) {
        const op = ops[i]!;
        if (op.kind !== 'mapSet' && op.kind !== 'registerSet') continue;
        if (known < 0) known = this.logs.get(replicas[r]!.replica)?.clock ?? 0;
        if (op.clock >= known) this.hlc.checkSkew(op.ts);
      }
    }
  }

  protected integrateUpdate(update: Update): void {
    const fields = update.fields;
    for (let i = 0; i < fields.length; i++) this.declareField(fields[i]!, false);
    const deletes = update.deletes;
    for (let i = 0; i < deletes.length; i++) {
      const range = deletes[i]!;
      const added = this.deleteSet.add(range.replica, range.clock, range.length);
      for (let j = 0; j < added.length; j++) this.routeDelete(added[j]!);
    }
    const replicas = update.replicas;
    for (let i = 0; i < replicas.length; i++) this.enqueue(replicas[i]!.replica, replicas[i]!.ops);
    if (this.pending !== null && this.pending.size > 0) this.drainPending();
  }

  /** Applies a newly deleted id range to whatever this document holds of it. */
  protected routeDelete(range: IdRange): void {
    const log = this.logs.get(range.replica as ReplicaId);
    if (log === undefined || range.clock >= log.clock) return;
    const end = Math.min(range.clock + range.length, log.clock);
    for (let i = Math.max(0, log.indexOf(range.clock)); i < log.entries.length; i++) {
      const entry = log.entries[i]!;
      if (entry.clock >= end) break;
      if (entry.kind === 'text') {
        const start = Math.max(range.clock, entry.clock);
        const stop = Math.min(end, entry.clock + entry.length);
        if (stop > start) {
          const deltas = entry.field.sequence.deleteRange({ replica: range.replica, clock: start, length: stop - start }, this.recording);
          this.recordText(entry.field, deltas);
        }
      } else if (entry.kind === 'add' && entry.clock >= range.clock) {
        this.recordSetBefore(entry.field, entry.add.value);
        entry.field.set.removeDot(entry.add.value, entry.add);
        log.replaceWithSkip(entry.clock);
      }
    }
  }

  /** Integrates a replica's ops in order while possible; the rest join its pending queue. */
  protected enqueue(replica: ReplicaId, ops: readonly Op[]): void {
    let queue = this.pending?.get(replica);
    let i = 0;
    if (queue === undefined) {
      const log = this.logOf(replica);
      while (i < ops.length && this.integrateOne(log, ops[i]!)) i++;
      if (i === ops.length) return;
      queue = [];
      (this.pending ??= new Map()).set(replica, queue);
    }
    for (; i < ops.length; i++) insertPending(queue, ops[i]!);
  }

  /** Retries pending ops until nothing more integrates (text origins may unblock other replicas). */
  protected drainPending(): void {
    const pending = this.pending;
    if (pending === null) return;
    let progress = true;
    while (progress && pending.size > 0) {
      progress = false;
      for (const [replica, queue] of pending) {
        const log = this.logOf(replica);
        let consumed = 0;
        while (consumed < queue.length && this.integrateOne(log, queue[consumed]!)) consumed++;
        if (consumed > 0) {
          queue.splice(0, consumed);
          progress = true;
        }
        if (queue.length === 0) pending.delete(replica);
      }
    }
  }

  /** Integrates `op` when it is causally ready; returns false when it must wait. Known ops are dropped (true). */
  protected integrateOne(log: ReplicaLog, op: Op): boolean {
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
        const recording = this.recording;
        this.recordText(field, field.sequence.integrate(op.run, recording));
        log.appendText(field, op.run.length);
        const deleted = this.deleteSet.intersect(replica, op.clock, op.run.length);
        for (let i = 0; i < deleted.length; i++) this.recordText(field, field.sequence.deleteRange(deleted[i]!, recording));
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

}

/** Appends a delete range, merging it with the last one when they touch (typing: backspace, forward delete). */
function pushDeleteRange(ranges: IdRange[], range: IdRange): void {
  const last = ranges[ranges.length - 1];
  if (last !== undefined && last.replica === range.replica) {
    if (last.clock + last.length === range.clock) {
      ranges[ranges.length - 1] = { replica: range.replica, clock: last.clock, length: last.length + range.length };
      return;
    }
    if (range.clock + range.length === last.clock) {
      ranges[ranges.length - 1] = { replica: range.replica, clock: range.clock, length: last.length + range.length };
      return;
    }
  }
  ranges.push(range);
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
