/**
 * The client side of the sync protocol as a pure state machine:
 * `stepSession(state, event, doc) -> { state, send, effects }`.
 *
 * The caller (the one client module that owns the socket) feeds socket and editor events in, sends
 * `send` in order, then performs `effects` in order (apply remote updates to the doc, show status,
 * show presence, close the socket). The machine reads the document only through `SyncDocView`
 * (state vector and diff) and never mutates it, never touches sockets, timers or the clock.
 *
 * Phases: disconnected → connecting (socket opening) → syncing (hello sent, waiting for `sync`) →
 * live (exchanging updates). Any phase → disconnected on socket close.
 *
 * Why local updates are not sent while connecting or syncing: the `hello` carries the client's
 * state vector and the reply to `sync` is `doc.diff(relay's vector)`, computed when `sync` arrives,
 * so it already contains every local edit made before that moment (including delete-only edits,
 * since a diff carries the whole delete set). Offline edits are therefore delivered by the handshake.
 */
import { appendChunk, type PartialTransfer } from './chunks';
import { decodeMessage } from './codec';
import { ErrorCode, ProtocolError } from './errors';
import { Limits, closeCodeFor, hello, type AwarenessEntry, type DocId, type Message } from './protocol';

/** What the session needs to read from the document. `Doc` from lib/crdt satisfies it. */
export interface SyncDocView {
  encodeStateVector(): Uint8Array;
  /** Everything the holder of `stateVector` lacks. Throws (e.g. DecodeError) on bad vector bytes. */
  diff(stateVector: Uint8Array): Uint8Array;
}

/** The phases of a session, as an `as const` object. */
export const SessionPhase = {
  disconnected: 'disconnected',
  connecting: 'connecting',
  syncing: 'syncing',
  live: 'live',
} as const;
export type SessionPhase = (typeof SessionPhase)[keyof typeof SessionPhase];

/** The state of one client's session with one relay for one document. Treat as immutable. */
export interface SessionState {
  readonly phase: SessionPhase;
  readonly docId: DocId;
  readonly clientName: string | null;
  /** The relay's state vector from its last `sync`; null until the first `sync`. Kept across reconnects. */
  readonly relayStateVector: Uint8Array | null;
  /** The last durable state vector acknowledged by the relay (`ack`); null until one arrives. */
  readonly durableStateVector: Uint8Array | null;
  /** This client's own presence, re-sent whenever the session becomes live. */
  readonly localPresence: AwarenessEntry | null;
  /**
   * Other clients' presence by clientId. Invariant: only entries with a non-null state; an entry
   * is replaced only by one with a larger clock. Cleared on disconnect.
   */
  readonly peers: ReadonlyMap<number, AwarenessEntry>;
  /** Number of `sync` messages handled (1 per successful handshake). */
  readonly handshakes: number;
  /** A chunked frame from the relay being reassembled; null when none. Dropped on disconnect. */
  readonly incomingTransfer: PartialTransfer | null;
}

/** Inputs of the machine. */
export type SessionEvent =
  | { readonly type: 'connecting' }
  | { readonly type: 'connected' }
  | { readonly type: 'received'; readonly frame: Uint8Array }
  | { readonly type: 'local-update'; readonly update: Uint8Array }
  | { readonly type: 'local-presence'; readonly entry: AwarenessEntry }
  | { readonly type: 'disconnected' };

/** Outputs besides messages to send, performed by the caller in order. */
export type SessionEffect =
  /** Apply this remote update to the document (with a non-local origin, so it is not re-sent). */
  | { readonly type: 'apply'; readonly update: Uint8Array }
  /** The phase changed (for the status indicator). */
  | { readonly type: 'phase'; readonly phase: SessionPhase }
  /** Everything covered by this state vector is durable: pending operations it covers may be dropped. */
  | { readonly type: 'durable'; readonly stateVector: Uint8Array }
  /** Remote presence changed; `peers` is the full current map. */
  | { readonly type: 'presence'; readonly peers: ReadonlyMap<number, AwarenessEntry> }
  /** The relay reported an error (`fromRelay`) or sent something this client refuses. */
  | { readonly type: 'error'; readonly code: ErrorCode; readonly message: string; readonly fromRelay: boolean }
  /** Close the socket with this code (the relay broke the protocol). A `disconnected` event follows. */
  | { readonly type: 'close'; readonly code: number; readonly reason: string };

/** Result of one step. */
export interface SessionStep {
  readonly state: SessionState;
  readonly send: readonly Message[];
  readonly effects: readonly SessionEffect[];
}

/** A new, disconnected session for `docId`. */
export function createSession(docId: DocId, clientName: string | null = null): SessionState {
  return {
    phase: SessionPhase.disconnected,
    docId,
    clientName,
    relayStateVector: null,
    durableStateVector: null,
    localPresence: null,
    peers: new Map(),
    handshakes: 0,
    incomingTransfer: null,
  };
}

const noOutput = (state: SessionState): SessionStep => ({ state, send: [], effects: [] });

function withPhase(state: SessionState, phase: SessionPhase, extra: Partial<SessionState> = {}): SessionState {
  return { ...state, ...extra, phase };
}

/** Refuse what the relay sent: tell it why, and close. */
function refuse(state: SessionState, error: ProtocolError): SessionStep {
  return {
    state,
    send: [{ type: 'error', code: error.code, message: error.message }],
    effects: [
      { type: 'error', code: error.code, message: error.message, fromRelay: false },
      { type: 'close', code: closeCodeFor(error.code), reason: error.message.slice(0, 120) },
    ],
  };
}

