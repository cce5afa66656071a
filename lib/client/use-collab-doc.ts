/**
 * React glue between a `Doc`, its `Connection` and the editor components: one document session
 * per mounted editor (created in an effect, so only in the browser), with the connection's
 * snapshot as an external store.
 */
import { useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import { Doc } from '../crdt';
import type { DocId } from '../sync/protocol';
import { browserEnvironment, Connection, REMOTE_ORIGIN, type ConnectionSnapshot } from './connection';
import { loadIdentity, type Identity } from './identity';
import { rememberRecentDoc } from './recent-docs';

/** One open document: the CRDT, its connection and who we are. */
export interface CollabSession {
  readonly docId: DocId;
  readonly doc: Doc;
  readonly connection: Connection;
  readonly identity: Identity;
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
  stopped: false,
};

/** Opens `docId` against `relayUrls` while the calling component is mounted; null until ready. */
export function useCollabDoc(docId: DocId, relayUrls: readonly string[]): CollabSession | null {
  const [session, setSession] = useState<CollabSession | null>(null);
  const urlsKey = relayUrls.join(',');

  useEffect(() => {
    const identity = loadIdentity(window.localStorage, Math.random);
    const doc = new Doc();
    const connection = new Connection(
      { docId, urls: urlsKey.split(','), doc, clientId: doc.replicaId, clientName: identity.name },
      browserEnvironment(window),
    );
    const offUpdate = doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin !== REMOTE_ORIGIN) connection.sendLocalUpdate(update);
    });
    rememberRecentDoc(window.localStorage, docId, Date.now());
    connection.start();
    setSession({ docId, doc, connection, identity });
    return () => {
      offUpdate();
      connection.stop();
      setSession(null);
    };
  }, [docId, urlsKey]);

  return session;
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
