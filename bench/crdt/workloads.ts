/**
 * The workload definitions: the text workloads of dmonad/crdt-benchmarks (js-lib/b1.js, b2.js,
 * b3.js: B1.1–B1.11, B2.1–B2.4, B3.1, B3.3–B3.5 with N = 6000 and 20·⌊√N⌋ users) and the trace
 * replays (B4 = the automerge-paper trace with one update per edit; B4-local; B4x for every
 * sequential trace; B4c for the concurrent clownschool trace; `trace.<name>` for `--trace` files).
 *
 * Inputs come from a seeded generator per workload (not lib0's shared generator, whose values
 * depend on which benchmarks ran before), so they are identical for every library and run, but
 * not byte-identical to the original suite's. B2 is run as the names say, truly concurrently:
 * both replicas edit, then exchange (js-lib delivers replica 1's update before replica 2 edits).
 * Workloads on maps or arrays of numbers cannot run through the text-only adapter contract; they
 * are listed with the reason so the table shows them as not applicable.
 */
import type { TextCrdtAdapter } from "../adapters/types";
import { Prng } from "./random";
import {
  runConcurrentPair,
  runConcurrentTrace,
  runLocally,
  runManyUsers,
  runWithUpdates,
} from "./scenarios";
import type { Deadline, Edit, Expectation, RunOutcome } from "./scenarios";
import { concurrentTrace, loadTraceFile, sequentialTrace, sequentialTraceNames, stepsOf } from "./traces";
import type { ConcurrentTrace, SequentialTrace } from "./traces";

/** One benchmark workload. */
export interface Workload {
  /** Stable id for `--only` and JSON (`B1.1`, `B4x.rustcode`). */
  readonly id: string;
  /** What it does, as in the original suite. */
  readonly title: string;
  /** Why text adapters cannot run it; undefined when they can. */
  readonly unsupported?: string;
  /** One run on fresh replicas (inputs are built once, on first use). */
  run(adapter: TextCrdtAdapter, deadline: Deadline): RunOutcome;
}

/** Sizes of the generated workloads and which trace replays to add. */
export interface WorkloadOptions {
  /** N of the suite (6000; smaller with --quick). */
  readonly n: number;
  /** Largest number of transactions replayed from a trace (Infinity = whole trace). */
  readonly traceLimit: number;
  /** Extra trace files (`--trace`). */
  readonly traceFiles: readonly string[];
}

/** Builds a value on first use and keeps it. */
function lazy<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= build());
}

const insert = (index: number, text: string): Edit => ({ kind: "insert", index, text });
const remove = (index: number, length: number): Edit => ({ kind: "delete", index, length });

/** A B1 workload: one writer, one update per input step, applied to a second replica. */
function b1(id: string, title: string, build: () => { steps: Edit[][]; expected: Expectation }): Workload {
  const input = lazy(build);
  return { id, title, run: (adapter, deadline) => runWithUpdates(adapter, input().steps, input().expected, deadline) };
}

/** Random single-character or word inserts, as B1.4/B1.5 generate them. */
function randomInserts(random: Prng, n: number, minLength: number, maxLength: number): { steps: Edit[][]; expected: Expectation } {
  let text = "";
  const steps: Edit[][] = [];
  for (let i = 0; i < n; i++) {
    const index = random.int(0, text.length);
    const word = random.word(minLength, maxLength);
    text = text.slice(0, index) + word + text.slice(index);
    steps.push([insert(index, word)]);
  }
  return { steps, expected: { text } };
}

