/**
 * Measuring one workload on one library: a warm-up run and N measured runs, each on fresh replicas,
 * with the event loop turned and the GC run between runs (wasm peers free memory only then).
 *
 * A timed section under `SHORT_RUN_MS` is repeated `SHORT_RUN_REPEATS` times within its run (fresh
 * replicas each time, no forced GC between) and the run's time is their median; the first repeat,
 * right after the GC, is reported beside it as the cold time.
 *
 * Per run, after the workload's own timed section: encode the final document (encode time, size),
 * load it into a new replica (`load` time, heap held), and merge it into an empty replica
 * (`create` + `apply(state)` time).
 *
 * Heap held by the loaded document: after the timed load and merge, the growth of `heapUsed` while
 * `HEAP_COPIES` more replicas loaded from the state are alive, divided by their number. Each side
 * is the median of several readings, each after a full GC and an event-loop turn (wasm finalizers
 * run then): V8's used-heap figure swings by 50-200 kB between back-to-back GCs of an idle heap,
 * and a few copies and medians bring that down to a few kB. It is measured after the timed parts,
 * so its many GCs do not age the load code out of the timed load. `external` is the growth of
 * `external` over the timed load, which is where a wasm library's linear memory shows (only its
 * growth: wasm memory never shrinks, so once an earlier run has grown it, a later load may read
 * near 0).
 */
import type { TextCrdtAdapter, TextReplica } from "../adapters/types";
import { Deadline, expectText, TextMismatchError, TimeoutError } from "./scenarios";
import type { Workload } from "./workloads";

/** The metrics of one run. `null` = not applicable (e.g. no updates sent, no GC exposed). */
export interface RunMetrics {
  /** The workload's timed section; for a short one, the median of its `SHORT_RUN_REPEATS` repeats. */
  time: number;
  /** A repeated short run: its first repeat, right after the full GC. Null when not repeated. */
  coldTime: number | null;
  avgUpdate: number | null;
  docSize: number;
  encodeTime: number;
  loadTime: number;
  mergeTime: number;
  heap: number | null;
  external: number | null;
}

export type MetricName = keyof RunMetrics;

/** Table order, labels and units of the metrics. */
export const METRICS: readonly { readonly name: MetricName; readonly label: string; readonly unit: "ms" | "bytes"; readonly fallback?: MetricName }[] = [
  { name: "time", label: "time", unit: "ms" },
  // A cell whose runs were not repeated shows its time here: a single run is the first after the GC.
  { name: "coldTime", label: "time, first run after a full GC", unit: "ms", fallback: "time" },
  { name: "avgUpdate", label: "avg update size", unit: "bytes" },
  { name: "docSize", label: "doc size (encode)", unit: "bytes" },
  { name: "encodeTime", label: "encode time", unit: "ms" },
  { name: "loadTime", label: "load time", unit: "ms" },
  { name: "mergeTime", label: "merge state into empty replica", unit: "ms" },
  { name: "heap", label: "heap held by loaded doc", unit: "bytes" },
  { name: "external", label: "external (wasm) growth on load", unit: "bytes" },
];

/** median, min and max of a metric over the measured runs. */
export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly runs: number;
}

/** The outcome of one workload on one library. */
export type Cell =
  | { readonly status: "ok"; readonly runs: number; readonly metrics: Partial<Record<MetricName, Summary>> }
  | { readonly status: "unsupported" | "missing" | "error" | "timeout" | "mismatch"; readonly message: string };

/** How many runs, and the caps that keep a slow library from stalling the whole benchmark. */
export interface MeasureOptions {
  readonly runs: number;
  readonly warmup: number;
  /** A single run longer than this becomes a "timeout" cell. */
  readonly timeoutMs: number;
  /** No new run starts once warm-up + runs have taken this long (at least one run is measured). */
  readonly budgetMs: number;
  /** Progress lines (stderr). */
  readonly log: (line: string) => void;
}

