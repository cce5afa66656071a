/**
 * Every adapter in the map against the TextReplica contract and the convergence fuzz. The peers
 * (Yjs, Automerge) must pass too: that checks the fuzz and the contract tests themselves.
 *
 * Replay one fuzz seed: FUZZ_SEED=1234 npx vitest run bench/adapters
 */
import { describe, expect, it } from "vitest";
import { runConvergenceFuzz, type ConvergenceResult } from "./convergence.fuzz";
import { adapters } from "./index";
import { naiveAdapter, unbufferedYjsAdapter, withForgetfulDiff } from "./testing";
import type { TextCrdtAdapter, TextReplica } from "./types";
import { yjsAdapter } from "./yjs";

/** Fuzz sizing per adapter: Automerge's per-change cost is far higher, so it runs fewer steps. */
const FUZZ_STEPS: Record<string, number> = { automerge: 80, loro: 80 };
/** json-joy's clock vector lists the encoding replica's own session first: compare texts, not vector bytes. */
const NON_CANONICAL_VECTORS = new Set(["json-joy"]);
const DEFAULT_FUZZ_STEPS = 120;
const FUZZ_SEED_COUNT = 20;
const FUZZ_REPLICAS = 5;

/** The seeds to run: FUZZ_SEED replays one; otherwise a fixed list, the same in every run. */
function fuzzSeeds(): number[] {
  const fromEnvironment = process.env["FUZZ_SEED"];
  if (fromEnvironment !== undefined && fromEnvironment !== "") return [Number(fromEnvironment)];
  return Array.from({ length: FUZZ_SEED_COUNT }, (_, i) => 0x5eed0000 + i * 7919);
}

/** Fails the test with the seed and the divergence when the fuzz found one. */
function expectConverged(result: ConvergenceResult): void {
  if (!result.ok) {
    expect.fail(
      `${result.adapter} seed ${result.seed} failed at step ${result.step}: ${result.message}\n` +
        `texts: ${JSON.stringify(result.texts)}\nreplay: FUZZ_SEED=${result.seed} npx vitest run bench/adapters`,
    );
  }
}

/** Two replicas with distinct ids. */
function pair(adapter: TextCrdtAdapter): [TextReplica, TextReplica] {
  return [adapter.create(11), adapter.create(22)];
}

/** Flushes `replica`, failing if it had nothing to send. */
function mustFlush(replica: TextReplica): Uint8Array {
  const update = replica.flush();
  expect(update).not.toBeNull();
  return update!;
}

describe("adapter map", () => {
  it("lists ours under 'tandem' first, then yjs and automerge, each named by its key", () => {
    expect(Object.keys(adapters).slice(0, 3)).toEqual(["tandem", "yjs", "automerge"]);
    for (const [key, adapter] of Object.entries(adapters)) expect(adapter.name).toBe(key);
  });
});

