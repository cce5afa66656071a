/**
 * The one browser module that owns the WebSocket. A `Connection` keeps one document in sync with a
 * relay: it opens a socket to one of the configured relays, drives the pure `lib/sync` session
 * (hello with the document's state vector → sync → live updates both ways), reconnects with
 * jittered exponential backoff, rotating through the relay list, and follows the browser's
 * `offline`/`online` events (an open socket is closed when the browser goes offline, because
 * browsers do not close it themselves; it reconnects at once when the browser is back online).
 *
 * Everything with side effects — socket construction, timers, randomness, the network signal — is
 * injected through `ConnectionEnvironment`, so the whole lifecycle is unit-tested with fakes.
 */
import { splitFrame } from '../sync/chunks';
import { encodeMessage } from '../sync/codec';
import { ErrorCode } from '../sync/errors';
import type { AwarenessEntry, DocId, PresenceState } from '../sync/protocol';
import {
  createSession,
  stepSession,
  type SessionEffect,
  type SessionEvent,
  type SessionPhase,
  type SessionState,
  type SyncDocView,
} from '../sync/session';
import { backoffDelayMs, DEFAULT_BACKOFF, type BackoffOptions } from './backoff';
import { relayDocUrl } from './relay-url';

/** What the status indicator shows. */
export type ConnectionStatus = 'connecting' | 'syncing' | 'live' | 'offline';

/** The origin passed to `doc.apply` for updates that came from the relay (so they are not re-sent). */
export const REMOTE_ORIGIN: unique symbol = Symbol('tandem.remote');

/** What the connection needs from the document. `Doc` from lib/crdt satisfies it. */
export interface ConnectionDoc extends SyncDocView {
  apply(update: Uint8Array, origin?: unknown): void;
}

/** The part of the browser `WebSocket` the connection uses. */
export interface SocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

/** The browser's network signal (`navigator.onLine` and `online`/`offline` window events). */
export interface NetworkSignal {
  isOnline(): boolean;
  /** Calls `listener` on every change; returns an unsubscribe function. */
  subscribe(listener: (online: boolean) => void): () => void;
}

/** Side effects, injected. */
export interface ConnectionEnvironment {
  createSocket(url: string): SocketLike;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** Uniform in [0, 1). */
  random(): number;
  /** Milliseconds since the epoch. */
  now(): number;
  network: NetworkSignal;
}

/** Options of one connection. */
export interface ConnectionOptions {
  readonly docId: DocId;
  /** Relay WebSocket URLs, tried in order, rotating on failure; the socket goes to `<url>/doc/<docId>`. Invariant: non-empty. */
  readonly urls: readonly string[];
  readonly doc: ConnectionDoc;
  /** This client's presence id: the document's replica id. */
  readonly clientId: number;
  readonly clientName?: string | null;
  readonly backoff?: BackoffOptions;
  /** A socket that has not reached `live` after this long is closed and retried. */
  readonly handshakeTimeoutMs?: number;
  /**
   * Largest frame sent; bigger messages (a large paste, a long offline diff) go as `chunk` frames.
   * Must not exceed the relay's `maxPayload` (4 MiB by default). Default 1 MiB.
   */
  readonly maxFrameBytes?: number;
}

/** Default of `ConnectionOptions.maxFrameBytes`. */
export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;

/** An error worth showing: the relay refused something or we refused the relay. */
export interface ConnectionError {
  readonly code: ErrorCode;
  readonly message: string;
  readonly fromRelay: boolean;
}

