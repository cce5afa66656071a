/**
 * The relay integration suite: real sockets on 127.0.0.1 ephemeral ports, real `ws` clients
 * driving the `lib/sync` session. It runs once per document implementation (`LogDoc` and the
 * lib/crdt `Doc`), so the relay's behaviour is pinned independently of the CRDT.
 */
import { afterEach, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ErrorCode } from '../../lib/sync/errors';
import { CloseCode, hello, parseDocId, type DocId } from '../../lib/sync/protocol';
import type { SyncDoc } from '../../lib/sync/room';
import type { DocDriver } from '../../lib/sync/sim';
import type { RelayDocFactory } from './rooms';
import { startRelay, type RelayOptions, type RunningRelay } from './server';
import { RawClient, SyncClient, waitUntil } from './test-client';

export interface RelaySuiteDriver<D extends SyncDoc> extends DocDriver<D> {
  readonly factory: RelayDocFactory<D>;
}

/** Registers the relay suite for one document implementation. */
export function defineRelaySuite<D extends SyncDoc>(driver: RelaySuiteDriver<D>): void {
  const relays: RunningRelay<D>[] = [];
  const sockets: { close(): void }[] = [];
  let nextReplica = 1;

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.close();
    await Promise.all(relays.splice(0).map((relay) => relay.close()));
  });

  async function relay(options: Partial<RelayOptions<D>> = {}): Promise<RunningRelay<D>> {
    const running = await startRelay({ docs: driver.factory, closeGraceMs: 200, ...options });
    relays.push(running);
    return running;
  }

  async function client(running: RunningRelay<D>, docId: DocId, name: string, maxFrameBytes?: number): Promise<SyncClient<D>> {
    const doc = driver.create(nextReplica++);
    const syncClient = new SyncClient(doc, docId, `${running.url}/doc/${docId}`, name, maxFrameBytes);
    await syncClient.connect();
    sockets.push({ close: () => void syncClient.disconnect().catch(() => {}) });
    return syncClient;
  }

  async function raw(running: RunningRelay<D>): Promise<RawClient> {
    const rawClient = await RawClient.open(running.url);
    sockets.push({ close: () => rawClient.socket.close() });
    return rawClient;
  }

  function edit(syncClient: SyncClient<D>, label: string): void {
    syncClient.localUpdate(driver.edit(syncClient.doc, label));
  }

  async function converged(running: RunningRelay<D>, docId: DocId, clients: SyncClient<D>[]): Promise<void> {
    const relayFingerprint = () => {
      const doc = running.rooms.doc(docId);
      return doc === undefined ? '' : driver.fingerprint(doc);
    };
    for (const syncClient of clients) {
      await waitUntil(
        (wake) => {
          const offClient = syncClient.subscribe(wake);
          const offRelay = running.onActivity(wake);
          return () => {
            offClient();
            offRelay();
          };
        },
        () => driver.fingerprint(syncClient.doc) === relayFingerprint(),
        `${syncClient.session.clientName} to converge`,
        20_000,
      );
    }
  }

  const docId = parseDocId('relay-suite');

  it('listens on 127.0.0.1 with an ephemeral port and answers /health and /docs with CORS', async () => {
    const running = await relay();
    expect(running.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    const alice = await client(running, docId, 'alice');
    edit(alice, 'hello');
    await converged(running, docId, [alice]);
    const health = await fetch(`${running.httpUrl}/health`);
    expect(health.headers.get('access-control-allow-origin')).toBe('*');
    const healthBody = (await health.json()) as { stats: { framesIn: number; framesOut: number; connectionsOpened: number } };
    expect(healthBody).toMatchObject({ status: 'ok', rooms: 1, connections: 1, raftNodes: [] });
    expect(healthBody.stats.connectionsOpened).toBe(1);
    expect(healthBody.stats.framesIn).toBeGreaterThanOrEqual(3); // hello, post-sync update, the edit
    expect(healthBody.stats.framesOut).toBeGreaterThanOrEqual(1); // sync
    const docs = (await (await fetch(`${running.httpUrl}/docs`)).json()) as { docs: { id: string; clients: number; updates: number }[] };
    expect(docs.docs).toEqual([expect.objectContaining({ id: docId, clients: 1 })]);
    expect(docs.docs[0]!.updates).toBeGreaterThanOrEqual(1);
    expect((await fetch(`${running.httpUrl}/nope`)).status).toBe(404);
  });

  it('two clients converge through the relay', async () => {
    const running = await relay();
    const alice = await client(running, docId, 'alice');
    const bob = await client(running, docId, 'bob');
    edit(alice, 'from alice');
    edit(bob, 'from bob');
    await converged(running, docId, [alice, bob]);
    expect(driver.fingerprint(alice.doc)).toBe(driver.fingerprint(bob.doc));
  });

  it('a late joiner receives the full state in its handshake', async () => {
    const running = await relay();
    const alice = await client(running, docId, 'alice');
    for (let i = 0; i < 20; i++) edit(alice, `line ${i}`);
    await converged(running, docId, [alice]);
    const late = await client(running, docId, 'late'); // resolves once live, i.e. after sync applied
    expect(driver.fingerprint(late.doc)).toBe(driver.fingerprint(alice.doc));
  });

  it('a client sending garbage gets error(malformed) and close 4400; the room doc is unchanged and others keep syncing', async () => {
    const running = await relay();
    const alice = await client(running, docId, 'alice');
    const bob = await client(running, docId, 'bob');
    edit(alice, 'before');
    await converged(running, docId, [alice, bob]);
    const before = driver.fingerprint(running.rooms.doc(docId)!);

    const mallory = await raw(running);
    mallory.send(hello(docId, driver.create(999).encodeStateVector()));
    await mallory.waitFor(() => mallory.messages.some((m) => m.type === 'sync'), 'sync');
    mallory.send(new Uint8Array([3, 0x7f, 0xde, 0xad])); // update claiming 127 bytes, carrying 2
    const closed = await mallory.closed();
    expect(closed.code).toBe(CloseCode.protocolError);
    expect(mallory.messages.at(-1)).toMatchObject({ type: 'error', code: ErrorCode.malformed });
    expect(driver.fingerprint(running.rooms.doc(docId)!)).toBe(before);

    // A well-framed update whose CRDT bytes are garbage: badUpdate, 4422, doc unchanged.
    const eve = await raw(running);
    eve.send(hello(docId, driver.create(998).encodeStateVector()));
    eve.send({ type: 'update', update: new Uint8Array([0xff, 0xff, 0xff, 0xff]) });
    expect((await eve.closed()).code).toBe(CloseCode.badUpdate);
    expect(driver.fingerprint(running.rooms.doc(docId)!)).toBe(before);

    edit(bob, 'after');
    await converged(running, docId, [alice, bob]);
    expect(alice.session.phase).toBe('live');
  });

  it('rejects text frames, messages before hello, bad doc ids and a hello for another doc than the URL path', async () => {
    const running = await relay();
    const text = await raw(running);
    text.socket.send('hello');
    expect((await text.closed()).code).toBe(CloseCode.protocolError);

    const early = await raw(running);
    early.send({ type: 'update', update: new Uint8Array() });
    expect((await early.closed()).code).toBe(CloseCode.protocolError);
    expect(early.messages[0]).toMatchObject({ type: 'error', code: ErrorCode.unexpectedMessage });

    const badId = await raw(running);
    badId.send(new Uint8Array([1, 1, 3, 0x2e, 0x2e, 0x2f, 0, 0])); // hello v1, docId '../'
    expect((await badId.closed()).code).toBe(CloseCode.badDocId);

    const pinned = await RawClient.open(`${running.url}/doc/one`);
    sockets.push({ close: () => pinned.socket.close() });
    pinned.send(hello(parseDocId('two'), driver.create(5).encodeStateVector()));
    expect((await pinned.closed()).code).toBe(CloseCode.badDocId);
    expect(running.rooms.core.rooms()).toHaveLength(0);
  });

  it('rejects a frame above maxPayload (close 1009) and keeps serving others', async () => {
    const running = await relay({ maxPayload: 1024 });
    const alice = await client(running, docId, 'alice');
    const big = await raw(running);
    big.send(hello(docId, driver.create(7).encodeStateVector()));
    big.send({ type: 'update', update: new Uint8Array(4096) });
    expect((await big.closed()).code).toBe(CloseCode.messageTooBig);
    const bob = await client(running, docId, 'bob');
    edit(alice, 'still fine');
    await converged(running, docId, [alice, bob]);
  });

  it('offline edits larger than maxPayload reach the relay as chunks and converge (no reconnect loop)', async () => {
    const running = await relay({ maxPayload: 16 * 1024 });
    const alice = await client(running, docId, 'alice', 16 * 1024);
    const bob = await client(running, docId, 'bob', 16 * 1024);
    await alice.disconnect();
    for (let i = 0; i < 10; i++) edit(alice, `${'offline '.repeat(1000)}${i}`); // ~80 KB of edits
    await alice.connect();
    await converged(running, docId, [alice, bob]);
    expect(driver.fingerprint(bob.doc)).toBe(driver.fingerprint(alice.doc));
  });

  it('closes a connection that passes its rate limit with error(rateLimited) and 4429', async () => {
    const running = await relay({ rateLimit: { capacity: 5, refillPerSecond: 0.001 } });
    const spammer = await raw(running);
    spammer.send(hello(docId, driver.create(8).encodeStateVector()));
    for (let i = 0; i < 10; i++) spammer.send({ type: 'awareness', entries: [] });
    expect((await spammer.closed()).code).toBe(CloseCode.rateLimited);
    expect(spammer.messages.at(-1)).toMatchObject({ type: 'error', code: ErrorCode.rateLimited });
  });

  it('evicts a slow consumer whose send buffer passes the cap (close 4408)', async () => {
    const running = await relay({ maxBufferedBytes: 64 * 1024, closeGraceMs: 10_000 });
    const alice = await client(running, docId, 'alice');
    const slow = await raw(running);
    slow.send(hello(docId, driver.create(9).encodeStateVector()));
    await slow.waitFor(() => slow.messages.some((m) => m.type === 'sync'), 'sync');
    slow.socket.pause(); // stop reading: the relay's buffer towards it grows
    const room = running.rooms.core.rooms()[0]!;
    expect(room.size).toBe(2);
    const chunk = 'x'.repeat(200_000);
    // Loopback kernel buffers absorb a few MiB before bufferedAmount grows; send until evicted.
    for (let i = 0; i < 200 && room.size === 2; i++) {
      const applied = room.updatesApplied;
      edit(alice, `${chunk}${i}`);
      await waitUntil((wake) => running.onActivity(wake), () => room.updatesApplied > applied, 'the relay to apply the update', 5000);
    }
    expect(room.size).toBe(1);
    slow.socket.resume();
    expect((await slow.closed(10_000)).code).toBe(CloseCode.slowConsumer);
    expect(alice.session.phase).toBe('live');
  });

  it('three clients editing concurrently converge', async () => {
    const running = await relay();
    const clients = await Promise.all(['a', 'b', 'c'].map((name) => client(running, docId, name)));
    for (let round = 0; round < 10; round++) {
      for (const [index, syncClient] of clients.entries()) edit(syncClient, `r${round}c${index}`);
    }
    await converged(running, docId, clients);
    const prints = clients.map((c) => driver.fingerprint(c.doc));
    expect(new Set(prints).size).toBe(1);
  });

  it('a client that reconnects after offline edits converges with edits made meanwhile', async () => {
    const running = await relay();
    const alice = await client(running, docId, 'alice');
    const bob = await client(running, docId, 'bob');
    await alice.disconnect();
    edit(alice, 'offline alice');
    edit(bob, 'online bob');
    await converged(running, docId, [bob]);
    await alice.connect();
    await converged(running, docId, [alice, bob]);
  });

  it('refuses a browser WebSocket from an origin that is not allowed (HTTP 403), accepts listed and absent origins', async () => {
    const running = await relay({ allowedOrigins: ['http://127.0.0.1:3000'] });
    const refused = await new Promise<number>((resolve, reject) => {
      const socket = new WebSocket(running.url, { origin: 'http://evil.example' });
      socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      socket.once('open', () => reject(new Error('a foreign origin was accepted')));
      socket.once('error', () => {});
    });
    expect(refused).toBe(403);
    const listed = new WebSocket(running.url, { origin: 'http://127.0.0.1:3000' });
    sockets.push({ close: () => listed.close() });
    await new Promise<void>((resolve, reject) => {
      listed.once('open', () => resolve());
      listed.once('error', reject);
    });
    await raw(running); // no Origin header: not a browser
  });

  it('heartbeat: a socket that stops answering pings is dropped; a responsive one stays', async () => {
    const running = await relay({ heartbeatMs: 250 }); // long enough that a loaded event loop still answers in time
    const alice = await client(running, docId, 'alice');
    const silent = await raw(running);
    silent.send(hello(docId, driver.create(12).encodeStateVector()));
    await silent.waitFor(() => silent.messages.some((m) => m.type === 'sync'), 'sync');
    silent.socket.pause(); // it no longer reads, so it never answers a ping
    await waitUntil((wake) => running.onActivity(wake), () => running.rooms.core.connectionCount === 1, 'the silent socket to be dropped', 5000);
    expect(running.rooms.core.rooms()[0]!.size).toBe(1);
    expect(alice.session.phase).toBe('live');
    edit(alice, 'still here');
    await converged(running, docId, [alice]);
    silent.socket.resume();
  });

  it('close() says goodbye to clients with 1001 and frees the port', async () => {
    const running = await startRelay({ docs: driver.factory, closeGraceMs: 200 });
    const watcher = await RawClient.open(running.url);
    watcher.send(hello(docId, driver.create(11).encodeStateVector()));
    await watcher.waitFor(() => watcher.messages.length > 0, 'sync');
    await running.close();
    expect((await watcher.closed()).code).toBe(CloseCode.goingAway);
    expect(watcher.messages.at(-1)).toMatchObject({ type: 'error', code: ErrorCode.shuttingDown });
    await expect(fetch(`${running.httpUrl}/health`)).rejects.toThrow();
  });
}
