/**
 * The convergence fuzz: seeded random editing on N replicas of one adapter, over a simulated
 * network that drops, duplicates, delays and reorders flushed updates, with disconnects, resyncs
 * through `diff(stateVector)`, restarts through `load(encode())` and whole-state applies. After a
 * final full resync every replica must show the same text and the same state vector, and every
 * replica's `load(encode())` must show that text too. Separately, every update flushed during the
 * run, applied to two fresh replicas in two random orders (one with duplicates), must give one text.
 *
 * The fuzz never throws: a failure (a divergence or an exception from the adapter) comes back as a
 * result carrying the seed, so a failing seed can be replayed and turned into a regression test.
 */
import type { TextCrdtAdapter, TextReplica } from "./types";

/** How much work one run does and how hostile its network is. */
export interface ConvergenceOptions {
  /** Seed of the run's pseudo-random generator; the same seed replays the same run. */
  seed: number;
  /** Number of replicas (at least 2). */
  replicas: number;
  /** Number of random steps before the final resync. */
  steps: number;
  /** Probability that one delivery of a flushed update is lost. */
  dropRate?: number;
  /** Probability that one delivery of a flushed update is sent twice. */
  duplicateRate?: number;
  /** Largest delay, in steps, of one delivery. */
  maxDelaySteps?: number;
  /** Soft cap on the visible text length; above it the fuzz prefers deletes. */
  softMaxLength?: number;
  /**
   * Whether converged replicas must have byte-identical state vectors (default true). json-joy's
   * clock vector always lists the encoding replica's own session first, so its bytes differ
   * between replicas in the same state; its adapter runs with this off (texts must still agree).
   */
  compareStateVectors?: boolean;
}

/** Counts of what a run did, to check the fuzz really exercised each path. */
export interface ConvergenceStats {
  edits: number;
  flushes: number;
  deliveries: number;
  dropped: number;
  duplicated: number;
  resyncs: number;
  restarts: number;
  stateApplies: number;
  disconnects: number;
  finalLength: number;
}

/** The outcome of one run; `ok: false` carries the seed and what went wrong. */
export type ConvergenceResult =
  | { ok: true; adapter: string; seed: number; stats: ConvergenceStats }
  | { ok: false; adapter: string; seed: number; step: number; message: string; texts: string[] };