/** The B1 workloads. */
function b1Workloads(n: number): Workload[] {
  const numbers = "n/a (text-only adapter: array of numbers)";
  return [
    b1("B1.1", "Append N characters", () => {
      const text = new Prng(11).word(n, n);
      return { steps: [...text].map((char, i) => [insert(i, char)]), expected: { text } };
    }),
    b1("B1.2", "Insert string of length N", () => {
      const text = new Prng(12).word(n, n);
      return { steps: [[insert(0, text)]], expected: { text } };
    }),
    b1("B1.3", "Prepend N characters", () => {
      const text = new Prng(13).word(n, n);
      return { steps: [...text].reverse().map((char) => [insert(0, char)]), expected: { text } };
    }),
    b1("B1.4", "Insert N characters at random positions", () => randomInserts(new Prng(14), n, 1, 1)),
    b1("B1.5", "Insert N words at random positions", () => randomInserts(new Prng(15), n, 2, 10)),
    b1("B1.6", "Insert string, then delete it", () => {
      const text = new Prng(16).word(n, n);
      return { steps: [[insert(0, text), remove(0, text.length)]], expected: { text: "" } };
    }),
    b1("B1.7", "Insert/Delete strings at random positions", () => {
      const random = new Prng(17);
      let text = "";
      const steps: Edit[][] = [];
      for (let i = 0; i < n; i++) {
        const index = random.int(0, text.length);
        if (text.length === index || random.bool()) {
          const word = random.word(2, 10);
          text = text.slice(0, index) + word + text.slice(index);
          steps.push([insert(index, word)]);
        } else {
          const length = random.int(1, Math.min(9, text.length - index));
          text = text.slice(0, index) + text.slice(index + length);
          steps.push([remove(index, length)]);
        }
      }
      return { steps, expected: { text } };
    }),
    { id: "B1.8", title: "Append N numbers", unsupported: numbers, run: unsupportedRun },
    { id: "B1.9", title: "Insert Array of N numbers", unsupported: numbers, run: unsupportedRun },
    { id: "B1.10", title: "Prepend N numbers", unsupported: numbers, run: unsupportedRun },
    { id: "B1.11", title: "Insert N numbers at random positions", unsupported: numbers, run: unsupportedRun },
  ];
}

/** B2 inputs: each replica's edits against its own copy, starting from the shared 100 characters. */
function concurrentInputs(
  seed: number,
  n: number,
  generate: (random: Prng, text: string) => { edit: Edit; text: string }[],
): { initial: string; edits1: Edit[]; edits2: Edit[]; inserted: number } {
  const random = new Prng(seed);
  const initial = random.word(100, 100);
  let inserted = 0;
  const side = (): Edit[] => {
    let text = initial;
    const edits: Edit[] = [];
    for (let i = 0; i < n; i++) {
      for (const step of generate(random, text)) {
        edits.push(step.edit);
        if (step.edit.kind === "insert") inserted += step.edit.text.length;
        text = step.text;
      }
    }
    return edits;
  };
  return { initial, edits1: side(), edits2: side(), inserted };
}

/** A random insert of a word with length in [min, max] into `text`. */
function randomWordInsert(random: Prng, text: string, min: number, max: number): { edit: Edit; text: string } {
  const index = random.int(0, text.length);
  const word = random.word(min, max);
  return { edit: insert(index, word), text: text.slice(0, index) + word + text.slice(index) };
}

/** The B2 workloads. */
function b2Workloads(n: number): Workload[] {
  const b2 = (id: string, title: string, build: () => ReturnType<typeof concurrentInputs> & { exactLength: boolean }): Workload => {
    const input = lazy(build);
    return {
      id,
      title,
      run: (adapter, deadline) => {
        const { initial, edits1, edits2, inserted, exactLength } = input();
        const expected: Expectation = exactLength ? { length: initial.length + inserted } : {};
        return runConcurrentPair(adapter, initial, edits1, edits2, expected, deadline);
      },
    };
  };
  return [
    b2("B2.1", "Concurrently insert string of length N at index 0", () => {
      const random = new Prng(21);
      const initial = random.word(100, 100);
      const edits1 = [insert(0, random.word(n, n))];
      const edits2 = [insert(0, random.word(n, n))];
      return { initial, edits1, edits2, inserted: 2 * n, exactLength: true };
    }),
    b2("B2.2", "Concurrently insert N characters at random positions", () => ({
      ...concurrentInputs(22, n, (random, text) => [randomWordInsert(random, text, 1, 1)]),
      exactLength: true,
    })),
    b2("B2.3", "Concurrently insert N words at random positions", () => ({
      ...concurrentInputs(23, n, (random, text) => [randomWordInsert(random, text, 3, 9)]),
      exactLength: true,
    })),
    b2("B2.4", "Concurrently insert & delete", () => ({
      ...concurrentInputs(24, n, (random, text) => {
        const first = randomWordInsert(random, text, 3, 9);
        const index = (first.edit as { index: number }).index;
        const after = first.text;
        if (after.length === index || random.bool()) return [first, randomWordInsert(random, after, 2, 10)];
        const length = random.int(1, Math.min(9, after.length - index));
        return [first, { edit: remove(index, length), text: after.slice(0, index) + after.slice(index + length) }];
      }),
      exactLength: false, // Concurrent deletes of the same characters overlap.
    })),
  ];
}

