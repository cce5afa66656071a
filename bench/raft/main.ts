/**
 * The Raft benchmark (`npm run bench:raft`): Tandem's 3-node persistence group against a 3-member
 * etcd cluster in the same run: sequential 4 KB writes (p50/p99), throughput with 16 writes in
 * flight, and failover (SIGKILL the leader, time to the next successful write, median of N).
 *
 *   npx tsx bench/raft/main.ts [--only tandem|etcd] [--writes N] [--failovers N] [--json]
 *
 * Prints a table (ours, etcd's, the ratio) on stdout, progress on stderr; `--json` prints exactly
 * one line instead: {"tandem":{"p50Ms":…,"p99Ms":…,"writesPerSec":…,"failoverMedianMs":…},"etcd":{…}}.
 */
import { ProcessSupervisor } from '../../server/raft/chaos/processes';
import { EtcdTarget } from './etcd';
import { measureTarget, type BenchPlan, type BenchTarget, type Figures } from './stats';
import { TandemTarget } from './tandem';

/** Command-line options. */
interface Options {
  readonly only: 'tandem' | 'etcd' | undefined;
  readonly writes: number;
  readonly failovers: number;
  readonly json: boolean;
}

/** A bad command line. */
class UsageError extends Error {
  override readonly name = 'UsageError';
}

function parseOptions(argv: readonly string[]): Options {
  let only: Options['only'];
  let writes = 500;
  let failovers = 5;
  let json = false;
  const positiveInt = (flag: string, value: string | undefined): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 1) throw new UsageError(`${flag} needs a positive integer, got ${value}`);
    return parsed;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--json') json = true;
    else if (flag === '--writes') writes = positiveInt(flag, argv[++i]);
    else if (flag === '--failovers') failovers = positiveInt(flag, argv[++i]);
    else if (flag === '--only') {
      const value = argv[++i];
      if (value !== 'tandem' && value !== 'etcd') throw new UsageError(`--only takes tandem or etcd, got ${value}`);
      only = value;
    } else throw new UsageError(`unknown option ${flag}`);
  }
  return { only, writes, failovers, json };
}

const ROWS: readonly { readonly key: keyof Figures; readonly label: string; readonly better: 'lower' | 'higher' }[] = [
  { key: 'p50Ms', label: 'sequential 4 KB write p50 (ms)', better: 'lower' },
  { key: 'p99Ms', label: 'sequential 4 KB write p99 (ms)', better: 'lower' },
  { key: 'writesPerSec', label: 'writes/s, 16 in flight', better: 'higher' },
  { key: 'failoverMedianMs', label: 'failover: kill leader → next write, median (ms)', better: 'lower' },
];

function format(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '–';
  return value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : Math.round(value).toLocaleString('en-US');
}

/** The markdown table: a row per metric; Tandem, etcd, and Tandem / etcd. */
export function renderTable(results: Partial<Record<'tandem' | 'etcd', Figures>>): string {
  const lines = ['| metric | Tandem | etcd 3.4 | Tandem / etcd |', '| --- | ---: | ---: | ---: |'];
  for (const row of ROWS) {
    const ours = results.tandem?.[row.key];
    const theirs = results.etcd?.[row.key];
    const ratio = ours !== undefined && theirs !== undefined && theirs > 0 ? `${(ours / theirs).toFixed(2)}×` : '–';
    lines.push(`| ${row.label} (${row.better} is better) | ${format(ours)} | ${format(theirs)} | ${ratio} |`);
  }
  return lines.join('\n');
}

/** Two decimals are plenty for milliseconds and writes per second. */
function roundTo(value: number): number {
  return Math.round(value * 100) / 100;
}

async function runTarget(start: () => Promise<BenchTarget>, plan: BenchPlan): Promise<Figures> {
  const target = await start();
  try {
    return await measureTarget(target, plan);
  } finally {
    await target.close();
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const plan: BenchPlan = {
    warmup: Math.min(100, Math.ceil(options.writes / 5)),
    writes: options.writes,
    throughputWrites: options.writes * 4,
    throughputMaxMs: 30_000,
    inFlight: 16,
    failovers: options.failovers,
    failoverMaxMs: 15_000,
    log,
  };
  const supervisor = new ProcessSupervisor();
  const results: Partial<Record<'tandem' | 'etcd', Figures>> = {};
  try {
    if (options.only !== 'etcd') results.tandem = await runTarget(() => TandemTarget.start(supervisor, log), plan);
    if (options.only !== 'tandem') results.etcd = await runTarget(() => EtcdTarget.start(supervisor, log), plan);
  } finally {
    await supervisor.dispose();
  }
  if (options.json) {
    const round = (figures: Figures): Figures => ({
      p50Ms: roundTo(figures.p50Ms),
      p99Ms: roundTo(figures.p99Ms),
      writesPerSec: roundTo(figures.writesPerSec),
      failoverMedianMs: roundTo(figures.failoverMedianMs),
    });
    const rounded = Object.fromEntries(Object.entries(results).map(([name, figures]) => [name, round(figures)]));
    process.stdout.write(`${JSON.stringify(rounded)}\n`);
    return;
  }
  process.stdout.write(
    `${renderTable(results)}\n\n3 members each on 127.0.0.1, heartbeat 50 ms, election timeout 300 ms; ` +
      `${options.writes} sequential writes after ${plan.warmup} warm-up, ${plan.throughputWrites} writes with ` +
      `${plan.inFlight} in flight (cap ${plan.throughputMaxMs / 1000} s), ${options.failovers} failovers.\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:raft failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exitCode = error instanceof UsageError ? 2 : 1;
});
