/**
 * A local group of real Raft node processes (`server/raft/node/main.ts`) for benchmarks and chaos
 * runs: fixed loopback ports and data dirs per node (so a restarted node comes back at the same
 * address with its disk), and optionally one `LinkProxy` per directed Raft link: node i reaches
 * node j at proxy (i→j), which forwards to j's Raft port, so each direction can be cut alone.
 *
 * Nodes run as `node --import tsx main.ts` (not through npx), so a signal reaches the node itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RaftClient } from '../client';
import type { NodeStatus } from '../client';
import { reservePorts, startOnFreshPorts, waitFor, type Child, type ProcessSupervisor } from './processes';
import { LinkProxy, type LinkMode } from './proxy';

const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const NODE_MAIN = join(REPO_ROOT, 'server/raft/node/main.ts');
const START_TIMEOUT_MS = 30_000;

/**
 * Extra flags for the Node runtime of every node process, from `TANDEM_NODE_FLAGS` (space-separated;
 * e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile the nodes of a benchmark or chaos run, which
 * NODE_OPTIONS does not allow).
 */
function nodeRuntimeFlags(): string[] {
  return (process.env.TANDEM_NODE_FLAGS ?? '').split(' ').filter((flag) => flag !== '');
}

/** Options of a local group. */
export interface ClusterOptions {
  readonly size: number;
  /** Route every Raft link through a LinkProxy. */
  readonly proxies: boolean;
  /** Extra flags for every node (e.g. `['--request-timeout-ms', '2000']`). */
  readonly nodeFlags?: readonly string[];
  readonly log: (line: string) => void;
}

/** One member. Invariant: `child` is set while the process was started and not yet killed. */
interface Member {
  readonly id: number;
  readonly raftPort: number;
  readonly clientPort: number;
  readonly dataDir: string;
  child: Child | undefined;
  paused: boolean;
  /** Set when the process exited by itself (not killed by us): how, and its last output. */
  crashed: string | undefined;
}

/** A running group of node processes. */
export class LocalCluster {
  /** Proxies by `${from}->${to}` (empty without proxies). */
  private readonly links = new Map<string, LinkProxy>();
  private readonly forgetCleanup: () => void;

  private constructor(
    private readonly supervisor: ProcessSupervisor,
    private readonly options: ClusterOptions,
    private readonly members: Member[],
    private readonly root: string,
  ) {
    this.forgetCleanup = supervisor.addCleanup(() => rmSync(root, { recursive: true, force: true }));
  }

  /**
   * Allocates ports, starts the proxies and every node, and waits for a leader. A node that exits
   * during start-up fails the start at once with its output; a port found taken after all is
   * retried on fresh ports and a fresh directory (`startOnFreshPorts`).
   */
  static start(supervisor: ProcessSupervisor, options: ClusterOptions): Promise<LocalCluster> {
    return startOnFreshPorts(() => LocalCluster.startOnce(supervisor, options), options.log);
  }

  private static async startOnce(supervisor: ProcessSupervisor, options: ClusterOptions): Promise<LocalCluster> {
    const root = mkdtempSync(join(tmpdir(), 'tandem-localgroup-'));
    const ports = await reservePorts(options.size * 2);
    const members: Member[] = Array.from({ length: options.size }, (_, k) => ({
      id: k + 1,
      raftPort: ports[k * 2]!,
      clientPort: ports[k * 2 + 1]!,
      dataDir: join(root, `node${k + 1}`),
      child: undefined,
      paused: false,
      crashed: undefined,
    }));
    const cluster = new LocalCluster(supervisor, options, members, root);
    try {
      if (options.proxies) {
        for (const from of members) {
          for (const to of members) {
            if (from !== to) cluster.links.set(`${from.id}->${to.id}`, await LinkProxy.start(to.raftPort));
          }
        }
      }
      for (const member of members) cluster.startMember(member);
      await cluster.waitForLeader(START_TIMEOUT_MS);
      return cluster;
    } catch (error) {
      await cluster.close();
      throw error;
    }
  }

  /** Node ids, 1..size. */
  get ids(): number[] {
    return this.members.map((m) => m.id);
  }

  /** Client addresses (`host:port`) of every node, in id order. */
  get clientAddresses(): string[] {
    return this.members.map((m) => `127.0.0.1:${m.clientPort}`);
  }

  /** The client address of one node. */
  clientAddress(id: number): string {
    return `127.0.0.1:${this.member(id).clientPort}`;
  }

  private member(id: number): Member {
    const member = this.members.find((m) => m.id === id);
    if (member === undefined) throw new RangeError(`no node ${id}`);
    return member;
  }

  private startMember(member: Member): void {
    const peers = this.members
      .map((peer) => {
        const port = peer === member || !this.options.proxies ? peer.raftPort : this.links.get(`${member.id}->${peer.id}`)!.port;
        return `${peer.id}=127.0.0.1:${port}`;
      })
      .join(',');
    const clients = this.members.map((peer) => `${peer.id}=127.0.0.1:${peer.clientPort}`).join(',');
    member.child = this.supervisor.start({
      name: `node${member.id}`,
      command: process.execPath,
      args: [
        ...nodeRuntimeFlags(),
        '--import', 'tsx', NODE_MAIN,
        '--id', String(member.id),
        '--peers', peers,
        '--clients', clients,
        '--data', member.dataDir,
        '--port', String(member.clientPort),
        ...(this.options.nodeFlags ?? []),
      ],
      cwd: REPO_ROOT,
    });
    member.paused = false;
    member.crashed = undefined;
    const child = member.child;
    void child.exited.then((how) => {
      if (member.child !== child) return;
      member.crashed = `node ${member.id} exited unexpectedly (${how}): ${child.tail()}`;
      this.options.log(member.crashed);
    });
  }

