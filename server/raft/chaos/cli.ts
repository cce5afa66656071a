/**
 * `npm run chaos:raft -- --seconds N [--seed S] [--clients C] [--docs D] [--quiet] [--planted-stale-reads]`: one chaos run
 * against 3 real node processes (see chaos.ts). Progress on stderr; one summary line on stdout;
 * exit 0 when every check passed, 1 on any violation (the line carries the seed to rerun), 2 on a
 * bad command line.
 */
import { randomInt } from 'node:crypto';
import { runChaos, summarize } from './chaos';

/** A bad command line. */
class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Parsed command line. */
interface Args {
  readonly seconds: number;
  readonly seed: number;
  readonly clients: number;
  readonly docs: number;
  readonly quiet: boolean;
  /** Read stale from random nodes: a planted weakness the checks must report. */
  readonly stale: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  let seconds = 60;
  let seed = randomInt(1, 0x7fffffff);
  let clients = 4;
  let docs = 3;
  let quiet = false;
  let stale = false;
  const integer = (flag: string, value: string | undefined, min: number): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min) throw new UsageError(`${flag} needs an integer >= ${min}, got ${value}`);
    return parsed;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--seconds') seconds = integer(flag, argv[++i], 1);
    else if (flag === '--seed') seed = integer(flag, argv[++i], 0);
    else if (flag === '--clients') clients = integer(flag, argv[++i], 1);
    else if (flag === '--docs') docs = integer(flag, argv[++i], 1);
    else if (flag === '--quiet') quiet = true;
    else if (flag === '--planted-stale-reads') stale = true;
    else throw new UsageError(`unknown option ${flag}`);
  }
  return { seconds, seed, clients, docs, quiet, stale };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const log = args.quiet ? () => undefined : (line: string) => void process.stderr.write(`${line}\n`);
  const report = await runChaos({
    seconds: args.seconds,
    seed: args.seed,
    clients: args.clients,
    docs: args.docs,
    readConsistency: args.stale ? 'stale' : 'linearizable',
    log,
  });
  process.stdout.write(`${summarize(report)}\n`);
  process.exitCode = report.ok ? 0 : 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`chaos:raft: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = error instanceof UsageError ? 2 : 1;
});
