/**
 * The Raft benchmark's measurements, shared by every target: sequential write latency, throughput
 * with a fixed number of writes in flight, and failover time. A target is anything that can write
 * durably, find and SIGKILL its leader, and restart a member.
 */
import { delay } from '../../server/raft/chaos/processes';

/** One system under test (a running 3-member group and a client for it). */
export interface BenchTarget {
  readonly name: string;
  /** One durable ~4 KB write (`seq` makes it unique); rejects on failure or after `timeoutMs`. */
  write(seq: number, timeoutMs: number): Promise<void>;
  /**
   * Optional: builds the payloads of writes `firstSeq` .. `firstSeq + count - 1` ahead, before a
   * timed phase, so building the benchmark's input is not timed (the target's own work is).
   */
  prepare?(firstSeq: number, count: number): void;
  /** SIGKILLs the current leader; returns its member name. */
  killLeader(): Promise<string>;
  /** Restarts a killed member and waits until the group has a leader and takes writes again. */
  restart(member: string): Promise<void>;
  /** Stops everything (idempotent). */
  close(): Promise<void>;
}

/** The figures of one target; the keys of the `--json` line. */
export interface Figures {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly writesPerSec: number;
  readonly failoverMedianMs: number;
}

/** How much to measure. */
export interface BenchPlan {
  readonly warmup: number;
  /** Sequential writes measured. */
  readonly writes: number;
  /** Writes of the in-flight phase, and its time cap (ms). */
  readonly throughputWrites: number;
  readonly throughputMaxMs: number;
  readonly inFlight: number;
  readonly failovers: number;
  /** Give up a failover after this long (ms) without a successful write. */
  readonly failoverMaxMs: number;
  readonly log: (line: string) => void;
}

/** How often a new write is started while waiting for a failover to finish (ms). */
export const FAILOVER_PROBE_MS = 20;

/** The q-quantile (0..1) of a sample, nearest rank. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

/** Sequential writes after a warm-up: the latency of each. */
export async function measureSequential(target: BenchTarget, plan: BenchPlan, firstSeq: number): Promise<number[]> {
  target.prepare?.(firstSeq, plan.warmup + plan.writes);
  for (let i = 0; i < plan.warmup; i++) await target.write(firstSeq + i, 5_000);
  const latencies: number[] = [];
  for (let i = 0; i < plan.writes; i++) {
    const start = performance.now();
    await target.write(firstSeq + plan.warmup + i, 5_000);
    latencies.push(performance.now() - start);
  }
  return latencies;
}

/** `inFlight` workers writing until `throughputWrites` are done or the time cap: writes per second. */
export async function measureThroughput(target: BenchTarget, plan: BenchPlan, firstSeq: number): Promise<number> {
  target.prepare?.(firstSeq, plan.throughputWrites);
  let next = 0;
  let done = 0;
  const start = performance.now();
  const deadline = start + plan.throughputMaxMs;
  const worker = async (): Promise<void> => {
    while (next < plan.throughputWrites && performance.now() < deadline) {
      const seq = firstSeq + next++;
      await target.write(seq, 5_000);
      done++;
    }
  };
  await Promise.all(Array.from({ length: plan.inFlight }, worker));
  return done / ((performance.now() - start) / 1000);
}

/**
 * One failover: SIGKILL the leader, then start a write every `FAILOVER_PROBE_MS` (each with its own
 * timeout, so one stuck on the dead leader does not hide a later success) until one succeeds; the
 * figure is the time from the kill to that first success. Then restart the member.
 */
export async function measureFailover(target: BenchTarget, plan: BenchPlan, firstSeq: number): Promise<number> {
  await target.write(firstSeq, 5_000);
  const start = performance.now();
  const killed = await target.killLeader();
  let seq = firstSeq + 1;
  let firstSuccess = -1;
  const attempts: Promise<void>[] = [];
  let markSuccess = (): void => undefined;
  const succeeded = new Promise<void>((resolve) => (markSuccess = resolve));
  while (firstSuccess < 0 && performance.now() - start < plan.failoverMaxMs) {
    const attempt = target.write(seq++, 2_000).then(
      () => {
        if (firstSuccess < 0) firstSuccess = performance.now() - start;
        markSuccess();
      },
      () => undefined,
    );
    attempts.push(attempt);
    await Promise.race([succeeded, delay(FAILOVER_PROBE_MS)]);
  }
  await Promise.all(attempts);
  plan.log(`${target.name}: killed leader ${killed}, next write after ${firstSuccess < 0 ? 'never' : `${firstSuccess.toFixed(0)} ms`}`);
  await target.restart(killed);
  if (firstSuccess < 0) throw new Error(`${target.name}: no successful write within ${plan.failoverMaxMs} ms of killing the leader`);
  return firstSuccess;
}

/** Runs the three measurements on a started target. */
export async function measureTarget(target: BenchTarget, plan: BenchPlan): Promise<Figures> {
  plan.log(`${target.name}: ${plan.warmup} warm-up + ${plan.writes} sequential writes`);
  const latencies = await measureSequential(target, plan, 0);
  plan.log(`${target.name}: ${plan.throughputWrites} writes, ${plan.inFlight} in flight`);
  const writesPerSec = await measureThroughput(target, plan, 1_000_000);
  const failovers: number[] = [];
  for (let i = 0; i < plan.failovers; i++) {
    plan.log(`${target.name}: failover ${i + 1}/${plan.failovers}`);
    failovers.push(await measureFailover(target, plan, 2_000_000 + i * 100_000));
  }
  return {
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    writesPerSec,
    failoverMedianMs: quantile(failovers, 0.5),
  };
}
