/**
 * Document ids as the browser sees them: validation (the same rule the relay applies) and
 * readable random ids for new documents. Randomness is passed in.
 */

import { isDocId as isProtocolDocId, type DocId } from '../sync/protocol';

export type { DocId };

/** The rule every document id must satisfy (the same as the wire protocol's). */
export const DOC_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/** Thrown by `parseDocId` for an id that breaks `DOC_ID_PATTERN`. */
export class InvalidDocIdError extends Error {
  override readonly name = 'InvalidDocIdError';
  constructor(readonly input: string) {
    super(`invalid document id ${JSON.stringify(input.slice(0, 140))}: use 1–128 characters of A–Z, a–z, 0–9, _ and -`);
  }
}

/** True when `input` is a valid document id. */
export function isDocId(input: string): input is DocId {
  return isProtocolDocId(input);
}

/** Returns `input` as a `DocId` or throws `InvalidDocIdError`. */
export function parseDocId(input: string): DocId {
  if (!isDocId(input)) throw new InvalidDocIdError(input);
  return input;
}

/**
 * Turns a typed name ("Meeting notes, 3 May") into an id ("meeting-notes-3-may"); null when
 * nothing usable is left.
 */
export function slugifyDocName(name: string): DocId | null {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 128)
    .replace(/-$/, '');
  return isDocId(slug) ? slug : null;
}

const ADJECTIVES = [
  'amber', 'brave', 'calm', 'clever', 'crisp', 'dusty', 'eager', 'fuzzy', 'gentle', 'golden',
  'happy', 'hidden', 'jolly', 'keen', 'lively', 'lucky', 'mellow', 'misty', 'nimble', 'quiet',
  'rapid', 'rosy', 'shiny', 'silent', 'sunny', 'swift', 'tidy', 'vivid', 'witty', 'zesty',
] as const;

const NOUNS = [
  'acorn', 'badger', 'beacon', 'brook', 'canyon', 'cedar', 'comet', 'falcon', 'fern', 'harbor',
  'heron', 'island', 'lantern', 'maple', 'meadow', 'otter', 'pebble', 'pine', 'quill', 'raven',
  'river', 'sparrow', 'summit', 'thistle', 'tulip', 'valley', 'willow', 'wren', 'yarrow', 'zephyr',
] as const;

function pick<T>(items: readonly T[], random: () => number): T {
  const index = Math.min(items.length - 1, Math.floor(random() * items.length));
  return items[index] as T;
}

/** A readable random id like `swift-otter-4821`; `random` returns numbers in [0, 1). */
export function generateDocId(random: () => number): DocId {
  const number = Math.min(9999, Math.floor(random() * 10000));
  return `${pick(ADJECTIVES, random)}-${pick(NOUNS, random)}-${String(number).padStart(4, '0')}` as DocId;
}
