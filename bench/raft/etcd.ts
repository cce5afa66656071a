/**
 * The peer for the Raft benchmark: a 3-member etcd cluster on loopback (temporary data dirs,
 * heartbeat 50 ms, election timeout 300 ms, etcd's default fsync on every WAL write), driven
 * through etcd v3's HTTP/JSON gateway (`POST /v3/kv/put`, `POST /v3/maintenance/status`) with a
 * keep-alive agent.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reservePorts, waitFor, type Child, type ProcessSupervisor } from '../../server/raft/chaos/processes';
import type { BenchTarget } from './stats';

const ETCD = '/usr/bin/etcd';
const VALUE_BYTES = 4096;

/** etcd is not installed and cannot be installed here. */
export class EtcdMissingError extends Error {
  override readonly name = 'EtcdMissingError';
}

/** Finds etcd; installs Debian's etcd-server when missing and running as root. */
export function locateEtcd(log: (line: string) => void): string {
  if (existsSync(ETCD)) return ETCD;
  if (process.getuid?.() === 0) {
    log('etcd not found: apt-get install -y etcd-server');
    execFileSync('apt-get', ['install', '-y', 'etcd-server'], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (existsSync(ETCD)) return ETCD;
  }
  throw new EtcdMissingError(
    `etcd not found at ${ETCD}: install it with \`sudo apt-get install -y etcd-server\` (Debian/Ubuntu), or run with --only tandem`,
  );
}

interface Member {
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly dataDir: string;
  child: Child | undefined;
  /** etcd's member id (decimal string, as the gateway prints uint64s). */
  memberId: string | undefined;
}

/** A small JSON-over-HTTP client for one gateway endpoint. */
async function postJson(agent: Agent, port: number, path: string, body: unknown, timeoutMs: number): Promise<unknown> {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: 'POST', agent, timeout: timeoutMs, headers: { 'content-type': 'application/json', 'content-length': payload.length } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) {
            reject(new Error(`etcd ${path} on :${port}: HTTP ${res.statusCode} ${text.slice(0, 200)}`));
            return;
          }
          try {
            resolve(JSON.parse(text) as unknown);
          } catch (error) {
            reject(error);
          }
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`etcd ${path} on :${port}: timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** The parts of `/v3/maintenance/status` the benchmark reads. */
interface EtcdStatus {
  readonly memberId: string;
  readonly leader: string;
}

function parseStatus(value: unknown): EtcdStatus {
  const record = value as { header?: { member_id?: unknown }; leader?: unknown };
  const memberId = record.header?.member_id;
  const leader = record.leader;
  if (typeof memberId !== 'string' || (leader !== undefined && typeof leader !== 'string')) {
    throw new Error(`unexpected etcd status ${JSON.stringify(value).slice(0, 200)}`);
  }
  return { memberId, leader: leader ?? '0' };
}

/** A running 3-member etcd cluster as a benchmark target. */
export class EtcdTarget implements BenchTarget {
  readonly name = 'etcd';
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  private readonly value = Buffer.alloc(VALUE_BYTES, 7).toString('base64');
  private roundRobin = 0;
  private leaderName: string | undefined;
  private readonly forgetCleanup: () => void;

  private constructor(
    private readonly supervisor: ProcessSupervisor,
    private readonly binary: string,
    private readonly members: Member[],
    private readonly root: string,
  ) {
    this.forgetCleanup = supervisor.addCleanup(() => rmSync(root, { recursive: true, force: true }));
  }

  /** Starts the cluster and waits until it has a leader. */
  static async start(supervisor: ProcessSupervisor, log: (line: string) => void): Promise<EtcdTarget> {
    const binary = locateEtcd(log);
    const root = mkdtempSync(join(tmpdir(), 'tandem-bench-etcd-'));
    const ports = await reservePorts(6);
    const members: Member[] = [0, 1, 2].map((i) => ({
      name: `etcd${i + 1}`,
      clientPort: ports[i * 2]!,
      peerPort: ports[i * 2 + 1]!,
      dataDir: join(root, `etcd${i + 1}`),
      child: undefined,
      memberId: undefined,
    }));
    const target = new EtcdTarget(supervisor, binary, members, root);
    try {
      for (const member of members) target.startMember(member);
      await target.waitHealthy(20_000);
      log(`etcd: 3 members up on client ports ${members.map((m) => m.clientPort).join(', ')}`);
      return target;
    } catch (error) {
      await target.close();
      throw error;
    }
  }

  private startMember(member: Member): void {
    const cluster = this.members.map((m) => `${m.name}=http://127.0.0.1:${m.peerPort}`).join(',');
    member.child = this.supervisor.start({
      name: member.name,
      command: this.binary,
      args: [
        '--name', member.name,
        '--data-dir', member.dataDir,
        '--listen-client-urls', `http://127.0.0.1:${member.clientPort}`,
        '--advertise-client-urls', `http://127.0.0.1:${member.clientPort}`,
        '--listen-peer-urls', `http://127.0.0.1:${member.peerPort}`,
        '--initial-advertise-peer-urls', `http://127.0.0.1:${member.peerPort}`,
        '--initial-cluster', cluster,
        '--initial-cluster-state', 'new',
        '--initial-cluster-token', 'tandem-bench',
        '--heartbeat-interval', '50',
        '--election-timeout', '300',
        '--logger', 'zap',
        '--log-level', 'error',
      ],
    });
  }

  private async status(member: Member, timeoutMs = 500): Promise<EtcdStatus> {
    const status = parseStatus(await postJson(this.agent, member.clientPort, '/v3/maintenance/status', {}, timeoutMs));
    member.memberId = status.memberId;
    return status;
  }

  /** Waits until every running member reports the same leader, and remembers it. */
  private async waitHealthy(timeoutMs: number): Promise<void> {
    this.leaderName = await waitFor(
      'an etcd leader agreed by every member',
      async () => {
        const running = this.members.filter((m) => m.child !== undefined);
        const statuses = await Promise.all(running.map((m) => this.status(m)));
        const leader = statuses[0]!.leader;
        if (leader === '0' || statuses.some((s) => s.leader !== leader)) return undefined;
        return this.members.find((m) => m.memberId === leader)?.name;
      },
      timeoutMs,
    );
  }

  /** Writes to the leader when known (as a leader-aware client would), else to a live member. */
  async write(seq: number, timeoutMs: number): Promise<void> {
    const live = this.members.filter((m) => m.child !== undefined);
    const leader = live.find((m) => m.name === this.leaderName);
    const member = leader ?? live[this.roundRobin++ % live.length]!;
    const key = Buffer.from(`bench/${seq}`).toString('base64');
    await postJson(this.agent, member.clientPort, '/v3/kv/put', { key, value: this.value }, timeoutMs);
  }

  async killLeader(): Promise<string> {
    const anyLive = this.members.find((m) => m.child !== undefined)!;
    const leaderId = (await this.status(anyLive)).leader;
    await Promise.all(this.members.map((m) => this.status(m).catch(() => undefined)));
    const leader = this.members.find((m) => m.memberId === leaderId);
    if (leader?.child === undefined) throw new Error(`etcd leader ${leaderId} is not a running member`);
    await this.supervisor.kill(leader.child);
    leader.child = undefined;
    this.leaderName = undefined;
    return leader.name;
  }

  async restart(name: string): Promise<void> {
    const member = this.members.find((m) => m.name === name);
    if (member === undefined) throw new Error(`no etcd member ${name}`);
    this.startMember(member);
    await this.waitHealthy(20_000);
  }

  async close(): Promise<void> {
    await Promise.all(
      this.members.map(async (member) => {
        if (member.child) await this.supervisor.kill(member.child);
        member.child = undefined;
      }),
    );
    this.agent.destroy();
    rmSync(this.root, { recursive: true, force: true });
    this.forgetCleanup();
  }
}
