import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '../sync/codec';
import { ErrorCode } from '../sync/errors';
import type { DocId, Message } from '../sync/protocol';
import { backoffDelayMs, type BackoffOptions } from './backoff';
import { Connection, REMOTE_ORIGIN, type ConnectionDoc, type ConnectionEnvironment, type SocketLike } from './connection';

/** A socket the test drives by hand. */
class FakeSocket implements SocketLike {
  binaryType = 'blob';
  readyState = 0;
  readonly sent: Message[] = [];
  closedWith: { code?: number; reason?: string } | null = null;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  constructor(readonly url: string) {}
  send(data: Uint8Array): void {
    this.sent.push(decodeMessage(data));
  }
  close(code?: number, reason?: string): void {
    this.closedWith = { code, reason };
    this.readyState = 3;
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  receive(message: Message): void {
    const bytes = encodeMessage(message);
    this.onmessage?.({ data: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) });
  }
  /** The server or the network ends the connection. */
  drop(code = 1006): void {
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }
}

/** Timers on a manual clock. */
class FakeClock {
  time = 1_000_000;
  private timers = new Map<number, { at: number; callback: () => void }>();
  private nextId = 1;
  setTimeout(callback: () => void, ms: number): number {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + ms, callback });
    return id;
  }
  clearTimeout(id: unknown): void {
    this.timers.delete(id as number);
  }
  /** Delays of the pending timers, soonest first. */
  pending(): number[] {
    return [...this.timers.values()].map((timer) => timer.at - this.time).sort((a, b) => a - b);
  }
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, timer]) => timer.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (due === undefined) break;
      this.timers.delete(due[0]);
      this.time = due[1].at;
      due[1].callback();
    }
    this.time = until;
  }
}

class FakeDoc implements ConnectionDoc {
  readonly applied: { update: number[]; origin: unknown }[] = [];
  rejectNext = false;
  encodeStateVector(): Uint8Array {
    return new Uint8Array([7]);
  }
  diff(stateVector: Uint8Array): Uint8Array {
    return new Uint8Array([100, ...stateVector]);
  }
  apply(update: Uint8Array, origin?: unknown): void {
    if (this.rejectNext) {
      this.rejectNext = false;
      throw new Error('DecodeError: bad bytes');
    }
    this.applied.push({ update: [...update], origin });
  }
}

function setup(options: { urls?: string[]; online?: boolean; backoff?: BackoffOptions; maxFrameBytes?: number } = {}) {
  const clock = new FakeClock();
  const sockets: FakeSocket[] = [];
  let online = options.online ?? true;
  const networkListeners = new Set<(online: boolean) => void>();
  const randoms = [0.1, 0.9, 0.5, 0.3, 0.7, 0.2, 0.8, 0.4];
  let randomIndex = 0;
  const random = () => randoms[randomIndex++ % randoms.length] as number;
  const env: ConnectionEnvironment = {
    createSocket: (url) => {
      const socket = new FakeSocket(url);
      sockets.push(socket);
      return socket;
    },
    setTimeout: (callback, ms) => clock.setTimeout(callback, ms),
    clearTimeout: (handle) => clock.clearTimeout(handle),
    random,
    now: () => clock.time,
    network: {
      isOnline: () => online,
      subscribe: (listener) => {
        networkListeners.add(listener);
        return () => networkListeners.delete(listener);
      },
    },
  };
  const doc = new FakeDoc();
  const connection = new Connection(
    {
      docId: 'doc-1' as DocId,
      urls: options.urls ?? ['ws://a', 'ws://b'],
      doc,
      clientId: 42,
      clientName: 'tester',
      backoff: options.backoff,
      handshakeTimeoutMs: 5_000,
      maxFrameBytes: options.maxFrameBytes,
    },
    env,
  );
  const setOnline = (value: boolean) => {
    online = value;
    for (const listener of networkListeners) listener(value);
  };
  const last = () => sockets[sockets.length - 1] as FakeSocket;
  return { clock, sockets, connection, doc, setOnline, last, env };
}

