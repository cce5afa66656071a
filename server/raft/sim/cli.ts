/**
 * Runs the Raft simulation over a range of seeds:
 *   npx tsx server/raft/sim/cli.ts --seeds N [--first-seed S] [--nodes 3|5] [--ticks T]
 *                                  [--bug NAME]... [--shell-bug NAME] [--no-contract-check]
 * Prints one summary line; on a violation prints the failing seed and exits with status 1.
 */
import type { PlantedBugs } from '../core/types';
import type { ShellBug } from './node';
import { runSimulation } from './simulation';

export interface CliOptions {
  readonly seeds: number;
  readonly firstSeed: number;
  readonly nodes: 3 | 5;
  readonly ticks: number;
  readonly bugs?: PlantedBugs;
  readonly shellBug?: ShellBug;
  readonly checkContract: boolean;
}

const SHELL_BUG_NAMES = ['sendAllBeforePersist', 'leaderSkipsSync'] as const;
const BUG_NAMES = ['voteBeforePersist', 'commitPreviousTermByCounting', 'skipElectionRestriction', 'readIndexWithoutHeartbeat'] as const;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function parseArgs(argv: readonly string[]): CliOptions {
  let seeds = 100;
  let firstSeed = 1;
  let nodes: 3 | 5 = 3;
  let ticks = 300;
  let bugs: PlantedBugs | undefined;
  let shellBug: ShellBug | undefined;
  let checkContract = true;
  for (let k = 0; k < argv.length; k++) {
    const flag = argv[k];
    if (flag === '--no-contract-check') {
      checkContract = false;
      continue;
    }
    const value = argv[k + 1];
    const number = Number(value);
    switch (flag) {
      case '--seeds':
        seeds = number;
        break;
      case '--first-seed':
        firstSeed = number;
        break;
      case '--ticks':
        ticks = number;
        break;
      case '--nodes':
        if (number !== 3 && number !== 5) throw new UsageError('--nodes must be 3 or 5');
        nodes = number;
        break;
      case '--bug': {
        const name = BUG_NAMES.find((b) => b === value);
        if (!name) throw new UsageError(`--bug must be one of ${BUG_NAMES.join(', ')}`);
        bugs = { ...bugs, [name]: true };
        break;
      }
      case '--shell-bug': {
        const name = SHELL_BUG_NAMES.find((b) => b === value);
        if (!name) throw new UsageError(`--shell-bug must be one of ${SHELL_BUG_NAMES.join(', ')}`);
        shellBug = name;
        break;
      }
      default:
        throw new UsageError(`unknown argument ${flag}`);
    }
    k++;
    if (flag !== '--bug' && flag !== '--shell-bug' && !Number.isInteger(number)) throw new UsageError(`${flag} needs an integer`);
  }
  return { seeds, firstSeed, nodes, ticks, checkContract, ...(bugs ? { bugs } : {}), ...(shellBug ? { shellBug } : {}) };
}

export interface Summary {
  readonly line: string;
  readonly failingSeed?: number;
  /** Totals over the seeds run, to show which paths a run exercised. */
  readonly totals: { readonly earlySends: number; readonly asyncSyncs: number; readonly crashesBeforeSync: number; readonly connectionLost: number; readonly acknowledged: number };
}

/** The command-line arguments that replay exactly one seed of a run. */
function rerunArgs(o: CliOptions, seed: number): string {
  const bugs = Object.keys(o.bugs ?? {}).map((b) => ` --bug ${b}`).join('');
  const shell = o.shellBug ? ` --shell-bug ${o.shellBug}` : '';
  return `--seeds 1 --first-seed ${seed} --nodes ${o.nodes} --ticks ${o.ticks}${bugs}${shell}${o.checkContract ? '' : ' --no-contract-check'}`;
}

export function runSeeds(o: CliOptions): Summary {
  const started = performance.now();
  let checks = 0;
  let acknowledged = 0;
  let reads = 0;
  let leaders = 0;
  let earlySends = 0;
  let asyncSyncs = 0;
  let crashesBeforeSync = 0;
  let connectionLost = 0;
  for (let seed = o.firstSeed; seed < o.firstSeed + o.seeds; seed++) {
    const result = runSimulation({ seed, nodes: o.nodes, ticks: o.ticks, checkContract: o.checkContract, ...(o.bugs ? { bugs: o.bugs } : {}), ...(o.shellBug ? { shellBug: o.shellBug } : {}) });
    checks += result.checks;
    acknowledged += result.acknowledged;
    reads += result.reads;
    leaders += result.leaders;
    earlySends += result.earlySends;
    asyncSyncs += result.asyncSyncs;
    crashesBeforeSync += result.crashesBeforeSync;
    connectionLost += result.connectionLost;
    if (result.violation) {
      return {
        line: `FAIL seed=${seed} nodes=${o.nodes} tick=${result.tick}: ${result.violation.message} (rerun: ${rerunArgs(o, seed)})`,
        failingSeed: seed,
        totals: { earlySends, asyncSyncs, crashesBeforeSync, connectionLost, acknowledged },
      };
    }
  }
  const ms = Math.round(performance.now() - started);
  return {
    line: `ok seeds=${o.firstSeed}..${o.firstSeed + o.seeds - 1} nodes=${o.nodes} ticks=${o.ticks} checks=${checks} leaders=${leaders} acknowledged=${acknowledged} reads=${reads} earlySends=${earlySends} asyncSyncs=${asyncSyncs} crashesBeforeSync=${crashesBeforeSync} connectionLost=${connectionLost} in ${ms} ms`,
    totals: { earlySends, asyncSyncs, crashesBeforeSync, connectionLost, acknowledged },
  };
}

function main(): void {
  try {
    const summary = runSeeds(parseArgs(process.argv.slice(2)));
    console.log(summary.line);
    process.exitCode = summary.failingSeed === undefined ? 0 : 1;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(e.message);
      process.exitCode = 2;
      return;
    }
    throw e;
  }
}

if (process.argv[1]?.endsWith('cli.ts')) main();