/**
 * A timed section shorter than this is repeated: one run of a few hundred microseconds right after
 * the forced full GC mostly measures the cache misses that GC left behind (the same run takes
 * 2-3x longer than when repeated), and it swings by 2x between runs.
 */
export const SHORT_RUN_MS = 1;

/**
 * How many times a short run is repeated, each on fresh replicas with its untimed set-up, with no
 * GC forced between repeats; its time is their median. What benchmark harnesses do for
 * microsecond operations (benchmark.js, mitata); the first repeat is kept as `coldTime`.
 */
export const SHORT_RUN_REPEATS = 25;

/** The replica id of the replicas that load or merge the encoded document. */
const LOADER_ID = 0x7ffffff0;

type GcFunction = () => void;

/** The GC, when node runs with --expose-gc. */
export function exposedGc(): GcFunction | undefined {
  const gc = (globalThis as { gc?: unknown }).gc;
  return typeof gc === "function" ? (gc as GcFunction) : undefined;
}

/** Turns the event loop (wasm finalizers run) and collects garbage twice. */
async function settle(): Promise<void> {
  await turnEventLoop();
  const gc = exposedGc();
  if (gc !== undefined) {
    gc();
    await turnEventLoop();
    gc();
  }
}

function turnEventLoop(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

/** Readings per heap figure (odd: the median is one of them). */
const HEAP_READINGS = 7;

/** How many untimed loaded replicas are alive when the heap is read (one when a load is slow). */
const HEAP_COPIES = 4;

/** A load slower than this is not repeated for the heap figure. */
const HEAP_COPY_LIMIT_MS = 1000;

/** The median of `HEAP_READINGS` readings of `heapUsed`, each after a full GC and an event-loop turn. */
async function settledMemory(gc: GcFunction): Promise<{ heapUsed: number }> {
  const heap: number[] = [];
  await turnEventLoop();
  for (let i = 0; i < HEAP_READINGS; i++) {
    gc();
    await turnEventLoop();
    heap.push(process.memoryUsage().heapUsed);
  }
  return { heapUsed: median(heap) };
}

/** The median (mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * What a run leaves alive until the next run of its cell has finished: its final, loaded and
 * merged replicas. V8 holds the hidden classes ("maps") of objects only while some object uses
 * them, and optimised code that checks a map is thrown away when that map dies ("weak objects").
 * If every replica of run k were dead at the forced GC before run k + 1, each run would start on
 * freshly made maps with all optimised code discarded: the warm-up would warm nothing, and every
 * figure would be a cold-start figure. An application with a document open keeps its maps alive,
 * so each run keeps the previous run's replicas alive (the same for every library). The heap
 * figure is unaffected: they are alive on both sides of it.
 */
type Survivors = readonly TextReplica[];

/** One run: the workload, then encode, load (with heap) and merge of its final document. */
async function runOnce(workload: Workload, adapter: TextCrdtAdapter, timeoutMs: number, keep: (survivors: Survivors) => void): Promise<RunMetrics> {
  const outcome = workload.run(adapter, new Deadline(timeoutMs));
  const document: TextReplica = outcome.document;
  let time = outcome.timeMs;
  let coldTime: number | null = null;
  if (outcome.timeMs < SHORT_RUN_MS) {
    const times = [outcome.timeMs];
    for (let i = 1; i < SHORT_RUN_REPEATS; i++) times.push(workload.run(adapter, new Deadline(timeoutMs)).timeMs);
    time = median(times);
    coldTime = outcome.timeMs;
  }

  let start = performance.now();
  const state = document.encode();
  const encodeTime = performance.now() - start;

  await settle();
  const gc = exposedGc();
  const before = process.memoryUsage();
  start = performance.now();
  const loaded = adapter.load(state, LOADER_ID);
  const loadTime = performance.now() - start;
  await settle();
  const after = process.memoryUsage();
  expectText("loaded replica", loaded.text(), { text: outcome.text }); // Also keeps `loaded` alive until here.

  start = performance.now();
  const merged = adapter.create(LOADER_ID + 1);
  merged.apply(state);
  const mergeTime = performance.now() - start;
  expectText("replica merged from the state", merged.text(), { text: outcome.text });
  keep([document, loaded, merged]);

  return {
    time,
    coldTime,
    avgUpdate: outcome.updates === null || outcome.updates.count === 0 ? null : outcome.updates.bytes / outcome.updates.count,
    docSize: state.length,
    encodeTime,
    loadTime,
    mergeTime,
    heap: gc === undefined ? null : await heapPerLoadedCopy(adapter, state, outcome.text, loadTime, gc),
    external: gc === undefined ? null : after.external - before.external,
  };
}

/**
 * The heap one loaded replica holds: the growth of the settled `heapUsed` while `HEAP_COPIES`
 * fresh replicas loaded from `state` (untimed, after the timed load and merge) are alive, divided
 * by their number. Everything else alive (the source document, the timed replicas) is alive on
 * both sides.
 */
async function heapPerLoadedCopy(adapter: TextCrdtAdapter, state: Uint8Array, text: string, loadTime: number, gc: GcFunction): Promise<number> {
  const before = await settledMemory(gc);
  const count = loadTime < HEAP_COPY_LIMIT_MS ? HEAP_COPIES : 1;
  const copies: TextReplica[] = [];
  for (let i = 0; i < count; i++) copies.push(adapter.load(state, LOADER_ID - 1 - i));
  const after = await settledMemory(gc);
  for (const copy of copies) expectText("loaded replica", copy.text(), { text }); // Also keeps the copies alive until here.
  return (after.heapUsed - before.heapUsed) / copies.length;
}

/** Summarises each metric over the runs (metrics that are null in every run are left out). */
function summarise(runs: readonly RunMetrics[]): Partial<Record<MetricName, Summary>> {
  const metrics: Partial<Record<MetricName, Summary>> = {};
  for (const { name } of METRICS) {
    const values = runs.map((run) => run[name]).filter((value): value is number => value !== null);
    if (values.length === 0) continue;
    metrics[name] = { median: median(values), min: Math.min(...values), max: Math.max(...values), runs: values.length };
  }
  return metrics;
}

/** Measures one workload on one library; never throws (failures become cells). */
export async function measureCell(workload: Workload, adapter: TextCrdtAdapter, options: MeasureOptions): Promise<Cell> {
  if (workload.unsupported !== undefined) return { status: "unsupported", message: workload.unsupported };
  const cellStart = performance.now();
  const runs: RunMetrics[] = [];
  const total = options.warmup + options.runs;
  // The replicas of the previous run, alive until this run has kept its own (see `Survivors`).
  let survivors: Survivors = [];
  const keep = (next: Survivors): void => {
    survivors = next;
  };
  for (let i = 0; i < total; i++) {
    const warm = i < options.warmup;
    if (!warm && runs.length > 0 && performance.now() - cellStart > options.budgetMs) {
      options.log(`  ${adapter.name} ${workload.id}: budget of ${Math.round(options.budgetMs / 1000)} s spent, stopping after ${runs.length} run(s)`);
      break;
    }
    await settle();
    try {
      const metrics = await runOnce(workload, adapter, options.timeoutMs, keep);
      if (!warm) runs.push(metrics);
      options.log(`  ${adapter.name} ${workload.id} ${warm ? "warm-up" : `run ${runs.length}/${options.runs}`}: ${metrics.time.toFixed(1)} ms`);
    } catch (error) {
      if (error instanceof TimeoutError) return { status: "timeout", message: `timeout (> ${Math.round(error.limitMs / 1000)} s)` };
      if (error instanceof TextMismatchError) return { status: "mismatch", message: `WRONG TEXT: ${error.message}` };
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      return { status: "error", message: `error: ${message}` };
    }
  }
  survivors = [];
  await settle();
  return { status: "ok", runs: runs.length, metrics: summarise(runs) };
}
