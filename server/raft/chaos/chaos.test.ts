/**
 * A short chaos run as part of the test command: 3 real node processes behind link proxies, kills,
 * pauses and cut links, then "every acknowledged merge is on every node" and "the client history is
 * linearizable per document" (Herlihy & Wing; checked with server/raft/check).
 *
 * CHAOS_SECONDS sets the length (default 15; the issue asks for 60), CHAOS_SEED the schedule
 * (default 1). A failure prints the summary with the seed and the rerun command.
 */
import { describe, expect, it } from 'vitest';
import { runChaos, summarize } from './chaos';

const seconds = Number(process.env.CHAOS_SECONDS ?? 15);
const seed = Number(process.env.CHAOS_SEED ?? 1);

describe('chaos against real node processes', () => {
  it(
    `acknowledged merges survive kills, pauses and partitions, and the history is linearizable (${seconds} s, seed ${seed})`,
    async () => {
      const report = await runChaos({ seconds, seed, log: () => undefined });
      const line = summarize(report);
      expect(report.ok, line).toBe(true);
      expect(report.counts.acknowledged).toBeGreaterThan(0);
      expect(report.faults.kill + report.faults.pause + report.faults.cut).toBeGreaterThan(0);
    },
    seconds * 1000 + 180_000,
  );
});
