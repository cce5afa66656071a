/**
 * Child processes for benchmarks and chaos runs: a supervisor that tracks every child it starts
 * and kills them all when asked, on exit, and on SIGINT/SIGTERM, so no run leaves processes behind;
 * and free loopback ports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';

/** How to start one child. */
export interface ChildSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
}

/** A running (or exited) child. */
export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  /** Resolves with the exit code (or signal name) when the process has exited. */
  readonly exited: Promise<string>;
  /** The last lines of its stdout and stderr, for error reports. */
  tail(): string;
}

/** A child exited or failed to start while it was expected to run. */
export class ChildProcessError extends Error {
  override readonly name = 'ChildProcessError';
}

const TAIL_LINES = 30;

/** Starts children and guarantees they are killed. One per run; `dispose()` at the end. */
export class ProcessSupervisor {
  private readonly children = new Set<Child>();
  private readonly cleanups = new Set<() => void>();
  private readonly onExit = (): void => this.killAllNow();
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    this.killAllNow();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };

  constructor() {
    process.on('exit', this.onExit);
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
  }

  /** Spawns a child; its output is kept in a small ring for `tail()`. */
  start(spec: ChildSpec): Child {
    const child = spawn(spec.command, [...spec.args], {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    const keep = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        lines.push(line);
        if (lines.length > TAIL_LINES) lines.shift();
      }
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const exited = new Promise<string>((resolve) => {
      child.once('exit', (code, signal) => resolve(signal ?? String(code)));
      child.once('error', (error) => resolve(`error: ${error.message}`));
    });
    const record: Child = { name: spec.name, process: child, exited, tail: () => lines.join('\n') };
    this.children.add(record);
    void exited.then(() => this.children.delete(record));
    return record;
  }

  /** Sends a signal to a child if it is still running. */
  signal(child: Child, signal: NodeJS.Signals): void {
    if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill(signal);
  }

  /** SIGKILLs a child and waits until it has exited. */
  async kill(child: Child): Promise<void> {
    this.signal(child, 'SIGKILL');
    await child.exited;
  }

  /**
   * Registers a synchronous cleanup (e.g. removing a temp dir) run after the children are killed
   * on exit or a signal; returns a function that unregisters it (call it after cleaning up normally).
   */
  addCleanup(cleanup: () => void): () => void {
    this.cleanups.add(cleanup);
    return () => void this.cleanups.delete(cleanup);
  }

  /** SIGKILLs every child synchronously (exit handlers cannot wait), then runs the cleanups. */
  killAllNow(): void {
    for (const child of this.children) {
      try {
        child.process.kill('SIGKILL');
      } catch {
        // Already gone.
      }
    }
    for (const cleanup of [...this.cleanups]) {
      this.cleanups.delete(cleanup);
      try {
        cleanup();
      } catch {
        // Best effort on the way out.
      }
    }
  }

  /** Kills every child, waits for them, and removes the process handlers. */
  async dispose(): Promise<void> {
    const all = [...this.children];
    this.killAllNow();
    await Promise.all(all.map((child) => child.exited));
    process.off('exit', this.onExit);
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }
}

/**
 * The range the kernel hands out for `listen(0)` and outgoing connections (Linux reads it from
 * /proc; elsewhere the common default). Ports we pick for processes that bind later must stay out of
 * it: between our check and the child's bind (a second or two of start-up) any socket of any test
 * could otherwise be given the same port, and the child would exit with "address in use".
 */
function ephemeralPortRange(): { low: number; high: number } {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high) && low! <= high!) return { low: low!, high: high! };
  } catch {
    // Not Linux: fall through.
  }
  return { low: 32_768, high: 60_999 };
}

/** Where `reservePorts` draws from: 10 000 up to the ephemeral range, or above it if that is too low. */
function candidateRange(): { low: number; high: number } {
  const ephemeral = ephemeralPortRange();
  if (ephemeral.low - 10_000 >= 4_000) return { low: 10_000, high: ephemeral.low - 1 };
  return { low: Math.min(ephemeral.high + 1, 65_000), high: 65_535 };
}

/** Ports this process has handed out already: never handed out twice in one run. */
const handedOut = new Set<number>();

function tryListen(port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve(server));
  });
}

/**
 * `count` distinct TCP ports on 127.0.0.1 for child processes to bind: random ports outside the
 * kernel's ephemeral range (so no `listen(0)` or outgoing connection elsewhere takes them meanwhile),
 * each checked free by binding it, all held at once (so they are distinct), then released.
 */
export async function reservePorts(count: number): Promise<number[]> {
  const { low, high } = candidateRange();
  const held: Server[] = [];
  const ports: number[] = [];
  try {
    for (let attempts = 0; ports.length < count; attempts++) {
      if (attempts > 1000 + count * 20) throw new Error(`no ${count} free ports in ${low}-${high} on 127.0.0.1`);
      const port = low + Math.floor(Math.random() * (high - low + 1));
      if (handedOut.has(port)) continue;
      const server = await tryListen(port);
      if (server === undefined) continue;
      held.push(server);
      ports.push(port);
      handedOut.add(port);
    }
    return ports;
  } finally {
    await Promise.all(held.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
}

/**
 * Runs `start` (which reserves its own ports) and, when it fails only because a port was taken
 * after all (`EADDRINUSE`: another process bound it between `reservePorts` and the child's bind),
 * runs it again on fresh ports, up to `attempts` times. Any other failure is thrown at once.
 */
export async function startOnFreshPorts<T>(start: () => Promise<T>, log: (line: string) => void, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (attempt >= attempts || !message.includes('EADDRINUSE')) throw error;
      log(`start-up hit a taken port (${message}); trying again on fresh ports`);
    }
  }
}

/** Resolves after `ms` (used by the I/O edges only: load loops and polls, never by tests' logic). */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** How `waitFor` polls and reports. */
export interface WaitOptions {
  readonly intervalMs?: number;
  /** Checked before each probe: a reason stops the wait at once with that reason as the error. */
  readonly failFast?: () => string | undefined;
  /** Appended to the time-out error (e.g. what each process reports). */
  readonly describe?: () => Promise<string>;
}

/**
 * Polls `probe` until it returns a value, or throws `ChildProcessError` after `timeoutMs` (or as
 * soon as `failFast` gives a reason).
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, options: WaitOptions = {}): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown;
  while (performance.now() < deadline) {
    const reason = options.failFast?.();
    if (reason !== undefined) throw new ChildProcessError(reason);
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await delay(options.intervalMs ?? 50);
  }
  const detail = lastError instanceof Error ? `: ${lastError.message}` : '';
  const state = options.describe === undefined ? '' : ` (${await options.describe()})`;
  throw new ChildProcessError(`timed out after ${timeoutMs} ms waiting for ${what}${detail}${state}`);
}
