/**
 * Room documents backed by the lib/crdt `Doc`. The relay's copy never edits, so its replica id
 * never appears in an update; the HLC skew check is off (no `now`): the relay forwards what clients
 * accept, and a client with a skewed clock is a client-side concern, not a reason to drop its edits.
 */
import { Doc } from '../../lib/crdt';
import type { RelayDocFactory } from './rooms';

/** The text field the app edits (components/Editor.tsx) and the one `/docs` reports the length of. */
export const BODY_FIELD = 'body';
/** The register holding the document title. */
export const TITLE_FIELD = 'title';

/** Makes relay room documents as lib/crdt `Doc`s. */
export const docFactory: RelayDocFactory<Doc> = {
  create: () => new Doc(),
  textLength: (doc) => {
    const body = doc.toJSON()[BODY_FIELD];
    return typeof body === 'string' ? body.length : null;
  },
  title: (doc) => {
    const title = doc.toJSON()[TITLE_FIELD];
    return typeof title === 'string' ? title : null;
  },
};