/** Merges presence entries into `peers`, keeping only newer clocks; null states remove a peer. */
function mergePresence(
  peers: ReadonlyMap<number, AwarenessEntry>,
  entries: readonly AwarenessEntry[],
  selfId: number | null,
): ReadonlyMap<number, AwarenessEntry> | null {
  let next: Map<number, AwarenessEntry> | null = null;
  for (const entry of entries) {
    if (entry.clientId === selfId) continue;
    const current = (next ?? peers).get(entry.clientId);
    if (current !== undefined && current.clock >= entry.clock) continue;
    if (current === undefined && entry.state === null) continue;
    next ??= new Map(peers);
    if (entry.state === null) next.delete(entry.clientId);
    else next.set(entry.clientId, entry);
  }
  return next;
}

function receiveMessage(state: SessionState, message: Message, doc: SyncDocView): SessionStep {
  switch (message.type) {
    case 'sync': {
      let reply: Uint8Array;
      try {
        reply = doc.diff(message.stateVector);
      } catch (error) {
        return refuse(state, new ProtocolError(ErrorCode.badUpdate, `relay state vector rejected: ${String(error)}`));
      }
      const send: Message[] = [{ type: 'update', update: reply }];
      if (state.localPresence !== null) send.push({ type: 'awareness', entries: [state.localPresence] });
      const effects: SessionEffect[] = [{ type: 'apply', update: message.update }];
      if (state.phase !== SessionPhase.live) effects.push({ type: 'phase', phase: SessionPhase.live });
      const next = withPhase(state, SessionPhase.live, {
        relayStateVector: message.stateVector,
        handshakes: state.handshakes + 1,
      });
      return { state: next, send, effects };
    }
    case 'update':
      return { state, send: [], effects: [{ type: 'apply', update: message.update }] };
    case 'ack':
      return {
        state: { ...state, durableStateVector: message.stateVector },
        send: [],
        effects: [{ type: 'durable', stateVector: message.stateVector }],
      };
    case 'awareness': {
      const peers = mergePresence(state.peers, message.entries, state.localPresence?.clientId ?? null);
      if (peers === null) return noOutput(state);
      return { state: { ...state, peers }, send: [], effects: [{ type: 'presence', peers }] };
    }
    case 'error':
      return {
        state,
        send: [],
        effects: [{ type: 'error', code: message.code, message: message.message, fromRelay: true }],
      };
    case 'hello':
      return refuse(state, new ProtocolError(ErrorCode.unexpectedMessage, 'a relay must not send hello'));
    case 'chunk': {
      let progress;
      try {
        progress = appendChunk(state.incomingTransfer, message, Limits.updateBytes + 1024);
      } catch (error) {
        if (error instanceof ProtocolError) return refuse({ ...state, incomingTransfer: null }, error);
        throw error;
      }
      if (progress.frame === null) return noOutput({ ...state, incomingTransfer: progress.partial });
      return receiveFrame({ ...state, incomingTransfer: null }, progress.frame, doc);
    }
  }
}

/** Decodes one whole frame from the relay and handles it. */
function receiveFrame(state: SessionState, frame: Uint8Array, doc: SyncDocView): SessionStep {
  let message: Message;
  try {
    message = decodeMessage(frame);
  } catch (error) {
    if (error instanceof ProtocolError) return refuse(state, error);
    throw error;
  }
  return receiveMessage(state, message, doc);
}

/** Advances the session by one event. Pure: the same inputs always give the same outputs. */
export function stepSession(state: SessionState, event: SessionEvent, doc: SyncDocView): SessionStep {
  switch (event.type) {
    case 'connecting':
      if (state.phase === SessionPhase.connecting) return noOutput(state);
      return {
        state: withPhase(state, SessionPhase.connecting),
        send: [],
        effects: [{ type: 'phase', phase: SessionPhase.connecting }],
      };
    case 'connected':
      return {
        state: withPhase(state, SessionPhase.syncing),
        send: [hello(state.docId, doc.encodeStateVector(), state.clientName)],
        effects: [{ type: 'phase', phase: SessionPhase.syncing }],
      };
    case 'received': {
      // Frames from a socket that is not open (late deliveries after a close) are stale.
      if (state.phase === SessionPhase.disconnected || state.phase === SessionPhase.connecting) return noOutput(state);
      return receiveFrame(state, event.frame, doc);
    }
    case 'local-update':
      if (state.phase !== SessionPhase.live) return noOutput(state);
      return { state, send: [{ type: 'update', update: event.update }], effects: [] };
    case 'local-presence': {
      const next = { ...state, localPresence: event.entry };
      const send: Message[] = state.phase === SessionPhase.live ? [{ type: 'awareness', entries: [event.entry] }] : [];
      return { state: next, send, effects: [] };
    }
    case 'disconnected': {
      if (state.phase === SessionPhase.disconnected) return noOutput(state);
      const effects: SessionEffect[] = [{ type: 'phase', phase: SessionPhase.disconnected }];
      if (state.peers.size > 0) effects.push({ type: 'presence', peers: new Map() });
      return { state: withPhase(state, SessionPhase.disconnected, { peers: new Map(), incomingTransfer: null }), send: [], effects };
    }
  }
}

/** True when the session exchanges live updates. */
export function isLive(state: SessionState): boolean {
  return state.phase === SessionPhase.live;
}
