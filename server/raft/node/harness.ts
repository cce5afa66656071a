/**
 * A harness that runs a Raft group as real child processes (`node --import tsx main.ts`), for the
 * integration tests, the chaos test and the benchmark. Ports are picked free on 127.0.0.1 outside the kernel's ephemeral range (`reservePorts`), data
 * lives in a directory the caller owns, every wait is bounded, and `stop()` kills what it started.
 *
 *   const group = await startProcessGroup({ size: 3, dataDir });
 *   const client = new RaftClient({ nodes: group.clientAddresses() });
 *   group.node(1).kill('SIGKILL'); await group.node(1).start();
 *   await group.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { reservePorts, startOnFreshPorts } from '../chaos/processes';

const MAIN = join(fileURLToPath(new URL('.', import.meta.url)), 'main.ts');

export interface ProcessGroupOptions {
  readonly size: number;
  /** Parent directory; node i keeps its data in `${dataDir}/raft-${i}`. */
  readonly dataDir: string;
  /** Extra flags for every node (e.g. ['--snapshot-every', '100']). */
  readonly extraArgs?: readonly string[];
  /** Extra Node.js flags for every node process (e.g. ['--cpu-prof']). */
  readonly execArgv?: readonly string[];
  /** How long to wait for a ready line; default 20 000 ms. */
  readonly readyTimeoutMs?: number;
  /** Receives every stderr line, prefixed with the node id. */
  readonly onLog?: (line: string) => void;
}

export interface NodeExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** One node process; it keeps its ports and data directory across restarts. */
export class NodeProcess {
  private child: ChildProcess | undefined;
  private exitPromise: Promise<NodeExit> | undefined;
  /** The last stderr lines (diagnostics). */
  readonly stderr: string[] = [];

  constructor(
    readonly id: number,
    readonly raftPort: number,
    readonly clientPort: number,
    readonly dataDir: string,
    private readonly args: readonly string[],
    private readonly execArgv: readonly string[],
    private readonly readyTimeoutMs: number,
    private readonly onLog: (line: string) => void,
  ) {}

  get clientAddress(): string {
    return `127.0.0.1:${this.clientPort}`;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Spawns the process and resolves on its ready line (rejects if it exits first or times out). */
  start(): Promise<void> {
    if (this.child) throw new Error(`node ${this.id} is already running`);
    const child = spawn(process.execPath, [...this.execArgv, '--import', 'tsx', MAIN, ...this.args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.exitPromise = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        if (this.child === child) this.child = undefined;
        resolve({ code, signal });
      });
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => {
      for (const line of text.split('\n').filter((l) => l !== '')) {
        this.stderr.push(line);
        if (this.stderr.length > 200) this.stderr.shift();
        this.onLog(`[${this.id}] ${line}`);
      }
    });
    return new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`node ${this.id} not ready within ${this.readyTimeoutMs} ms: ${this.stderr.join('\n')}`)), this.readyTimeoutMs);
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (text: string) => {
        out += text;
        if (out.includes(' ready: ')) {
          clearTimeout(timer);
          resolve();
        }
      });
      void this.exitPromise!.then((exit) => {
        clearTimeout(timer);
        reject(new Error(`node ${this.id} exited (code ${exit.code}, signal ${exit.signal}) before ready: ${this.stderr.join('\n')}`));
      });
    });
  }

  /** Sends a signal (SIGKILL: crash; SIGTERM: graceful) and resolves when the process is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<NodeExit> {
    const child = this.child;
    const exit = this.exitPromise;
    if (!child || !exit) return { code: null, signal: null };
    child.kill(signal);
    return exit;
  }

  /** Resolves when the process exits by itself (e.g. on a fatal storage error). */
  exited(): Promise<NodeExit> {
    return this.exitPromise ?? Promise.resolve({ code: null, signal: null });
  }
}

export class ProcessGroup {
  constructor(readonly nodes: readonly NodeProcess[]) {}

  node(id: number): NodeProcess {
    const n = this.nodes.find((p) => p.id === id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  clientAddresses(): string[] {
    return this.nodes.map((n) => n.clientAddress);
  }

  /** SIGKILLs every running node. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.kill('SIGKILL')));
  }
}

/**
 * Starts `size` nodes and waits for their ready lines; a port found taken after all is retried on
 * fresh ports (`startOnFreshPorts`), any other failure is thrown at once.
 */
export function startProcessGroup(options: ProcessGroupOptions): Promise<ProcessGroup> {
  return startOnFreshPorts(() => startProcessGroupOnce(options), options.onLog ?? (() => {}));
}

async function startProcessGroupOnce(options: ProcessGroupOptions): Promise<ProcessGroup> {
  const ids = Array.from({ length: options.size }, (_, k) => k + 1);
  const ports = await reservePorts(options.size * 2);
  const raftPorts = new Map(ids.map((id, k) => [id, ports[k * 2]!] as const));
  const clientPorts = new Map(ids.map((id, k) => [id, ports[k * 2 + 1]!] as const));
  const peers = ids.map((id) => `${id}=127.0.0.1:${raftPorts.get(id)}`).join(',');
  const clients = ids.map((id) => `${id}=127.0.0.1:${clientPorts.get(id)}`).join(',');
  const nodes = ids.map((id) => {
    const dataDir = join(options.dataDir, `raft-${id}`);
    const args = ['--id', String(id), '--peers', peers, '--clients', clients, '--data', dataDir, '--port', String(clientPorts.get(id)), ...(options.extraArgs ?? [])];
    return new NodeProcess(id, raftPorts.get(id)!, clientPorts.get(id)!, dataDir, args, options.execArgv ?? [], options.readyTimeoutMs ?? 20_000, options.onLog ?? (() => {}));
  });
  const group = new ProcessGroup(nodes);
  try {
    await Promise.all(nodes.map((n) => n.start()));
  } catch (error) {
    await group.stop();
    throw error;
  }
  return group;
}
