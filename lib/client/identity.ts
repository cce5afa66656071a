/**
 * Who this browser is to other editors: a display name and a colour, kept in localStorage so they
 * survive reloads. Storage and randomness are passed in.
 */
import type { StorageLike } from './recent-docs';

/** A display identity. */
export interface Identity {
  readonly name: string;
  readonly color: string;
}

/** The localStorage key. */
export const IDENTITY_KEY = 'tandem.identity.v1';

/** Colours that read well as carets and badges on white. */
export const PALETTE = ['#e11d48', '#2563eb', '#059669', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d'] as const;

const ANIMALS = ['Otter', 'Heron', 'Fox', 'Badger', 'Lynx', 'Wren', 'Marten', 'Ibis', 'Puffin', 'Hare', 'Owl', 'Seal'] as const;

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.min(items.length - 1, Math.floor(random() * items.length))] as T;
}

/** A fresh identity like "Anonymous Otter" in one of the palette colours. */
export function generateIdentity(random: () => number): Identity {
  return { name: `Anonymous ${pick(ANIMALS, random)}`, color: pick(PALETTE, random) };
}

/** The stored identity, or a new one (stored, when storage allows). */
export function loadIdentity(storage: StorageLike, random: () => number): Identity {
  try {
    const raw = storage.getItem(IDENTITY_KEY);
    if (raw !== null) {
      const parsed: unknown = JSON.parse(raw);
      if (typeof parsed === 'object' && parsed !== null) {
        const { name, color } = parsed as { name?: unknown; color?: unknown };
        if (typeof name === 'string' && name.trim() !== '' && typeof color === 'string' && /^#[0-9a-f]{6}$/i.test(color)) {
          return { name: name.slice(0, 64), color };
        }
      }
    }
  } catch {
    // Unreadable or foreign data: make a new identity.
  }
  const identity = generateIdentity(random);
  try {
    storage.setItem(IDENTITY_KEY, JSON.stringify(identity));
  } catch {
    // Private mode or full storage: the identity lasts for this page only.
  }
  return identity;
}
