/**
 * The Raft benchmark (`npm run bench:raft`): Tandem's 3-node persistence group against a 3-member
 * etcd cluster in the same run: sequential 4 KB writes (p50/p99), throughput with 16 writes in
 * flight, and failover (SIGKILL the leader, time to the next successful write, median of N).
 *
 *   npx tsx bench/raft/main.ts [--only tandem|etcd] [--warmup N] [--writes N] [--failovers N] [--json]
 *
 * Prints a table (ours, etcd's, the ratio) on stdout, progress on stderr; `--json` prints exactly
 * one line instead: {"tandem":{"p50Ms":…,"p99Ms":…,"writesPerSec":…,"failoverMedianMs":…},"etcd":{…}}.
 */
import { execFileSync, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProcessSupervisor } from '../../server/raft/chaos/processes';
import { EtcdTarget } from './etcd';
import { measureTarget, type BenchPlan, type BenchTarget, type Figures } from './stats';
import { TandemTarget } from './tandem';

/** Command-line options. */
interface Options {
  readonly only: Side | undefined;
  readonly warmup: number;
  readonly writes: number;
  readonly failovers: number;
  readonly json: boolean;
}

/**
 * Sequential writes before the measured ones. Long enough for a Node process to reach its steady
 * state: over the first ~1,000 writes of a fresh node, V8 is still compiling its hot paths (on
 * helper threads that take the same 2 cores) and p50 falls by a third. Both systems get the same
 * warm-up; a compiled etcd needs none, so it does not change etcd's figures.
 */
const DEFAULT_WARMUP = 2000;

/** A bad command line. */
class UsageError extends Error {
  override readonly name = 'UsageError';
}

function parseOptions(argv: readonly string[]): Options {
  let only: Options['only'];
  let warmup = DEFAULT_WARMUP;
  let writes = 1000;
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
    else if (flag === '--warmup') warmup = positiveInt(flag, argv[++i]);
    else if (flag === '--failovers') failovers = positiveInt(flag, argv[++i]);
    else if (flag === '--only') {
      const value = argv[++i];
      if (value !== 'tandem' && value !== 'etcd') throw new UsageError(`--only takes tandem or etcd, got ${value}`);
      only = value;
    } else throw new UsageError(`unknown option ${flag}`);
  }
  return { only, warmup, writes, failovers, json };
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
    await settleDisk(plan.log);
  }
}

/**
 * Writes back what the target left in the page cache (tens of MB of log and database it has just
 * deleted or not) before the next target starts, so that the disk's write-back does not fall into
 * the next target's fsyncs: the second system measured must not pay for the first.
 */
async function settleDisk(log: (line: string) => void): Promise<void> {
  try {
    execFileSync('sync', { stdio: 'ignore', timeout: 30_000 });
  } catch (error) {
    log(`bench:raft: sync failed (${(error as Error).message}); the next target may see the disk busy`);
  }
  await sleep(1_000);
}

type Side = 'tandem' | 'etcd';
const SIDES: readonly Side[] = ['tandem', 'etcd'];

/** How each side's target starts. */
const START: Record<Side, (supervisor: ProcessSupervisor, log: (line: string) => void) => Promise<BenchTarget>> = {
  tandem: (supervisor, log) => TandemTarget.start(supervisor, log),
  etcd: (supervisor, log) => EtcdTarget.start(supervisor, log),
};

/**
 * Runs this program again for one side (`--only side --json`, with the same plan) and returns its
 * figures. Its progress goes to our stderr; SIGINT reaches it through the process group.
 */
function measureInChild(side: Side, options: Options): Promise<Figures> {
  const plan = ['--warmup', options.warmup, '--writes', options.writes, '--failovers', options.failovers].map(String);
  const args = [...process.execArgv, process.argv[1]!, ...plan, '--only', side, '--json'];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0) return reject(new Error(`the ${side} run exited with ${signal ?? `code ${code}`}`));
      try {
        const figures = (JSON.parse(out) as Partial<Record<Side, Figures>>)[side];
        if (figures === undefined) throw new Error(`no ${side} figures`);
        resolve(figures);
      } catch (error) {
        reject(new Error(`the ${side} run printed no figures: ${(error as Error).message}: ${out.slice(0, 200)}`));
      }
    });
  });
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const plan: BenchPlan = {
    warmup: options.warmup,
    writes: options.writes,
    throughputWrites: options.writes * 4,
    throughputMaxMs: 30_000,
    inFlight: 16,
    failovers: options.failovers,
    failoverMaxMs: 15_000,
    log,
  };
  const results: Partial<Record<Side, Figures>> = {};
  if (options.only === undefined) {
    // Each side from a fresh benchmark process, so that the side measured second does not pay for
    // the client state the first left behind (bench/raft/README.md).
    for (const side of SIDES) results[side] = await measureInChild(side, options);
  } else {
    const supervisor = new ProcessSupervisor();
    const start = START[options.only];
    try {
      results[options.only] = await runTarget(() => start(supervisor, log), plan);
    } finally {
      await supervisor.dispose();
    }
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