/** The B3 workloads: 20·⌊√N⌋ users each make one change. */
function b3Workloads(n: number): Workload[] {
  const users = 20 * Math.floor(Math.sqrt(n));
  const map = "n/a (text-only adapter: map)";
  return [
    { id: "B3.1", title: `${users} clients concurrently set number in Map`, unsupported: map, run: unsupportedRun },
    { id: "B3.3", title: `${users} clients concurrently set String in Map`, unsupported: map, run: unsupportedRun },
    {
      id: "B3.4",
      title: `${users} clients concurrently insert text in Array`,
      unsupported: "n/a (text-only adapter: array)",
      run: unsupportedRun,
    },
    {
      id: "B3.5",
      title: `${users} clients concurrently insert text`,
      run: (adapter, deadline) => {
        let length = 0;
        for (let user = 0; user < users; user++) length += String(user).length;
        return runManyUsers(adapter, users, (user) => [insert(0, String(user))], { length }, deadline);
      },
    },
  ];
}

/** The first `limit` transactions of a trace, with the text they produce. */
function truncate(trace: SequentialTrace, limit: number): SequentialTrace {
  if (trace.txns.length <= limit) return trace;
  const txns = trace.txns.slice(0, limit);
  let text = trace.startContent;
  for (const txn of txns) {
    for (const [position, deleteCount, inserted] of txn.patches) {
      text = text.slice(0, position) + inserted + text.slice(position + deleteCount);
    }
  }
  return { ...trace, txns, endContent: text };
}

/** A sequential trace replay, with or without one update per transaction. */
function traceWorkload(id: string, title: string, load: () => SequentialTrace, withUpdates: boolean): Workload {
  const input = lazy(() => {
    const trace = load();
    return { steps: stepsOf(trace), expected: { text: trace.endContent } };
  });
  return {
    id,
    title,
    run: (adapter, deadline) =>
      withUpdates
        ? runWithUpdates(adapter, input().steps, input().expected, deadline)
        : runLocally(adapter, input().steps, input().expected, deadline),
  };
}

/** A concurrent trace replay. */
function concurrentWorkload(id: string, title: string, load: () => ConcurrentTrace): Workload {
  const trace = lazy(load);
  return { id, title, run: (adapter, deadline) => runConcurrentTrace(adapter, trace(), deadline) };
}

/** The trace workloads. */
function traceWorkloads(options: WorkloadOptions): Workload[] {
  const limit = options.traceLimit;
  const limited = (name: string) => () => truncate(sequentialTrace(name), limit);
  const suffix = Number.isFinite(limit) ? ` (first ${limit} txns)` : "";
  const paper = lazy(limited("automerge-paper"));
  const workloads: Workload[] = [
    traceWorkload("B4", `automerge-paper: one update per edit, applied to a 2nd replica${suffix}`, paper, true),
    traceWorkload("B4-local", `automerge-paper replayed locally, no updates${suffix}`, paper, false),
  ];
  for (const name of sequentialTraceNames()) {
    workloads.push(traceWorkload(`B4x.${name}`, `${name} replayed locally${suffix}`, limited(name), false));
  }
  workloads.push(
    concurrentWorkload("B4c.clownschool", "clownschool (3 agents, concurrent): fork at parents, flush/apply, final diff sync", () =>
      concurrentTrace("clownschool"),
    ),
  );
  for (const file of options.traceFiles) {
    const loaded = lazy(() => loadTraceFile(file));
    const name = file.replace(/^.*\//, "").replace(/\.json\.gz$/, "");
    workloads.push({
      id: `trace.${name}`,
      title: `${file} (local replay, or concurrent replay for a concurrent trace)`,
      run: (adapter, deadline) => {
        const traceFile = loaded();
        if (traceFile.kind === "concurrent") return runConcurrentTrace(adapter, traceFile.trace, deadline);
        const trace = truncate(traceFile.trace, limit);
        return runLocally(adapter, stepsOf(trace), { text: trace.endContent }, deadline);
      },
    });
  }
  return workloads;
}

/** Placeholder run of an unsupported workload; never called by the runner. */
function unsupportedRun(): RunOutcome {
  throw new Error("unsupported workload");
}

/** Every workload, in table order. */
export function buildWorkloads(options: WorkloadOptions): Workload[] {
  return [...b1Workloads(options.n), ...b2Workloads(options.n), ...b3Workloads(options.n), ...traceWorkloads(options)];
}

/** Whether `id` is selected by an `--only` token: the id itself or an id under it (`B1` → `B1.4`). */
export function matchesSelector(id: string, token: string): boolean {
  return id === token || id.startsWith(`${token}.`);
}