/** An immutable view of the connection for the UI. A new object on every change. */
export interface ConnectionSnapshot {
  readonly status: ConnectionStatus;
  readonly phase: SessionPhase;
  /** The relay in use (or the next one to try). */
  readonly url: string;
  /** Failed attempts since the last time the session was live. */
  readonly attempt: number;
  /** When the next attempt starts (epoch ms), or null when none is scheduled. */
  readonly nextRetryAt: number | null;
  readonly lastError: ConnectionError | null;
  /** Other clients in the room, by client id. */
  readonly peers: ReadonlyMap<number, AwarenessEntry>;
  /** Successful handshakes so far. */
  readonly handshakes: number;
  /**
   * The last durable state vector the relay acknowledged (`ack`: what the persistence group
   * holds), kept across reconnects; null until one arrives (e.g. a memory-only relay).
   */
  readonly durableStateVector: Uint8Array | null;
  /** True once `stop()` was called or the relay refused the document for good. */
  readonly stopped: boolean;
}

/** Error codes after which retrying cannot help. */
const FATAL_CODES: ReadonlySet<ErrorCode> = new Set([ErrorCode.badDocId, ErrorCode.unsupportedVersion]);

const OPEN = 1;

/** Keeps one document in sync with the relays; see the module comment. */
export class Connection {
  private session: SessionState;
  private socket: SocketLike | null = null;
  private retryTimer: unknown = null;
  private handshakeTimer: unknown = null;
  private urlIndex = 0;
  private attempt = 0;
  private nextRetryAt: number | null = null;
  private lastError: ConnectionError | null = null;
  private stopped = false;
  private started = false;
  private presenceClock = 0;
  /** Incremented whenever the socket is dropped, so effects of a step stop once their socket is gone. */
  private generation = 0;
  /** The browser's network state, from `online`/`offline` events. */
  private online = true;
  private snapshot: ConnectionSnapshot;
  private readonly listeners = new Set<(snapshot: ConnectionSnapshot) => void>();
  private unsubscribeNetwork: (() => void) | null = null;
  private readonly backoff: BackoffOptions;
  private readonly handshakeTimeoutMs: number;
  private readonly maxFrameBytes: number;
  /** Id of the next chunked transfer (uint32, wraps). */
  private nextTransferId = 1;

  constructor(
    private readonly options: ConnectionOptions,
    private readonly env: ConnectionEnvironment,
  ) {
    if (options.urls.length === 0) throw new RangeError('Connection needs at least one relay URL');
    this.session = createSession(options.docId, options.clientName ?? null);
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? 10_000;
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.snapshot = this.buildSnapshot();
  }

  /** Starts connecting (or waits for the network when the browser is offline). Idempotent. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.unsubscribeNetwork = this.env.network.subscribe((online) => (online ? this.handleOnline() : this.handleOffline()));
    this.online = this.env.network.isOnline();
    if (this.online) this.connect();
    else this.publish();
  }

  /** Closes the socket for good, saying goodbye to peers first when live. */
  stop(): void {
    if (this.stopped) return;
    if (this.session.phase === 'live' && this.session.localPresence !== null) {
      this.step({ type: 'local-presence', entry: this.nextPresenceEntry(null) });
    }
    this.stopped = true;
    this.unsubscribeNetwork?.();
    this.unsubscribeNetwork = null;
    this.cancelRetry();
    this.dropSocket(1000, 'client closed');
    this.publish();
  }

  /** The current view; the same object until something changes (for `useSyncExternalStore`). */
  getSnapshot(): ConnectionSnapshot {
    return this.snapshot;
  }

