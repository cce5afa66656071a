/**
 * React glue between a `Doc`, its `Connection` and the editor components: one document session
 * per mounted editor (created in an effect, so only in the browser), with the connection's
 * snapshot as an external store.
 */
import { useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import { Doc } from '../crdt';
import type { DocId } from '../sync/protocol';
import { browserEnvironment, Connection, REMOTE_ORIGIN, type ConnectionSnapshot } from './connection';
import { countUnsavedEdits } from './durability';
import { loadIdentity, type Identity } from './identity';
import { DocSaver, IdbDocStore, MemoryDocStore, type DocStore } from './offline-store';
import { rememberRecentDoc } from './recent-docs';

/** One open document: the CRDT, its connection and who we are. */
export interface CollabSession {
  readonly docId: DocId;
  readonly doc: Doc;
  readonly connection: Connection;
  readonly identity: Identity;
  /** Subscribes to "is there a change not yet saved in this browser"; returns an unsubscribe function. */
  readonly subscribeLocalSave: (listener: (pending: boolean) => void) => () => void;
}

/** The origin of the state restored from this browser's store. */
const STORE_ORIGIN: unique symbol = Symbol('tandem.store');

/** How long to wait for the local store before connecting without it. */
const STORE_TIMEOUT_MS = 2_000;

/** The stored state, or null when there is none, the store fails or it is too slow. */
function loadStored(store: DocStore, docId: DocId): Promise<Uint8Array | null> {
  return new Promise((resolve) => {
    const timer = window.setTimeout(() => resolve(null), STORE_TIMEOUT_MS);
    store.load(docId).then(
      (state) => {
        window.clearTimeout(timer);
        resolve(state);
      },
      () => {
        window.clearTimeout(timer);
        resolve(null);
      },
    );
  });
}

/** The snapshot shown before the session exists (server render and first client render). */
export const INITIAL_SNAPSHOT: ConnectionSnapshot = {
  status: 'connecting',
  phase: 'disconnected',
  url: '',
  attempt: 0,
  nextRetryAt: null,
  lastError: null,
  peers: new Map(),
  handshakes: 0,
  durableStateVector: null,
  stopped: false,
};

/**
 * Opens `docId` against `relayUrls` while the calling component is mounted; null until ready.
 * `prepare` runs on the new `Doc` before anything else: declare the fields the UI reads there (a
 * first `getX` emits an update, which must not happen during a render). Pass a stable function.
 */
export function useCollabDoc(
  docId: DocId,
  relayUrls: readonly string[],
  prepare: (doc: Doc) => void = () => {},
): CollabSession | null {
  const [session, setSession] = useState<CollabSession | null>(null);
  const urlsKey = relayUrls.join(',');

  useEffect(() => {
    let cancelled = false;
    const identity = loadIdentity(window.localStorage, Math.random);
    const doc = new Doc();
    prepare(doc);
    const connection = new Connection(
      { docId, urls: urlsKey.split(','), doc, clientId: doc.replicaId, clientName: identity.name },
      browserEnvironment(window),
    );
    const store: DocStore = typeof window.indexedDB === 'undefined' ? new MemoryDocStore() : new IdbDocStore(Date.now);
    const saveListeners = new Set<(pending: boolean) => void>();
    const saver = new DocSaver(
      docId,
      doc,
      store,
      {
        setTimeout: (callback, ms) => window.setTimeout(callback, ms),
        clearTimeout: (handle) => window.clearTimeout(handle as number),
      },
      250,
      () => {},
      (pending) => {
        for (const listener of saveListeners) listener(pending);
      },
    );
    const subscribeLocalSave = (listener: (pending: boolean) => void): (() => void) => {
      saveListeners.add(listener);
      return () => {
        saveListeners.delete(listener);
      };
    };
    const offUpdate = doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin !== REMOTE_ORIGIN) connection.sendLocalUpdate(update);
    });
    const offChange = doc.on('change', () => saver.markDirty());
    const flushSoon = (): void => {
      void saver.flush();
    };
    const onVisibility = (): void => {
      if (document.visibilityState === 'hidden') flushSoon();
    };
    window.addEventListener('pagehide', flushSoon);
    document.addEventListener('visibilitychange', onVisibility);
    rememberRecentDoc(window.localStorage, docId, Date.now());

    // Restore this browser's copy first (edits made offline earlier), then connect: the handshake
    // sends whatever the relay lacks.
    void loadStored(store, docId).then((stored) => {
      if (cancelled) return;
      if (stored !== null) {
        try {
          doc.apply(stored, STORE_ORIGIN);
        } catch {
          // A corrupt local copy is dropped; the relay has the document.
        }
      }
      connection.start();
      setSession({ docId, doc, connection, identity, subscribeLocalSave });
    });

    return () => {
      cancelled = true;
      offUpdate();
      offChange();
      window.removeEventListener('pagehide', flushSoon);
      document.removeEventListener('visibilitychange', onVisibility);
      flushSoon();
      connection.stop();
      setSession(null);
    };
  }, [docId, urlsKey, prepare]);

  return session;
}

/** True while a change waits to be saved in this browser; false once saved (and before any change). */
export function useLocalSavePending(session: CollabSession | null): boolean {
  const [pending, setPending] = useState(false);
  useEffect(() => {
    if (session === null) return;
    return session.subscribeLocalSave(setPending);
  }, [session]);
  return pending;
}

const noopSubscribe = (): (() => void) => () => {};
const initialSnapshot = (): ConnectionSnapshot => INITIAL_SNAPSHOT;

/** The connection's current snapshot, re-rendering on every change. */
export function useConnectionSnapshot(connection: Connection | null): ConnectionSnapshot {
  const subscribe = useMemo(
    () => (connection === null ? noopSubscribe : (listener: () => void) => connection.subscribe(listener)),
    [connection],
  );
  const getSnapshot = useMemo(
    () => (connection === null ? initialSnapshot : () => connection.getSnapshot()),
    [connection],
  );
  return useSyncExternalStore(subscribe, getSnapshot, initialSnapshot);
}

/**
 * How many of this replica's edits the persistence group does not hold yet (see
 * `countUnsavedEdits`): recomputed on every local transaction and every durable acknowledgement.
 */
export function useUnsavedEdits(session: CollabSession | null, durableStateVector: Uint8Array | null): number {
  const [unsaved, setUnsaved] = useState(0);
  useEffect(() => {
    if (session === null) return;
    const { doc } = session;
    const recount = (): void => setUnsaved(countUnsavedEdits(doc.stateVector(), durableStateVector, doc.replicaId));
    recount();
    return doc.on('update', recount);
  }, [session, durableStateVector]);
  return unsaved;
}
