/**
 * Integration: a real 3-node Raft group (processes), the relay as a child process with `--raft`,
 * and two `ws` clients typing. Defends the persistence promise of the architecture (step 4 of the
 * keystroke path): an edit the relay acknowledged (`ack` vector covers it) is never lost —
 *
 * 1. SIGKILL of the relay: a restarted relay loads the document from the group, and a fresh client
 *    sees every acknowledged edit;
 * 2. SIGKILL of the Raft leader during continuous edits: a new leader takes over, acks resume, and
 *    every acknowledged edit is in the document read from every node (linearizable and stale),
 *    including the old leader once restarted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Doc } from '../../lib/crdt';
import { parseDocId } from '../../lib/sync/protocol';
import { RaftClient } from '../raft/client';
import { startProcessGroup, type ProcessGroup } from '../raft/node/harness';
import { Typist, missingTokens, pollUntil } from './durability-kit';
import { SyncClient } from './test-client';

const MAIN = join(fileURLToPath(new URL('.', import.meta.url)), 'main.ts');
const docId = parseDocId('durability');

/** The relay as a child process (`node --import tsx`, so SIGKILL reaches the relay itself). */
class RelayProcess {
  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
    readonly output: string[],
  ) {}

  static start(raftNodes: readonly string[], timeoutMs = 15_000): Promise<RelayProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--port', '0', '--raft', raftNodes.join(','), '--heartbeat-ms', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => output.push(text));
    return new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`relay not listening within ${timeoutMs} ms: ${output.join('')}`)), timeoutMs);
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (text: string) => {
        out += text;
        const match = /relay listening on (ws:\/\/\S+) \(persistence: raft /.exec(out);
        if (match !== null) {
          clearTimeout(timer);
          resolve(new RelayProcess(child, match[1]!, output));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`relay exited (${code}) before listening: ${output.join('')}`));
      });
    });
  }

  /** Kills the process and resolves once it is gone. */
  kill(signal: NodeJS.Signals): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill(signal);
    return exited;
  }
}

let group: ProcessGroup | undefined;
let raft: RaftClient | undefined;
let dir: string | undefined;
const relays: RelayProcess[] = [];
const typists: Typist[] = [];

afterAll(async () => {
  await Promise.all(typists.map((typist) => typist.disconnect()));
  await Promise.all(relays.map((relay) => relay.kill('SIGKILL')));
  raft?.close();
  await group?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

async function startRelay(): Promise<RelayProcess> {
  const relay = await RelayProcess.start(group!.clientAddresses());
  relays.push(relay);
  return relay;
}

function acknowledgedTokens(): string[] {
  return typists.flatMap((typist) => [...typist.acknowledged]);
}

/** Types a token every `everyMs` alternating between the typists, until stopped. */
function typeContinuously(prefix: string, everyMs: number): { stop(): void; typed: string[] } {
  const typed: string[] = [];
  let k = 0;
  const timer = setInterval(() => {
    const token = `<${prefix}${k}>`;
    typists[k % typists.length]!.type(token);
    typed.push(token);
    k++;
  }, everyMs);
  return { stop: () => clearInterval(timer), typed };
}

const bodyOf = (state: Uint8Array): string => Doc.load(state).getText('body').toString();

describe('durability through the Raft group (processes)', () => {
  it('acknowledged edits survive SIGKILL of the relay and of the Raft leader', { timeout: 60_000 }, async () => {
    dir = mkdtempSync(join(tmpdir(), 'tandem-durability-'));
    group = await startProcessGroup({ size: 3, dataDir: join(dir, 'raft') });
    raft = new RaftClient({ nodes: group.clientAddresses(), deadlineMs: 10_000, requestTimeoutMs: 2000 });
    await pollUntil(async () => (await raft!.list()).index >= 0, 'the group to serve reads', 15_000);

    // -- 1. the relay is killed while two clients edit -------------------------------------------
    const first = await startRelay();
    const alice = new Typist('alice', 101, docId);
    const bob = new Typist('bob', 202, docId);
    typists.push(alice, bob);
    await alice.connect(first.url);
    await bob.connect(first.url);
    const burst = typeContinuously('a', 5);
    await pollUntil(() => acknowledgedTokens().length >= 20, 'twenty acknowledged edits', 15_000);
    await first.kill('SIGKILL'); // edits typed meanwhile may be unacknowledged: only acked ones are promised
    burst.stop();
    const ackedBeforeCrash = acknowledgedTokens();
    expect(ackedBeforeCrash.length).toBeGreaterThanOrEqual(20);

    const second = await startRelay();
    const fresh = new SyncClient(new Doc({ replicaId: 303 }), docId, `${second.url}/doc/${docId}`, 'fresh');
    await fresh.connect();
    expect(missingTokens(fresh.doc.getText('body').toString(), ackedBeforeCrash)).toEqual([]);
    await fresh.disconnect();

    // -- 2. the Raft leader is killed during continuous edits ------------------------------------
    await alice.disconnect();
    await bob.disconnect();
    await alice.connect(second.url);
    await bob.connect(second.url);
    const stream = typeContinuously('b', 10);
    await pollUntil(() => stream.typed.length >= 20 && acknowledgedTokens().some((t) => t.startsWith('<b')), 'acks for the stream', 15_000);
    const statuses = await Promise.all(group.nodes.map((node) => raft!.status(node.clientAddress)));
    const leader = statuses.find((status) => status.role === 'leader');
    expect(leader).toBeDefined();
    const killedAt = stream.typed.length;
    await group.node(leader!.id).kill('SIGKILL');
    await pollUntil(
      () => stream.typed.slice(killedAt + 5).some((token) => acknowledgedTokens().includes(token)),
      'acks to resume under a new leader',
      20_000,
    );
    stream.stop();
    const survivor = group.nodes.find((node) => node.running)!;
    const after = await raft.status(survivor.clientAddress);
    expect(after.leader).not.toBe(leader!.id); // a new leader took over
    expect(after.term).toBeGreaterThan(leader!.term);
    await pollUntil(() => alice.allAcknowledged() && bob.allAcknowledged(), 'every edit acknowledged', 15_000);
    const acknowledged = acknowledgedTokens();
    expect(acknowledged.length).toBe(alice.tokens().length + bob.tokens().length);

    // Every running node, linearizable and (once caught up) stale; then the old leader restarted.
    for (const node of group.nodes.filter((n) => n.running)) {
      const linearizable = await raft.get(docId, { node: node.clientAddress, consistency: 'linearizable' });
      expect(missingTokens(bodyOf(linearizable.state), acknowledged), `node ${node.id} linearizable`).toEqual([]);
    }
    await group.node(leader!.id).start();
    for (const node of group.nodes) {
      await pollUntil(
        async () => missingTokens(bodyOf((await raft!.get(docId, { node: node.clientAddress, consistency: 'stale' })).state), acknowledged).length === 0,
        `node ${node.id} (stale) to hold every acknowledged edit`,
        15_000,
      );
    }
  });
});