  /** Calls `listener` after every change; returns an unsubscribe function. */
  subscribe(listener: (snapshot: ConnectionSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Sends a local document update (from `doc.on('update')`) when live; the handshake covers the rest. */
  sendLocalUpdate(update: Uint8Array): void {
    this.step({ type: 'local-update', update });
  }

  /** Sets this client's presence (null = leaving); sent now when live, and on every reconnect. */
  setPresence(state: PresenceState | null): void {
    this.step({ type: 'local-presence', entry: this.nextPresenceEntry(state) });
  }

  private nextPresenceEntry(state: PresenceState | null): AwarenessEntry {
    this.presenceClock += 1;
    return { clientId: this.options.clientId, clock: this.presenceClock, state };
  }

  private get url(): string {
    return this.options.urls[this.urlIndex % this.options.urls.length] as string;
  }

  private connect(): void {
    if (this.stopped || this.socket !== null) return;
    this.cancelRetry();
    let socket: SocketLike;
    try {
      socket = this.env.createSocket(relayDocUrl(this.url, this.options.docId));
    } catch (error) {
      this.lastError = { code: ErrorCode.internal, message: `cannot open ${this.url}: ${String(error)}`, fromRelay: false };
      this.scheduleRetry();
      return;
    }
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.step({ type: 'connected' });
    };
    socket.onmessage = (event) => {
      if (this.socket !== socket) return;
      const frame = toBytes(event.data);
      if (frame === null) return;
      this.step({ type: 'received', frame });
    };
    socket.onerror = () => {
      // A close event always follows; nothing to do here.
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.generation += 1;
      this.clearHandshakeTimer();
      this.step({ type: 'disconnected' });
      if (event.code === 1009 && this.lastError === null) {
        this.lastError = { code: ErrorCode.tooLarge, message: 'the relay refused a message as too large', fromRelay: true };
      }
      this.afterDisconnect();
    };
    this.handshakeTimer = this.env.setTimeout(() => {
      this.handshakeTimer = null;
      if (this.socket === socket && this.session.phase !== 'live') {
        this.lastError = { code: ErrorCode.internal, message: `no handshake with ${this.url} within ${this.handshakeTimeoutMs} ms`, fromRelay: false };
        this.dropSocket(4000, 'handshake timeout');
        this.afterDisconnect();
      }
    }, this.handshakeTimeoutMs);
    this.step({ type: 'connecting' });
  }

  /** After a socket is gone: retry later, unless stopped, offline or refused for good. */
  private afterDisconnect(): void {
    if (this.stopped) return;
    if (this.lastError !== null && FATAL_CODES.has(this.lastError.code)) {
      this.stopped = true;
      this.publish();
      return;
    }
    if (!this.online) {
      this.publish();
      return;
    }
    this.urlIndex = (this.urlIndex + 1) % this.options.urls.length;
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer !== null) return;
    const delay = backoffDelayMs(this.attempt, () => this.env.random(), this.backoff);
    this.attempt += 1;
    this.nextRetryAt = this.env.now() + delay;
    this.retryTimer = this.env.setTimeout(() => {
      this.retryTimer = null;
      this.nextRetryAt = null;
      this.connect();
    }, delay);
    this.publish();
  }

  private cancelRetry(): void {
    if (this.retryTimer !== null) this.env.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.nextRetryAt = null;
  }

  private clearHandshakeTimer(): void {
    if (this.handshakeTimer !== null) this.env.clearTimeout(this.handshakeTimer);
    this.handshakeTimer = null;
  }

  /** Forgets the current socket (its late events are ignored) and closes it. */
  private dropSocket(code: number, reason: string): void {
    const socket = this.socket;
    this.clearHandshakeTimer();
    if (socket === null) return;
    this.socket = null;
    this.generation += 1;
    this.step({ type: 'disconnected' });
    try {
      socket.close(code, reason);
    } catch {
      // Closing a socket that is still connecting may throw in some browsers; it is gone either way.
    }
  }

  private handleOffline(): void {
    this.online = false;
    if (this.stopped) return;
    this.cancelRetry();
    this.dropSocket(1000, 'browser offline');
    this.publish();
  }

  private handleOnline(): void {
    this.online = true;
    if (this.stopped) return;
    this.cancelRetry();
    this.attempt = 0;
    if (this.socket === null) this.connect();
    else this.publish();
  }