describe('Connection: handshake and live updates', () => {
  it('goes connecting → syncing (hello with the state vector) → live, then sends the diff', () => {
    const { connection, last, doc } = setup();
    connection.start();
    expect(connection.getSnapshot().status).toBe('connecting');
    last().open();
    expect(connection.getSnapshot().status).toBe('syncing');
    expect(last().sent).toEqual([{ type: 'hello', version: 1, docId: 'doc-1', stateVector: new Uint8Array([7]), clientName: 'tester' }]);
    last().receive({ type: 'sync', update: new Uint8Array([1, 2]), stateVector: new Uint8Array([9]) });
    expect(connection.getSnapshot().status).toBe('live');
    expect(last().sent[1]).toEqual({ type: 'update', update: new Uint8Array([100, 9]) });
    expect(doc.applied).toEqual([{ update: [1, 2], origin: REMOTE_ORIGIN }]);
  });

  it('sends local updates only when live and applies remote ones with the remote origin', () => {
    const { connection, last, doc } = setup();
    connection.start();
    last().open();
    connection.sendLocalUpdate(new Uint8Array([5]));
    expect(last().sent.map((message) => message.type)).toEqual(['hello']);
    last().receive({ type: 'sync', update: new Uint8Array([]), stateVector: new Uint8Array([]) });
    connection.sendLocalUpdate(new Uint8Array([5]));
    expect(last().sent.at(-1)).toEqual({ type: 'update', update: new Uint8Array([5]) });
    last().receive({ type: 'update', update: new Uint8Array([6]) });
    expect(doc.applied.at(-1)).toEqual({ update: [6], origin: REMOTE_ORIGIN });
  });

  it('sends a message above the frame limit as ordered chunks that reassemble to it', () => {
    const { connection, last } = setup({ maxFrameBytes: 300 });
    connection.start();
    last().open();
    last().receive({ type: 'sync', update: new Uint8Array([]), stateVector: new Uint8Array([]) });
    const big = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);
    const before = last().sent.length;
    connection.sendLocalUpdate(big);
    const chunks = last().sent.slice(before);
    expect(chunks.length).toBeGreaterThan(3);
    const bytes: number[] = [];
    chunks.forEach((message, index) => {
      expect(message).toMatchObject({ type: 'chunk', index, count: chunks.length });
      if (message.type === 'chunk') bytes.push(...message.bytes);
    });
    expect(decodeMessage(Uint8Array.from(bytes))).toEqual({ type: 'update', update: big });
  });

  it('tracks peers from awareness and announces its own presence on every handshake', () => {
    const { connection, last } = setup();
    connection.setPresence({ name: 'me', color: '#123456', cursor: null });
    connection.start();
    last().open();
    last().receive({ type: 'sync', update: new Uint8Array([]), stateVector: new Uint8Array([]) });
    expect(last().sent.at(-1)).toMatchObject({ type: 'awareness', entries: [{ clientId: 42, state: { name: 'me' } }] });
    last().receive({ type: 'awareness', entries: [{ clientId: 7, clock: 1, state: { name: 'ann', color: '#f00', cursor: null } }] });
    expect([...connection.getSnapshot().peers.keys()]).toEqual([7]);
    last().drop();
    expect(connection.getSnapshot().peers.size).toBe(0);
  });
});

describe('Connection: durable acknowledgements', () => {
  it('exposes the last ack’s durable vector, keeps it across reconnects, and publishes only on change', () => {
    const { connection, last } = setup();
    connection.start();
    last().open();
    last().receive({ type: 'sync', update: new Uint8Array([]), stateVector: new Uint8Array([]) });
    expect(connection.getSnapshot().durableStateVector).toBeNull();
    const seen: (Uint8Array | null)[] = [];
    connection.subscribe((snapshot) => seen.push(snapshot.durableStateVector));
    last().receive({ type: 'ack', stateVector: new Uint8Array([1, 9, 3]) });
    expect(connection.getSnapshot().durableStateVector).toEqual(new Uint8Array([1, 9, 3]));
    expect(seen).toHaveLength(1);
    last().drop();
    expect(connection.getSnapshot().durableStateVector).toEqual(new Uint8Array([1, 9, 3]));
  });
});

