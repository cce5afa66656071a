/**
 * Test helpers for relay integration tests: a real `ws` client that drives the pure `lib/sync`
 * session against a document, and a raw socket for sending arbitrary bytes. Every wait is bounded
 * by a timeout and woken by socket events (never a fixed sleep).
 */
import { WebSocket } from 'ws';
import { splitFrame } from '../../lib/sync/chunks';
import { decodeMessage, encodeMessage } from '../../lib/sync/codec';
import type { DocId, Message } from '../../lib/sync/protocol';
import type { SyncDoc } from '../../lib/sync/room';
import { createSession, stepSession, type SessionEvent, type SessionState } from '../../lib/sync/session';

/** Raised when a bounded wait runs out. */
/** Resolves when `check()` holds, re-checked whenever one of `listeners` would be called. */
function waitForListeners(listeners: Set<() => void>, check: () => boolean, what: string, timeoutMs: number): Promise<void> {
  return waitUntil(
    (wake) => {
      listeners.add(wake);
      return () => listeners.delete(wake);
    },
    check,
    what,
    timeoutMs,
  );
}

export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError';
}

/** How a socket closed. */
export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
}

/** Resolves when `check()` is true, re-checking whenever `subscribe` fires; rejects after `timeoutMs`. */
export function waitUntil(subscribe: (wake: () => void) => () => void, check: () => boolean, what: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (check()) {
      resolve();
      return;
    }
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new WaitTimeoutError(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const unsubscribe = subscribe(() => {
      if (!check()) return;
      clearTimeout(timer);
      unsubscribe();
      resolve();
    });
  });
}

/** A socket that records every decoded message and its close. */
export class RawClient {
  readonly messages: Message[] = [];
  close: CloseInfo | null = null;
  private readonly listeners = new Set<() => void>();

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      try {
        this.messages.push(decodeMessage(new Uint8Array(data)));
      } catch {
        // recorded as nothing; tests assert on what decodes
      }
      this.notify();
    });
    socket.on('close', (code, reason) => {
      this.close = { code, reason: reason.toString() };
      this.notify();
    });
    socket.on('error', () => this.notify());
  }

  static open(url: string, timeoutMs = 10_000): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      const timer = setTimeout(() => reject(new WaitTimeoutError(`cannot open ${url}`)), timeoutMs);
      socket.once('open', () => {
        clearTimeout(timer);
        resolve(new RawClient(socket));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  /** Calls `listener` after every socket event; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  send(bytes: Uint8Array | Message): void {
    const frame = bytes instanceof Uint8Array ? bytes : encodeMessage(bytes);
    this.socket.send(frame as Uint8Array<ArrayBuffer>);
  }

  waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    return waitForListeners(this.listeners, check, what, timeoutMs);
  }

  /** Waits for the relay to close the socket and returns how. */
  async closed(timeoutMs = 10_000): Promise<CloseInfo> {
    await this.waitFor(() => this.close !== null, 'the socket to close', timeoutMs);
    return this.close!;
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

/** A client that keeps `doc` in sync through the relay with the real session state machine. */
export class SyncClient<D extends SyncDoc> {
  session: SessionState;
  close: CloseInfo | null = null;
  private socket: WebSocket | null = null;
  private readonly listeners = new Set<() => void>();
  private nextTransferId = 1;

  constructor(
    readonly doc: D,
    readonly docId: DocId,
    private readonly url: string,
    name: string,
    /** Frames above this many bytes are sent as `chunk`s (the relay's maxPayload). */
    private readonly maxFrameBytes = Number.POSITIVE_INFINITY,
  ) {
    this.session = createSession(docId, name);
  }

  /** Opens the socket and resolves once the session is live. */
  async connect(timeoutMs = 10_000): Promise<void> {
    this.close = null;
    const socket = new WebSocket(this.url);
    this.socket = socket;
    this.step({ type: 'connecting' });
    socket.on('open', () => this.step({ type: 'connected' }));
    socket.on('message', (data: Buffer) => this.step({ type: 'received', frame: new Uint8Array(data) }));
    socket.on('close', (code, reason) => {
      this.close = { code, reason: reason.toString() };
      if (this.socket === socket) this.socket = null;
      this.step({ type: 'disconnected' });
    });
    socket.on('error', () => this.notify());
    await this.waitFor(() => this.session.phase === 'live', 'the session to be live', timeoutMs);
  }

  /** Calls `listener` after every socket event; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Hands a local update (from an edit on `doc`) to the session. */
  localUpdate(update: Uint8Array): void {
    this.step({ type: 'local-update', update });
  }

  /** Closes the socket and waits until it is closed. */
  async disconnect(timeoutMs = 10_000): Promise<void> {
    this.socket?.close(1000, 'bye');
    await this.waitFor(() => this.session.phase === 'disconnected', 'the socket to close', timeoutMs);
  }

  /** Resolves when `check()` holds, re-checked after every socket event. */
  waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    return waitForListeners(this.listeners, check, what, timeoutMs);
  }

  private step(event: SessionEvent): void {
    const result = stepSession(this.session, event, this.doc);
    this.session = result.state;
    for (const message of result.send) {
      if (this.socket?.readyState !== WebSocket.OPEN) continue;
      for (const frame of splitFrame(encodeMessage(message), this.maxFrameBytes, this.nextTransferId++)) {
        this.socket.send(frame as Uint8Array<ArrayBuffer>);
      }
    }
    for (const effect of result.effects) {
      if (effect.type === 'apply') this.doc.apply(effect.update, 'remote');
      if (effect.type === 'close') this.socket?.close(effect.code, effect.reason);
    }
    this.notify();
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