  /** Feeds one event to the session, sends its messages, then performs its effects in order. */
  private step(event: SessionEvent): void {
    const result = stepSession(this.session, event, this.options.doc);
    this.session = result.state;
    const socket = this.socket;
    if (socket !== null && socket.readyState === OPEN) {
      for (const message of result.send) {
        for (const frame of splitFrame(encodeMessage(message), this.maxFrameBytes, this.nextTransferId)) socket.send(frame);
        this.nextTransferId = this.nextTransferId >= 0xffffffff ? 1 : this.nextTransferId + 1;
      }
    }
    const generation = this.generation;
    for (const effect of result.effects) {
      // An effect that dropped the socket (a rejected update, a protocol error) ends this step.
      if (this.generation !== generation) break;
      this.perform(effect);
    }
    this.publish();
  }

  private perform(effect: SessionEffect): void {
    switch (effect.type) {
      case 'apply':
        try {
          this.options.doc.apply(effect.update, REMOTE_ORIGIN);
        } catch (error) {
          this.lastError = { code: ErrorCode.badUpdate, message: `rejected an update from the relay: ${String(error)}`, fromRelay: false };
          this.dropSocket(4422, 'bad update');
          this.afterDisconnect();
        }
        return;
      case 'phase':
        if (effect.phase === 'live') {
          this.attempt = 0;
          this.lastError = null;
          this.clearHandshakeTimer();
        }
        return;
      case 'error':
        this.lastError = { code: effect.code, message: effect.message, fromRelay: effect.fromRelay };
        return;
      case 'close':
        this.dropSocket(effect.code, effect.reason);
        this.afterDisconnect();
        return;
      case 'durable':
      case 'presence':
        // Both are read from the session state by `buildSnapshot`.
        return;
    }
  }

  private buildSnapshot(): ConnectionSnapshot {
    return {
      status: this.computeStatus(),
      phase: this.session.phase,
      url: this.url,
      attempt: this.attempt,
      nextRetryAt: this.nextRetryAt,
      lastError: this.lastError,
      peers: this.session.peers,
      handshakes: this.session.handshakes,
      durableStateVector: this.session.durableStateVector,
      stopped: this.stopped,
    };
  }

  private computeStatus(): ConnectionStatus {
    switch (this.session.phase) {
      case 'live':
        return 'live';
      case 'syncing':
        return 'syncing';
      case 'connecting':
        return 'connecting';
      case 'disconnected':
        return this.stopped || !this.online ? 'offline' : 'connecting';
    }
  }

  private publish(): void {
    const next = this.buildSnapshot();
    const previous = this.snapshot;
    if (
      next.status === previous.status &&
      next.phase === previous.phase &&
      next.url === previous.url &&
      next.attempt === previous.attempt &&
      next.nextRetryAt === previous.nextRetryAt &&
      next.lastError === previous.lastError &&
      next.peers === previous.peers &&
      next.handshakes === previous.handshakes &&
      next.durableStateVector === previous.durableStateVector &&
      next.stopped === previous.stopped
    ) {
      return;
    }
    this.snapshot = next;
    for (const listener of [...this.listeners]) listener(next);
  }
}

/** Frames arrive as ArrayBuffer (binaryType 'arraybuffer'); anything else (text) is ignored. */
function toBytes(data: unknown): Uint8Array | null {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return null;
}

/** The real environment of a browser window. */
export function browserEnvironment(win: Window & typeof globalThis): ConnectionEnvironment {
  return {
    createSocket: (url) => new win.WebSocket(url) as unknown as SocketLike,
    setTimeout: (callback, ms) => win.setTimeout(callback, ms),
    clearTimeout: (handle) => win.clearTimeout(handle as number),
    random: () => Math.random(),
    now: () => Date.now(),
    network: {
      isOnline: () => win.navigator.onLine !== false,
      subscribe(listener) {
        const onOnline = (): void => listener(true);
        const onOffline = (): void => listener(false);
        win.addEventListener('online', onOnline);
        win.addEventListener('offline', onOffline);
        return () => {
          win.removeEventListener('online', onOnline);
          win.removeEventListener('offline', onOffline);
        };
      },
    },
  };
}