  /** Status of one node over its client port (throws when unreachable). */
  async status(id: number, timeoutMs = 1000): Promise<NodeStatus> {
    const client = new RaftClient({ nodes: [this.clientAddress(id)], requestTimeoutMs: timeoutMs, deadlineMs: timeoutMs });
    try {
      return await client.status(this.clientAddress(id));
    } finally {
      client.close();
    }
  }

  /** Statuses of the running, unpaused nodes that answer. */
  async statuses(): Promise<NodeStatus[]> {
    const live = this.members.filter((m) => m.child !== undefined && !m.paused);
    const answers = await Promise.all(live.map((m) => this.status(m.id).catch(() => undefined)));
    return answers.filter((s): s is NodeStatus => s !== undefined);
  }

  /** Why each node that exited by itself did so (empty when none did). */
  crashes(): string[] {
    return this.members.flatMap((m) => (m.crashed === undefined ? [] : [m.crashed]));
  }

  /**
   * Waits until a node is leader and every running, unpaused node answers and agrees; its id.
   * Fails at once when a node we started has exited by itself (its output is in the error).
   */
  async waitForLeader(timeoutMs: number): Promise<number> {
    return waitFor(
      'a leader agreed by every running node',
      async () => {
        const statuses = await this.statuses();
        const expected = this.members.filter((m) => m.child !== undefined && !m.paused).length;
        const leader = statuses.find((s) => s.role === 'leader')?.id;
        if (leader === undefined || statuses.length < expected || statuses.some((s) => s.leader !== leader)) return undefined;
        return leader;
      },
      timeoutMs,
      { failFast: () => this.crashes()[0], describe: () => this.describeNodes() },
    );
  }

  /** One line per node for error reports: running or not, and what its status says. */
  private async describeNodes(): Promise<string> {
    const parts = await Promise.all(
      this.members.map(async (m) => {
        if (m.child === undefined) return `node ${m.id}: not running`;
        if (m.paused) return `node ${m.id}: paused`;
        const status = await this.status(m.id).catch((error: Error) => error.message);
        if (typeof status === 'string') return `node ${m.id}: no status (${status}); output: ${m.child.tail().split('\n').slice(-3).join(' / ')}`;
        return `node ${m.id}: ${status.role}, term ${status.term}, leader ${status.leader}`;
      }),
    );
    return parts.join('; ');
  }

  /** The leader some running node reports, if any. */
  async currentLeader(): Promise<number | undefined> {
    const statuses = await this.statuses();
    return statuses.find((s) => s.role === 'leader')?.id ?? statuses.find((s) => s.leader > 0)?.leader;
  }

  /** True while the node's process runs (paused or not). */
  isRunning(id: number): boolean {
    return this.member(id).child !== undefined;
  }

  isPaused(id: number): boolean {
    return this.member(id).paused;
  }

  /** SIGKILLs a node and waits for it to exit. */
  async kill(id: number): Promise<void> {
    const member = this.member(id);
    const child = member.child;
    if (child === undefined) return;
    member.child = undefined;
    member.paused = false;
    await this.supervisor.kill(child);
  }

  /** Starts a killed node again on the same ports and data dir (does not wait for it). */
  restart(id: number): void {
    const member = this.member(id);
    if (member.child !== undefined) throw new Error(`node ${id} is running`);
    this.startMember(member);
  }

  /** SIGSTOPs a running node. */
  pause(id: number): void {
    const member = this.member(id);
    if (member.child === undefined || member.paused) return;
    this.supervisor.signal(member.child, 'SIGSTOP');
    member.paused = true;
  }

  /** SIGCONTs a paused node. */
  resume(id: number): void {
    const member = this.member(id);
    if (member.child === undefined || !member.paused) return;
    this.supervisor.signal(member.child, 'SIGCONT');
    member.paused = false;
  }

  /** Sets the mode of the directed link from → to (needs proxies). */
  setLink(from: number, to: number, mode: LinkMode): void {
    const link = this.links.get(`${from}->${to}`);
    if (link === undefined) throw new Error(`no proxy for link ${from}->${to}`);
    link.setMode(mode);
  }

  /** Restores every link, resumes every paused node and restarts every killed one. */
  healAll(): void {
    for (const link of this.links.values()) link.setMode('open');
    for (const member of this.members) {
      if (member.child === undefined) this.startMember(member);
      else if (member.paused) this.resume(member.id);
    }
  }

  /** Kills every node, closes the proxies and removes the data dirs. */
  async close(): Promise<void> {
    await Promise.all(this.members.map((m) => this.kill(m.id)));
    await Promise.all([...this.links.values()].map((link) => link.close()));
    rmSync(this.root, { recursive: true, force: true });
    this.forgetCleanup();
  }
}
