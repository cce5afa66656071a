/**
 * A seeded network simulation of `Doc` replicas (in the spirit of Yjs' TestConnector): replicas
 * edit every field type, broadcast their transaction updates over a network that drops,
 * duplicates, delays and reorders messages, go offline and come back, and resync through
 * `diff(stateVector)`. Deterministic for a given seed and options, so a failing seed replays
 * exactly; the soak runner and the fuzz test share it. Not used by production code.
 */
import { Doc } from './doc';
import { applyDeltas } from './rga/shared';
import type { Sequence } from './rga/types';
import { mulberry32 } from '../random';

/** A small seeded PRNG (mulberry32). */
export class SeededRandom {
  private readonly generate: () => number;
  constructor(readonly seed: number) {
    this.generate = mulberry32(seed);
  }
  /** A float in [0, 1). */
  next(): number {
    return this.generate();
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

/** Knobs of a simulation run. */
export interface SimulationOptions {
  readonly seed: number;
  readonly replicas?: number;
  readonly steps?: number;
  readonly dropRate?: number;
  readonly duplicateRate?: number;
  /** Largest delivery delay, in steps. */
  readonly maxDelay?: number;
  /** Per step, the chance that a replica's connectivity flips. */
  readonly disconnectRate?: number;
  readonly createSequence?: () => Sequence;
}

/** What a run ended with, after a final full resync. */
export interface SimulationResult {
  readonly seed: number;
  readonly docs: Doc[];
  /** Per replica, the text rebuilt from `observe` deltas (must equal the text). */
  readonly mirrors: string[];
  readonly stats: { edits: number; sent: number; dropped: number; duplicated: number; resyncs: number; maxPending: number };
}

interface Message {
  readonly to: number;
  readonly bytes: Uint8Array;
  readonly deliverAt: number;
}

const WORDS = ['a', 'b', 'hello ', 'ü', '😀', 'xyz', '\n'];

/** Runs one seeded simulation. */
export function runSimulation(options: SimulationOptions): SimulationResult {
  const random = new SeededRandom(options.seed);
  const count = options.replicas ?? 5;
  const steps = options.steps ?? 200;
  const dropRate = options.dropRate ?? 0.15;
  const duplicateRate = options.duplicateRate ?? 0.1;
  const maxDelay = options.maxDelay ?? 8;
  const disconnectRate = options.disconnectRate ?? 0.005;
  let time = 1_700_000_000_000;
  const now = (): number => time;
  const docs = Array.from({ length: count }, (_, i) => new Doc({ replicaId: 100 + i, now, createSequence: options.createSequence }));
  const online = docs.map(() => true);
  const mirrors = docs.map(() => '');
  const network: Message[] = [];
  const stats = { edits: 0, sent: 0, dropped: 0, duplicated: 0, resyncs: 0, maxPending: 0 };
  let step = 0;

  docs.forEach((doc, i) => {
    doc.getText('body').observe((deltas) => {
      mirrors[i] = applyDeltas(mirrors[i]!, deltas);
    });
    doc.on('update', (bytes) => {
      for (let to = 0; to < count; to++) {
        if (to === i) continue;
        stats.sent++;
        if (!online[i] || !online[to] || random.chance(dropRate)) {
          stats.dropped++;
          continue;
        }
        network.push({ to, bytes, deliverAt: step + random.int(maxDelay + 1) });
        if (random.chance(duplicateRate)) {
          stats.duplicated++;
          network.push({ to, bytes, deliverAt: step + random.int(maxDelay + 1) });
        }
      }
    });
  });

  const resync = (a: number, b: number): void => {
    stats.resyncs++;
    docs[b]!.apply(docs[a]!.diff(docs[b]!.stateVector()));
    docs[a]!.apply(docs[b]!.diff(docs[a]!.encodeStateVector()));
  };

  for (; step < steps; step++) {
    time += random.int(50);
    const actor = random.int(count);
    const doc = docs[actor]!;
    if (random.chance(0.6)) {
      stats.edits++;
      const edits = 1 + random.int(random.chance(0.2) ? 4 : 1);
      doc.transact(() => {
        for (let e = 0; e < edits; e++) randomEdit(doc, random);
      });
    }
    // Deliver a random subset of the due messages, in random order.
    for (let n = random.int(4); n > 0; n--) {
      const due = network.filter((m) => m.deliverAt <= step);
      if (due.length === 0) break;
      const message = random.pick(due);
      network.splice(network.indexOf(message), 1);
      if (online[message.to]) docs[message.to]!.apply(message.bytes);
    }
    // Disconnects are rarer than reconnects, so most replicas are online most of the time.
    const who = random.int(count);
    if (random.chance(online[who] ? disconnectRate * count : 0.2)) {
      online[who] = !online[who];
      if (online[who]) {
        for (let peer = 0; peer < count; peer++) if (peer !== who && online[peer]) resync(who, peer);
      }
    }
    for (const d of docs) stats.maxPending = Math.max(stats.maxPending, d.pendingCount());
  }
  // Heal: everyone back online, in-flight messages delivered, then a full pairwise resync.
  for (let i = 0; i < count; i++) online[i] = true;
  for (const message of network.splice(0)) docs[message.to]!.apply(message.bytes);
  for (let a = 0; a < count; a++) for (let b = a + 1; b < count; b++) resync(a, b);
  for (let a = 0; a < count; a++) for (let b = a + 1; b < count; b++) resync(a, b);
  return { seed: options.seed, docs, mirrors, stats };
}

function randomEdit(doc: Doc, random: SeededRandom): void {
  const roll = random.int(10);
  if (roll < 5) {
    const text = doc.getText('body');
    if (text.length > 0 && random.chance(0.35)) {
      const index = random.int(text.length);
      text.delete(index, 1 + random.int(Math.min(5, text.length - index)));
    } else {
      text.insert(random.int(text.length + 1), random.pick(WORDS));
    }
  } else if (roll === 5) {
    const tags = doc.getSet('tags');
    const tag = random.pick(['draft', 'urgent', 'review', 'done']);
    if (random.chance(0.4)) tags.remove(tag);
    else tags.add(tag);
  } else if (roll === 6) {
    const meta = doc.getMap('meta');
    const key = random.pick(['owner', 'color', 'size']);
    if (random.chance(0.25)) meta.delete(key);
    else meta.set(key, random.chance(0.5) ? random.int(100) : { nested: [random.int(5), 'v'] });
  } else if (roll === 7) {
    doc.getRegister('title').set(`title ${random.int(1000)}`);
  } else {
    doc.getCounter('likes').add(random.int(7) - 3 || 1);
  }
}