describe('Connection: reconnecting with jittered exponential backoff', () => {
  const backoff: BackoffOptions = { baseMs: 100, maxMs: 1_000, factor: 2, jitter: 0.5 };

  it('waits the backoff schedule between failures, rotating through the relays', () => {
    const { connection, sockets, clock, last } = setup({ backoff });
    connection.start();
    const expected = [0.1, 0.9, 0.5, 0.3, 0.7, 0.2].map((r, attempt) => backoffDelayMs(attempt, () => r, backoff));
    expect(expected).toEqual([55, 190, 300, 520, 850, 600]);
    for (const delay of expected) {
      last().drop();
      expect(connection.getSnapshot().status).toBe('connecting');
      expect(connection.getSnapshot().nextRetryAt).toBe(clock.time + delay);
      const before = sockets.length;
      clock.advance(delay - 1);
      expect(sockets.length).toBe(before);
      clock.advance(1);
      expect(sockets.length).toBe(before + 1);
    }
    expect(sockets.map((socket) => socket.url)).toEqual(['a', 'b', 'a', 'b', 'a', 'b', 'a'].map((host) => `ws://${host}/doc/doc-1`));
  });

  it('resets the schedule once live', () => {
    const { connection, clock, last } = setup({ backoff });
    connection.start();
    last().drop();
    clock.advance(55);
    last().drop();
    expect(connection.getSnapshot().attempt).toBe(2);
    clock.advance(190);
    last().open();
    last().receive({ type: 'sync', update: new Uint8Array([]), stateVector: new Uint8Array([]) });
    expect(connection.getSnapshot().attempt).toBe(0);
    last().drop();
    // attempt 0 again: the ceiling is back to the base.
    expect(clock.pending()[0]).toBeLessThanOrEqual(100);
  });

  it('gives up a socket that does not finish the handshake in time', () => {
    const { connection, clock, sockets, last } = setup({ backoff });
    connection.start();
    last().open();
    clock.advance(5_000);
    expect(sockets[0]?.closedWith?.code).toBe(4000);
    expect(connection.getSnapshot().lastError?.message).toMatch(/no handshake/);
    clock.advance(1_000);
    expect(sockets.length).toBe(2);
  });
});

describe('Connection: browser offline/online events', () => {
  it('closes the socket when offline, does not retry, and reconnects at once when online', () => {
    const { connection, sockets, clock, setOnline, last } = setup();
    connection.start();
    last().open();
    last().receive({ type: 'sync', update: new Uint8Array([]), stateVector: new Uint8Array([]) });
    setOnline(false);
    expect(connection.getSnapshot().status).toBe('offline');
    expect(sockets[0]?.closedWith).not.toBeNull();
    clock.advance(60_000);
    expect(sockets.length).toBe(1);
    // A late close event from the dropped socket changes nothing.
    sockets[0]?.drop();
    expect(connection.getSnapshot().status).toBe('offline');
    setOnline(true);
    expect(sockets.length).toBe(2);
    expect(connection.getSnapshot().status).toBe('connecting');
  });

  it('starts offline when the browser is offline', () => {
    const { connection, sockets, setOnline } = setup({ online: false });
    connection.start();
    expect(connection.getSnapshot().status).toBe('offline');
    expect(sockets.length).toBe(0);
    setOnline(true);
    expect(sockets.length).toBe(1);
  });
});

describe('Connection: errors', () => {
  it('drops the socket and retries when the relay sends an update the document rejects', () => {
    const { connection, sockets, doc, last, clock } = setup();
    connection.start();
    last().open();
    doc.rejectNext = true;
    last().receive({ type: 'sync', update: new Uint8Array([1]), stateVector: new Uint8Array([]) });
    expect(sockets[0]?.closedWith?.code).toBe(4422);
    expect(connection.getSnapshot().status).toBe('connecting');
    expect(connection.getSnapshot().lastError?.code).toBe(ErrorCode.badUpdate);
    clock.advance(1_000);
    expect(sockets.length).toBe(2);
  });

  it('stops for good when the relay refuses the document id', () => {
    const { connection, sockets, last, clock } = setup();
    connection.start();
    last().open();
    last().receive({ type: 'error', code: ErrorCode.badDocId, message: 'bad id' });
    last().drop(4404);
    clock.advance(60_000);
    expect(sockets.length).toBe(1);
    expect(connection.getSnapshot()).toMatchObject({ status: 'offline', stopped: true, lastError: { fromRelay: true } });
  });

  it('stop() says goodbye and closes', () => {
    const { connection, last, clock, sockets } = setup();
    connection.setPresence({ name: 'me', color: '#000', cursor: null });
    connection.start();
    last().open();
    last().receive({ type: 'sync', update: new Uint8Array([]), stateVector: new Uint8Array([]) });
    connection.stop();
    expect(last().sent.at(-1)).toMatchObject({ type: 'awareness', entries: [{ clientId: 42, state: null }] });
    expect(last().closedWith?.code).toBe(1000);
    clock.advance(60_000);
    expect(sockets.length).toBe(1);
  });
});