for (const [key, adapter] of Object.entries(adapters)) {
  describe(`${key} adapter: contract`, () => {
    it("insert/delete edit the visible text at UTF-16 indices, including both ends", () => {
      const replica = adapter.create(1);
      expect(replica.text()).toBe("");
      replica.insert(0, "hello");
      replica.insert(5, " world");
      replica.insert(0, ">");
      replica.delete(0, 2);
      replica.delete(replica.text().length - 1, 1);
      replica.insert(2, "é中");
      expect(replica.text()).toBe("elé中lo worl");
    });

    it("flush returns null when nothing local changed, and never re-sends remote changes", () => {
      const [a, b] = pair(adapter);
      expect(a.flush()).toBeNull();
      a.insert(0, "abc");
      const update = mustFlush(a);
      expect(a.flush()).toBeNull();
      b.apply(update);
      expect(b.flush()).toBeNull();
      b.insert(3, "d");
      a.apply(mustFlush(b));
      expect(a.text()).toBe("abcd");
    });

    it("flush holds every local change since the last flush (several edits, one update)", () => {
      const [a, b] = pair(adapter);
      a.insert(0, "one");
      a.insert(3, " two");
      a.delete(0, 1);
      b.apply(mustFlush(a));
      expect(b.text()).toBe("ne two");
    });

    it("apply is idempotent and order-insensitive (early updates wait for their dependencies)", () => {
      const [a, b] = pair(adapter);
      a.insert(0, "abc");
      const first = mustFlush(a);
      a.insert(1, "XY");
      const second = mustFlush(a);
      a.delete(0, 2);
      const third = mustFlush(a);
      b.apply(third);
      b.apply(second);
      b.apply(third);
      b.apply(first);
      b.apply(second);
      b.apply(first);
      expect(b.text()).toBe(a.text());
      expect(b.text()).toBe("Ybc");
    });

    it("apply accepts a whole state as an update, repeatedly and mixed with updates", () => {
      const [a, b] = pair(adapter);
      a.insert(0, "left");
      b.insert(0, "right");
      const updateOfB = mustFlush(b);
      b.apply(a.encode());
      b.apply(a.encode());
      a.apply(updateOfB);
      a.apply(b.encode());
      expect(a.text()).toBe(b.text());
      expect([...a.text()].sort().join("")).toBe([..."leftright"].sort().join(""));
    });

    it("load(encode()) round-trips the text, and the loaded replica keeps editing and syncing", () => {
      const [a, b] = pair(adapter);
      a.insert(0, "persisted");
      a.delete(0, 3);
      b.apply(mustFlush(a));
      const reloaded = adapter.load(a.encode(), 33);
      expect(reloaded.text()).toBe("sisted");
      expect(reloaded.flush()).toBeNull();
      reloaded.insert(6, "!");
      b.apply(mustFlush(reloaded));
      expect(b.text()).toBe("sisted!");
    });

    it("a replica reloaded under its own id continues its clock: new edits never reuse old ids", () => {
      const [a, b] = pair(adapter);
      a.insert(0, "abc");
      b.apply(mustFlush(a));
      a.insert(3, "d"); // unflushed when the replica is reloaded: it lives on in the state only
      const reloaded = adapter.load(a.encode(), 11);
      reloaded.insert(4, "e");
      b.apply(mustFlush(reloaded));
      b.apply(reloaded.diff(b.stateVector()));
      expect(b.text()).toBe("abcde");
      if (!NON_CANONICAL_VECTORS.has(key)) expect(b.stateVector()).toEqual(reloaded.stateVector());
    });

    it("diff(stateVector of a peer) brings the peer up to date, concurrent edits on both sides", () => {
      const [a, b] = pair(adapter);
      a.insert(0, "shared ");
      b.apply(a.encode());
      a.insert(7, "from a");
      b.insert(0, "from b ");
      b.delete(7, 3);
      const forB = a.diff(b.stateVector());
      const forA = b.diff(a.stateVector());
      b.apply(forB);
      a.apply(forA);
      expect(a.text()).toBe(b.text());
      if (!NON_CANONICAL_VECTORS.has(key)) expect(a.stateVector()).toEqual(b.stateVector());
      // Nothing is missing any more: a second round changes nothing.
      const before = a.text();
      a.apply(b.diff(a.stateVector()));
      expect(a.text()).toBe(before);
    });

    it("diff of a state vector holding changes this replica never saw is still complete", () => {
      const [a, b] = pair(adapter);
      const c = adapter.create(44);
      a.insert(0, "base");
      b.apply(a.encode());
      c.apply(a.encode());
      a.insert(4, "+a");
      b.insert(0, "b:"); // b is ahead of a in a way a cannot interpret
      c.apply(a.diff(b.stateVector()));
      b.apply(a.diff(b.stateVector()));
      expect(b.text()).toContain("+a");
      expect(c.text()).toBe(a.text());
    });
  });

  describe(`${key} adapter: convergence fuzz (${FUZZ_REPLICAS} replicas)`, () => {
    const steps = FUZZ_STEPS[key] ?? DEFAULT_FUZZ_STEPS;
    it.each(fuzzSeeds())("converges on text, state vector and reload: seed %i", (seed) => {
      const result = runConvergenceFuzz(adapter, { seed, replicas: FUZZ_REPLICAS, steps, compareStateVectors: !NON_CANONICAL_VECTORS.has(key) });
      expectConverged(result);
      if (result.ok) expect(result.stats.edits).toBeGreaterThan(0);
    });
  });
}

describe("the convergence fuzz can fail", () => {
  const seeds = [1, 2, 3, 4, 5];

  it("reports a divergence, with its seed, for positional replay without dedup (not a CRDT)", () => {
    const failures = seeds
      .map((seed) => runConvergenceFuzz(naiveAdapter, { seed, replicas: 3, steps: 80 }))
      .filter((result) => !result.ok);
    expect(failures.length).toBeGreaterThan(0);
    expect(seeds).toContain(failures[0]!.seed);
  });

  it("reports a divergence when resyncs carry nothing, so dropped updates are never repaired", () => {
    const broken = withForgetfulDiff(yjsAdapter);
    const failures = seeds
      .map((seed) => runConvergenceFuzz(broken, { seed, replicas: 3, steps: 80, dropRate: 0.5 }))
      .filter((result) => !result.ok);
    expect(failures.length).toBeGreaterThan(0);
  });

  it("reports a divergence when apply drops early updates instead of buffering them (order check)", () => {
    const results = seeds.map((seed) => runConvergenceFuzz(unbufferedYjsAdapter, { seed, replicas: 3, steps: 80 }));
    const failures = results.filter((result) => !result.ok);
    expect(failures.length).toBeGreaterThan(0);
    for (const failure of failures) if (!failure.ok) expect(failure.message).toContain("two orders");
  });

  it("exercises every network path: drops, duplicates, deliveries, resyncs, restarts, disconnects", () => {
    const result = runConvergenceFuzz(yjsAdapter, { seed: 7, replicas: 5, steps: 400 });
    expectConverged(result);
    if (!result.ok) return;
    for (const count of Object.values(result.stats)) expect(count).toBeGreaterThan(0);
  });

  it("replays: one seed gives one run", () => {
    const first = runConvergenceFuzz(yjsAdapter, { seed: 99, replicas: 4, steps: 120 });
    const second = runConvergenceFuzz(yjsAdapter, { seed: 99, replicas: 4, steps: 120 });
    expect(second).toEqual(first);
  });
});
