/**
 * A chaos run against real node processes: 3 nodes whose Raft links all pass through LinkProxies,
 * clients merging (a unique tag per merge) and reading linearizably, and a seeded fault schedule
 * (SIGKILL + restart, SIGSTOP/SIGCONT, links cut one way or both, by reset or blackhole). At the
 * end everything is healed and the run checks:
 *
 * 1. durability and convergence: after a barrier merge is applied everywhere, a stale read on every
 *    node holds every acknowledged merge and no tag that was never sent, and all nodes agree;
 * 2. linearizability of the whole client history per document under the document-store model
 *    (`server/raft/check`).
 */
import { decodeStateVector, Doc } from '../../../lib/crdt';
import { checkLinearizable } from '../check/linearizability';
import { docStoreModel } from '../check/models';
import { RaftClient, RaftInvalidUpdateError, RaftRequestError } from '../client';
import { SeededRandom } from '../core/random';
import { LocalCluster } from './cluster';
import { describeFault, nextFaultAction, type Fault } from './faults';
import { HistoryRecorder, type HistoryCounts } from './history';
import { delay, ProcessSupervisor, waitFor } from './processes';

/** What to run. */
export interface ChaosOptions {
  readonly seconds: number;
  readonly seed: number;
  /** Concurrent clients (default 4) and documents (default 3). */
  readonly clients?: number;
  readonly docs?: number;
  /**
   * How the workload reads: `linearizable` (the product's reads), or `stale` from a random node,
   * a planted weakness that shows the checks catch stale reads (`--planted-stale-reads`).
   */
  readonly readConsistency?: 'linearizable' | 'stale';
  /** Budget of the linearizability check (ms); default 60 000. */
  readonly checkTimeoutMs?: number;
  readonly log: (line: string) => void;
}

/** What a run found. */
export interface ChaosReport {
  readonly seed: number;
  readonly seconds: number;
  readonly counts: HistoryCounts;
  readonly faults: Readonly<Record<Fault['kind'], number>>;
  /** Every broken property, readable; empty when the run passed. */
  readonly violations: readonly string[];
  readonly linearizability: 'linearizable' | 'not-linearizable' | 'unknown' | 'not checked';
  readonly checkMs: number;
  readonly ok: boolean;
  /** The flags that rerun this schedule. */
  readonly rerun: string;
}

const BARRIER_CLIENT = 999;
/** Replica ids (= tags) are client * TAG_STRIDE + n + 1, unique within a run. */
const TAG_STRIDE = 1_000_000;

/** A small fresh update whose only replica is `replicaId`: its presence shows in version vectors. */
function makeTaggedUpdate(replicaId: number): Uint8Array {
  const doc = new Doc({ replicaId });
  doc.getText('body').insert(0, `<${replicaId}>`);
  return doc.encode();
}

/** The tags (replica ids) a version vector covers. */
function tagsOf(versionVector: Uint8Array): Set<string> {
  if (versionVector.length === 0) return new Set();
  return new Set([...decodeStateVector(versionVector).keys()].map(String));
}

/** True for errors that prove the merge was never proposed. */
function surelyRefused(error: unknown): boolean {
  if (error instanceof RaftInvalidUpdateError) return true;
  return error instanceof RaftRequestError && ['badRequest', 'invalidUpdate', 'tooLarge', 'notFound'].includes(error.code);
}