/** A small seeded generator (sfc32); state is per run, never module-level. */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 16; i++) this.nextUint32();
  }

  /** A uniform unsigned 32-bit integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A uniform float in [0, 1). */
  nextFloat(): number {
    return this.nextUint32() / 0x100000000;
  }

  /** A uniform integer in [min, max] (inclusive). */
  nextInt(min: number, max: number): number {
    return min + Math.floor(this.nextFloat() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.nextFloat() < p;
  }

  /** A uniform element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[this.nextInt(0, items.length - 1)]!;
  }
}

/** One flushed update on its way to one replica. */
interface InFlight {
  to: number;
  update: Uint8Array;
  /** The step from which it may be delivered. */
  deliverableAt: number;
}

/** A replica slot: the live replica, its id and whether it is connected to the network. */
interface Slot {
  replicaId: number;
  replica: TextReplica;
  online: boolean;
}

/** Characters used in inserted text: ASCII plus BMP non-ASCII (no surrogate pairs, see README). */
const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789 éßж中";

/** An index in [0, length] biased towards both ends, where off-by-one bugs live. */
function pickIndex(random: Prng, length: number): number {
  const roll = random.nextFloat();
  if (roll < 0.2) return Math.min(length, random.nextInt(0, 1));
  if (roll < 0.4) return Math.max(0, length - random.nextInt(0, 1));
  return random.nextInt(0, length);
}

/** A random insert text: mostly one character (typing), sometimes a multi-character paste. */
function pickText(random: Prng, replicaIndex: number): string {
  const length = random.chance(0.6) ? 1 : random.nextInt(2, 12);
  let text = "";
  // The first character names the replica, which makes divergence reports readable.
  text += String.fromCharCode(65 + (replicaIndex % 26));
  for (let i = 1; i < length; i++) text += random.pick([...ALPHABET]);
  return text;
}

/** Runs one seeded convergence fuzz against `adapter`. */
export function runConvergenceFuzz(adapter: TextCrdtAdapter, options: ConvergenceOptions): ConvergenceResult {
  const run = new FuzzRun(adapter, options);
  try {
    return run.execute();
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return run.failure(`threw ${message}`);
  }
}

/** The mutable state of one fuzz run. */
class FuzzRun {
  private readonly random: Prng;
  private readonly slots: Slot[] = [];
  private inFlight: InFlight[] = [];
  /** Every update any replica flushed, delivered or not. */
  private readonly flushLog: Uint8Array[] = [];
  private step = 0;
  private readonly stats: ConvergenceStats = {
    edits: 0,
    flushes: 0,
    deliveries: 0,
    dropped: 0,
    duplicated: 0,
    resyncs: 0,
    restarts: 0,
    stateApplies: 0,
    disconnects: 0,
    finalLength: 0,
  };
  private readonly dropRate: number;
  private readonly duplicateRate: number;
  private readonly maxDelaySteps: number;
  private readonly softMaxLength: number;
  private readonly compareStateVectors: boolean;

  constructor(
    private readonly adapter: TextCrdtAdapter,
    private readonly options: ConvergenceOptions,
  ) {
    this.random = new Prng(options.seed);
    this.dropRate = options.dropRate ?? 0.15;
    this.duplicateRate = options.duplicateRate ?? 0.15;
    this.maxDelaySteps = options.maxDelaySteps ?? 12;
    this.softMaxLength = options.softMaxLength ?? 120;
    this.compareStateVectors = options.compareStateVectors ?? true;
  }

  /** The failure result for the current step. */
  failure(message: string): ConvergenceResult {
    let texts: string[];
    try {
      texts = this.slots.map((slot) => slot.replica.text());
    } catch {
      texts = [];
    }
    return { ok: false, adapter: this.adapter.name, seed: this.options.seed, step: this.step, message, texts };
  }

  execute(): ConvergenceResult {
    if (this.options.replicas < 2) throw new RangeError("the convergence fuzz needs at least 2 replicas");
    for (let i = 0; i < this.options.replicas; i++) {
      // Spread ids out (and not in index order) so nothing depends on small or sorted ids.
      const replicaId = (this.random.nextUint32() & 0x7fffffff) | 1;
      this.slots.push({ replicaId, replica: this.adapter.create(replicaId), online: true });
    }
    for (this.step = 0; this.step < this.options.steps; this.step++) this.takeRandomStep();
    this.flushEverything();
    const orderFailure = this.checkOrderInsensitive();
    if (orderFailure !== null) return orderFailure;
    this.resyncEverything();
    return this.checkConverged();
  }

  private takeRandomStep(): void {
    const roll = this.random.nextFloat();
    const index = this.random.nextInt(0, this.slots.length - 1);
    if (roll < 0.42) this.editRandomly(index);
    else if (roll < 0.6) this.flushAndBroadcast(index);
    else if (roll < 0.82) this.deliverSome();
    else if (roll < 0.88) this.toggleConnection(index);
    else if (roll < 0.93) this.resyncPair(index, this.otherThan(index));
    else if (roll < 0.96) this.restart(index);
    else this.applyWholeState(index, this.otherThan(index));
  }

  private otherThan(index: number): number {
    const other = this.random.nextInt(0, this.slots.length - 2);
    return other >= index ? other + 1 : other;
  }

  /** One to three local inserts or deletes on one replica. */
  private editRandomly(index: number): void {
    const replica = this.slots[index]!.replica;
    const count = this.random.nextInt(1, 3);
    for (let i = 0; i < count; i++) {
      const length = replica.text().length;
      const deleteBias = length > this.softMaxLength ? 0.7 : 0.3;
      const before = replica.text();
      let expected: string;
      if (length > 0 && this.random.chance(deleteBias)) {
        const start = pickIndex(this.random, length - 1);
        const deleteLength = Math.min(length - start, this.random.chance(0.6) ? 1 : this.random.nextInt(2, 10));
        replica.delete(start, deleteLength);
        expected = before.slice(0, start) + before.slice(start + deleteLength);
      } else {
        const at = pickIndex(this.random, length);
        const text = pickText(this.random, index);
        replica.insert(at, text);
        expected = before.slice(0, at) + text + before.slice(at);
      }
      // A local edit shows at once, exactly where it was made.
      if (replica.text() !== expected) throw new ConvergenceCheckError(`replica ${index}: local edit shows ${JSON.stringify(replica.text())}, expected ${JSON.stringify(expected)}`);
      this.stats.edits++;
    }
  }

  /** Flushes one replica; an online replica sends the update to every other replica, unreliably. */
  private flushAndBroadcast(index: number): void {
    const slot = this.slots[index]!;
    const update = slot.replica.flush();
    if (update === null) return;
    this.stats.flushes++;
    this.flushLog.push(update);
    if (!slot.online) return; // Lost: the replica was offline; only a resync will carry it.
    for (let to = 0; to < this.slots.length; to++) {
      if (to === index) continue;
      if (this.random.chance(this.dropRate)) {
        this.stats.dropped++;
        continue;
      }
      const copies = this.random.chance(this.duplicateRate) ? 2 : 1;
      if (copies === 2) this.stats.duplicated++;
      for (let copy = 0; copy < copies; copy++) {
        const deliverableAt = this.step + this.random.nextInt(0, this.maxDelaySteps);
        this.inFlight.push({ to, update, deliverableAt });
      }
    }
  }

  /** Delivers a few random deliverable updates, in random order; offline replicas lose theirs. */
  private deliverSome(): void {
    const count = this.random.nextInt(1, 4);
    for (let i = 0; i < count; i++) {
      const ready = this.inFlight.filter((message) => message.deliverableAt <= this.step);
      if (ready.length === 0) return;
      const message = this.random.pick(ready);
      this.inFlight.splice(this.inFlight.indexOf(message), 1);
      const target = this.slots[message.to]!;
      if (!target.online) {
        this.stats.dropped++;
        continue;
      }
      target.replica.apply(message.update);
      this.stats.deliveries++;
    }
  }

  /** Takes a replica offline, or brings it back online and resyncs it with a random peer. */
  private toggleConnection(index: number): void {
    const slot = this.slots[index]!;
    if (slot.online) {
      slot.online = false;
      this.stats.disconnects++;
    } else {
      slot.online = true;
      this.resyncPair(index, this.otherThan(index));
    }
  }

  /** Two-way anti-entropy between two replicas through `diff(stateVector)`. */
  private resyncPair(left: number, right: number): void {
    const a = this.slots[left]!.replica;
    const b = this.slots[right]!.replica;
    const forB = a.diff(b.stateVector());
    const forA = b.diff(a.stateVector());
    b.apply(forB);
    a.apply(forA);
    this.stats.resyncs++;
  }

  /** Replaces a replica by `load(encode())` of itself (a reload), keeping its id. */
  private restart(index: number): void {
    const slot = this.slots[index]!;
    const before = slot.replica.text();
    // The replica flushes, then crashes before sending: the update is lost on the wire but kept
    // in the log, so the log holds every local change ever made (the order check needs no gaps).
    // The changes themselves live on in the state and reach peers through resyncs.
    const unsent = slot.replica.flush();
    if (unsent !== null) {
      this.stats.flushes++;
      this.flushLog.push(unsent);
    }
    slot.replica = this.adapter.load(slot.replica.encode(), slot.replicaId);
    const after = slot.replica.text();
    if (after !== before) throw new ConvergenceCheckError(`restart changed the text: ${JSON.stringify(before)} -> ${JSON.stringify(after)}`);
    this.stats.restarts++;
  }

  /** Applies one replica's whole state to another (states are valid updates). */
  private applyWholeState(from: number, to: number): void {
    this.slots[to]!.replica.apply(this.slots[from]!.replica.encode());
    this.stats.stateApplies++;
  }

  /** Flushes every replica's last local changes, logged and sent to its next neighbour. */
  private flushEverything(): void {
    for (const [index, slot] of this.slots.entries()) {
      const update = slot.replica.flush();
      if (update === null) continue;
      this.stats.flushes++;
      this.flushLog.push(update);
      this.inFlight.push({ to: (index + 1) % this.slots.length, update, deliverableAt: 0 });
    }
  }

  /**
   * Ends the run: every replica comes online, what is still in flight is delivered in random
   * order, then every replica pushes its diff to a hub and the hub pushes its diff back to all.
   */
  private resyncEverything(): void {
    for (const slot of this.slots) slot.online = true;
    while (this.inFlight.length > 0) {
      const message = this.inFlight.splice(this.random.nextInt(0, this.inFlight.length - 1), 1)[0]!;
      this.slots[message.to]!.replica.apply(message.update);
      this.stats.deliveries++;
    }
    const hub = this.random.nextInt(0, this.slots.length - 1);
    const hubReplica = this.slots[hub]!.replica;
    for (const [index, slot] of this.slots.entries()) {
      if (index !== hub) hubReplica.apply(slot.replica.diff(hubReplica.stateVector()));
    }
    for (const [index, slot] of this.slots.entries()) {
      if (index !== hub) slot.replica.apply(hubReplica.diff(slot.replica.stateVector()));
    }
  }

  /**
   * Two fresh replicas apply every flushed update of the run, each in its own random order and
   * the second with duplicates; they must agree on text and state vector. Unlike the final
   * resync, this cannot be rescued by `diff`: it checks buffering and idempotence of `apply`
   * over long dependency chains. The log has no gaps (restarts and the end of the run flush
   * first), so every dependency eventually arrives.
   */
  private checkOrderInsensitive(): ConvergenceResult | null {
    const first = this.adapter.create(0x7ffffff8);
    const second = this.adapter.create(0x7ffffff9);
    for (const update of this.shuffled(this.flushLog)) first.apply(update);
    const withDuplicates = [...this.flushLog, ...this.flushLog.filter(() => this.random.chance(0.3))];
    for (const update of this.shuffled(withDuplicates)) second.apply(update);
    if (first.text() !== second.text()) {
      return this.failure(`the flushed updates applied in two orders give ${JSON.stringify(first.text())} and ${JSON.stringify(second.text())}`);
    }
    if (this.compareStateVectors && !bytesEqual(first.stateVector(), second.stateVector())) {
      return this.failure("the flushed updates applied in two orders give different state vectors");
    }
    return null;
  }

  /** A shuffled copy (Fisher-Yates with the run's generator). */
  private shuffled<T>(items: readonly T[]): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = this.random.nextInt(0, i);
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    }
    return copy;
  }

  /** Same text and same state vector everywhere, and `load(encode())` shows the same text. */
  private checkConverged(): ConvergenceResult {
    const expected = this.slots[0]!.replica.text();
    const expectedVector = this.slots[0]!.replica.stateVector();
    for (const [index, slot] of this.slots.entries()) {
      const text = slot.replica.text();
      if (text !== expected) return this.failure(`replica ${index} diverged: ${JSON.stringify(text)} vs ${JSON.stringify(expected)}`);
      if (this.compareStateVectors && !bytesEqual(slot.replica.stateVector(), expectedVector)) return this.failure(`replica ${index} has a different state vector with the same text`);
      // A fresh id, so the reloaded replica never shares an id with a live one.
      const reloaded = this.adapter.load(slot.replica.encode(), 0x7ffffff0 + index);
      if (reloaded.text() !== expected) return this.failure(`load(encode()) of replica ${index} shows ${JSON.stringify(reloaded.text())}`);
    }
    this.stats.finalLength = expected.length;
    return { ok: true, adapter: this.adapter.name, seed: this.options.seed, stats: { ...this.stats } };
  }
}

/** A convergence property broken in the middle of a run. */
export class ConvergenceCheckError extends Error {
  override readonly name = "ConvergenceCheckError";
}

/** Byte-wise equality. */
export function bytesEqual(left: Uint8Array, right: Uint8Array): boolean {
  if (left.length !== right.length) return false;
  for (let i = 0; i < left.length; i++) if (left[i] !== right[i]) return false;
  return true;
}
