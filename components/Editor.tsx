'use client';

import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { layoutCarets } from '../lib/client/caret-layout';
import type { DocId } from '../lib/client/doc-id';
import { resolvePeerCarets, selectionToCursor } from '../lib/client/presence';
import { bindTextarea } from '../lib/client/text-binding';
import { useCollabDoc, useConnectionSnapshot, useLocalSavePending, useUnsavedEdits } from '../lib/client/use-collab-doc';
import { DurabilityStatus } from './DurabilityStatus';
import { PeerList } from './PeerList';
import { RemoteCarets } from './RemoteCarets';
import { StatusBadge } from './StatusBadge';
import { TITLE, TitleInput } from './TitleInput';
import type { Doc } from '../lib/crdt';

/** The text field the editor edits. */
const BODY = 'body';

/** How often, at most, caret moves are announced to peers. */
const PRESENCE_INTERVAL_MS = 50;

/** Declares the fields the editor reads, before the first render that reads them. */
function declareFields(doc: Doc): void {
  doc.transact(() => {
    doc.getText(BODY);
    doc.getRegister(TITLE);
  });
}

function formatReplica(replicaId: number): string {
  return replicaId.toString(16).padStart(8, '0');
}

/** The editor for one document: title, body text, connection status and who is here. */
export function Editor({ docId, relayUrls }: { docId: DocId; relayUrls: string[] }) {
  const session = useCollabDoc(docId, relayUrls, declareFields);
  const snapshot = useConnectionSnapshot(session?.connection ?? null);
  const savePending = useLocalSavePending(session);
  const unsaved = useUnsavedEdits(session, snapshot.durableStateVector);
  const textareaRef = useRef<HTMLTextAreaElement>(null);
  const caretLayerRef = useRef<HTMLDivElement>(null);
  const [text, setText] = useState('');

  // Bind the textarea to the body text and follow the text for the caret layer.
  useEffect(() => {
    const textarea = textareaRef.current;
    if (session === null || textarea === null) return;
    const body = session.doc.getText(BODY);
    const binding = bindTextarea(textarea, body, (listener) => body.observe(listener), {
      transact: (fn) => session.doc.transact(fn),
    });
    setText(body.toString());
    const stopFollowing = body.observe(() => setText(body.toString()));
    return () => {
      stopFollowing();
      binding.destroy();
    };
  }, [session]);

  // Grow the textarea with its content: the page scrolls, and the caret layer needs no scroll sync.
  useLayoutEffect(() => {
    const textarea = textareaRef.current;
    if (textarea === null) return;
    textarea.style.height = 'auto';
    textarea.style.height = `${textarea.scrollHeight + 2}px`;
  }, [text]);

  // Announce our caret (throttled) when the selection moves or the text changes.
  const presenceTimer = useRef<number | null>(null);
  const announceCaret = useCallback(() => {
    if (session === null || presenceTimer.current !== null) return;
    presenceTimer.current = window.setTimeout(() => {
      presenceTimer.current = null;
      const textarea = textareaRef.current;
      if (textarea === null) return;
      const body = session.doc.getText(BODY);
      const focused = document.activeElement === textarea;
      session.connection.setPresence({
        name: session.identity.name,
        color: session.identity.color,
        cursor: focused
          ? selectionToCursor(body, BODY, textarea.selectionStart, textarea.selectionEnd, textarea.selectionDirection)
          : null,
      });
    }, PRESENCE_INTERVAL_MS);
  }, [session]);

  useEffect(() => {
    if (session === null) return;
    announceCaret();
    const onSelectionChange = (): void => {
      if (document.activeElement === textareaRef.current) announceCaret();
    };
    document.addEventListener('selectionchange', onSelectionChange);
    return () => {
      document.removeEventListener('selectionchange', onSelectionChange);
      if (presenceTimer.current !== null) window.clearTimeout(presenceTimer.current);
      presenceTimer.current = null;
    };
  }, [session, announceCaret]);

  useEffect(() => {
    announceCaret();
  }, [text, announceCaret]);

  const segments = useMemo(() => {
    if (session === null) return [];
    return layoutCarets(text, resolvePeerCarets(session.doc.getText(BODY), BODY, snapshot.peers));
  }, [session, text, snapshot.peers]);

  return (
    <div className="editor">
      <div className="editor-head">
        <div className="editor-title">
          {session === null ? <h1 className="title-input">{docId}</h1> : <TitleInput doc={session.doc} placeholder={docId} />}
          <div className="muted small">
            /d/<span data-testid="doc-id">{docId}</span>
          </div>
        </div>
        <StatusBadge snapshot={snapshot} />
      </div>
      <div className="editor-main">
        <div className="paper">
          <div className="textarea-wrap">
            <RemoteCarets ref={caretLayerRef} segments={segments} />
            <textarea
              ref={textareaRef}
              className="body-input"
              data-testid="editor"
              aria-label="Document text"
              placeholder={session === null ? 'Loading…' : 'Start typing…'}
              disabled={session === null}
              spellCheck
              onFocus={announceCaret}
              onBlur={announceCaret}
            />
          </div>
        </div>
        <aside className="side">
          {session !== null && <PeerList identity={session.identity} peers={snapshot.peers} />}
          <section className="side-card">
            <h3>This replica</h3>
            <dl className="facts">
              <dt>Replica</dt>
              <dd data-testid="replica-id">{session === null ? '…' : formatReplica(session.doc.replicaId)}</dd>
              <dt>Relay</dt>
              <dd className="break">{snapshot.url || relayUrls[0]}</dd>
              <dt>Characters</dt>
              <dd data-testid="char-count">{text.length}</dd>
              <dt>Local copy</dt>
              <dd data-testid="local-save">{session === null ? '…' : savePending ? 'saving' : 'saved'}</dd>
              <dt>Server copy</dt>
              <dd>{session === null ? '…' : <DurabilityStatus unsaved={unsaved} acknowledged={snapshot.durableStateVector !== null} />}</dd>
              <dt>Handshakes</dt>
              <dd>{snapshot.handshakes}</dd>
            </dl>
          </section>
        </aside>
      </div>
    </div>
  );
}