/** Runs one chaos run and returns its report (it never throws for a violation). */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const clients = options.clients ?? 4;
  const docIds = Array.from({ length: options.docs ?? 3 }, (_, k) => `chaos-${k}`);
  const random = new SeededRandom(options.seed);
  const faultRandom = random.fork();
  const recorder = new HistoryRecorder();
  const faults: Record<Fault['kind'], number> = { kill: 0, pause: 0, cut: 0 };
  const violations: string[] = [];
  let linearizability: ChaosReport['linearizability'] = 'not checked';
  let checkMs = 0;
  const supervisor = new ProcessSupervisor();
  let cluster: LocalCluster | undefined;
  const raftClients: RaftClient[] = [];
  try {
    cluster = await LocalCluster.start(supervisor, {
      size: 3,
      proxies: true,
      nodeFlags: ['--request-timeout-ms', '2000'],
      log: options.log,
    });
    const group = cluster;
    options.log(`chaos: seed ${options.seed}, 3 nodes up (clients at ${group.clientAddresses.join(', ')}), running ${options.seconds} s`);
    const stopAt = performance.now() + options.seconds * 1000;

    const worker = async (index: number): Promise<void> => {
      const own = random.fork();
      const client = new RaftClient({ nodes: group.clientAddresses, requestTimeoutMs: 700, deadlineMs: 2000, random: () => own.nextFloat() });
      raftClients.push(client);
      let n = 0;
      while (performance.now() < stopAt) {
        const docId = own.pick(docIds);
        if (own.chance(0.5)) {
          const replicaId = index * TAG_STRIDE + ++n;
          const op = recorder.beginMerge(index, docId, String(replicaId));
          try {
            await client.merge(docId, makeTaggedUpdate(replicaId));
            op.ok();
          } catch (error) {
            if (surelyRefused(error)) op.failed();
            else op.unknown();
          }
        } else {
          const op = recorder.beginRead(index, docId);
          try {
            const read =
              options.readConsistency === 'stale'
                ? await client.get(docId, { consistency: 'stale', node: own.pick(group.clientAddresses) })
                : await client.get(docId, { consistency: 'linearizable' });
            op.ok(tagsOf(read.versionVector));
          } catch {
            op.failed();
          }
        }
        await delay(own.nextInt(10));
      }
    };

    const faultLoop = async (): Promise<void> => {
      let active: Fault[] = [];
      const policy = { nodes: group.ids, maxActive: 2, healChance: 0.45 };
      while (performance.now() < stopAt - 300) {
        await delay(200 + faultRandom.nextInt(900));
        const action = nextFaultAction(faultRandom, active, policy);
        if (action.kind === 'none') continue;
        const fault = action.fault;
        options.log(`chaos: ${action.kind} ${describeFault(fault)}`);
        if (action.kind === 'inject') {
          faults[fault.kind]++;
          active = [...active, fault];
        } else {
          active = active.filter((f) => f !== fault);
        }
        const healing = action.kind === 'heal';
        switch (fault.kind) {
          case 'kill':
            if (healing) group.restart(fault.node);
            else await group.kill(fault.node);
            break;
          case 'pause':
            if (healing) group.resume(fault.node);
            else group.pause(fault.node);
            break;
          case 'cut': {
            const mode = healing ? 'open' : fault.mode;
            group.setLink(fault.from, fault.to, mode);
            if (fault.bothWays) group.setLink(fault.to, fault.from, mode);
            break;
          }
        }
      }
    };

    await Promise.all([...Array.from({ length: clients }, (_, k) => worker(k)), faultLoop()]);
    options.log(`chaos: load done (${recorder.counts().operations} operations); healing`);
    group.healAll();
    await verifyAfterHeal(group, recorder, docIds, violations, options.log);
  } catch (error) {
    violations.push(`run failed: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    for (const client of raftClients) client.close();
    await cluster?.close().catch(() => undefined);
    await supervisor.dispose();
  }

  if (recorder.counts().operations > 0) {
    const started = performance.now();
    const result = checkLinearizable(docStoreModel, recorder.history(), { timeoutMs: options.checkTimeoutMs ?? 60_000 });
    checkMs = performance.now() - started;
    linearizability = result.verdict;
    if (result.verdict === 'not-linearizable') violations.push(`history ${result.counterexample.message}`);
    if (result.verdict === 'unknown') violations.push(`linearizability check inconclusive: ${result.reason}`);
  }
  const counts = recorder.counts();
  if (counts.acknowledged === 0) violations.push('no merge was acknowledged during the whole run');
  const rerun =
    `--seconds ${options.seconds} --seed ${options.seed} --clients ${clients} --docs ${docIds.length}` +
    (options.readConsistency === 'stale' ? ' --planted-stale-reads' : '');
  return { seed: options.seed, seconds: options.seconds, counts, faults, violations, linearizability, checkMs, ok: violations.length === 0, rerun };
}

/**
 * After the heal: a barrier merge per document (recorded), every node applies past the barrier, then
 * a stale read per node and document must hold every acknowledged tag, no unknown tag, and agree.
 */
async function verifyAfterHeal(
  group: LocalCluster,
  recorder: HistoryRecorder,
  docIds: readonly string[],
  violations: string[],
  log: (line: string) => void,
): Promise<void> {
  await group.waitForLeader(30_000);
  const client = new RaftClient({ nodes: group.clientAddresses, requestTimeoutMs: 2000, deadlineMs: 10_000 });
  try {
    let barrier = 0;
    for (const [k, docId] of docIds.entries()) {
      const replicaId = BARRIER_CLIENT * TAG_STRIDE + k + 1;
      const op = recorder.beginMerge(BARRIER_CLIENT, docId, String(replicaId));
      try {
        barrier = Math.max(barrier, (await client.merge(docId, makeTaggedUpdate(replicaId))).index);
        op.ok();
      } catch (error) {
        op.unknown();
        throw new Error(`liveness: the barrier merge after the heal failed: ${(error as Error).message}`);
      }
    }
    await waitFor(
      `every node to apply the barrier (index ${barrier})`,
      async () => {
        const statuses = await Promise.all(group.ids.map((id) => group.status(id)));
        return statuses.every((s) => s.applied >= barrier) ? true : undefined;
      },
      30_000,
    );
    log(`chaos: converged at index ${barrier}; stale reads on every node`);
    for (const docId of docIds) {
      const acked = recorder.acked.get(docId) ?? new Set<string>();
      const issued = recorder.issued.get(docId) ?? new Set<string>();
      const seen: { id: number; tags: Set<string> }[] = [];
      for (const id of group.ids) {
        const read = await client.get(docId, { consistency: 'stale', node: group.clientAddress(id) });
        const tags = tagsOf(read.versionVector);
        seen.push({ id, tags });
        const missing = [...acked].filter((tag) => !tags.has(tag));
        const invented = [...tags].filter((tag) => !issued.has(tag));
        if (missing.length > 0) violations.push(`node ${id} lost ${missing.length} acknowledged merge(s) of ${docId}: ${missing.slice(0, 5).join(', ')}`);
        if (invented.length > 0) violations.push(`node ${id} holds tag(s) never sent to ${docId}: ${invented.slice(0, 5).join(', ')}`);
      }
      const first = seen[0]!;
      for (const other of seen.slice(1)) {
        const same = other.tags.size === first.tags.size && [...first.tags].every((tag) => other.tags.has(tag));
        if (!same) violations.push(`${docId}: node ${first.id} and node ${other.id} disagree after convergence (${first.tags.size} vs ${other.tags.size} tags)`);
      }
      const final = recorder.beginRead(BARRIER_CLIENT, docId);
      final.ok(tagsOf((await client.get(docId, { consistency: 'linearizable' })).versionVector));
    }
  } finally {
    client.close();
  }
}

/** The one summary line of a run. */
export function summarize(report: ChaosReport): string {
  const c = report.counts;
  const f = report.faults;
  const head = report.ok ? 'chaos ok' : 'chaos FAIL';
  const line =
    `${head} seed=${report.seed} seconds=${report.seconds} ops=${c.operations} merges=${c.merges} acked=${c.acknowledged} ` +
    `unknown=${c.unknown} reads=${c.readsOk}/${c.reads} faults=${f.kill + f.pause + f.cut} (kill ${f.kill}, pause ${f.pause}, cut ${f.cut}) ` +
    `history=${report.linearizability} (check ${Math.round(report.checkMs)} ms)`;
  if (report.ok) return line;
  return `${line}: ${report.violations.join('; ')} (rerun: npm run chaos:raft -- ${report.rerun})`;
}
