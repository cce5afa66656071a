/** The events a `Doc` emits: `update` (bytes of a local transaction) and `change` (what changed, local or remote). */
import type { TextDelta } from './rga/types';

/** What one transaction changed in one field. */
export type FieldChange =
  | { readonly kind: 'text'; readonly field: string; readonly deltas: readonly TextDelta[] }
  | { readonly kind: 'set'; readonly field: string; readonly added: readonly string[]; readonly removed: readonly string[] }
  | { readonly kind: 'map'; readonly field: string; readonly keys: readonly string[] }
  | { readonly kind: 'register'; readonly field: string }
  | { readonly kind: 'counter'; readonly field: string; readonly delta: number };

/** One transaction's changes. `local` is true for `transact` (and edits through fields), false for `apply`. */
export interface ChangeEvent {
  readonly local: boolean;
  readonly origin: unknown;
  readonly changes: readonly FieldChange[];
}

/** Listener of `update`: the bytes to send to peers and the transaction's origin. */
export type UpdateListener = (update: Uint8Array, origin: unknown) => void;
/** Listener of `change`. */
export type ChangeListener = (event: ChangeEvent) => void;
/** Listener of one text field: the deltas of one transaction, in order. */
export type TextListener = (deltas: readonly TextDelta[], event: ChangeEvent) => void;

/** Thrown when a field is used as two different types on this replica. */
export class FieldTypeError extends Error {
  override readonly name = 'FieldTypeError';
  constructor(
    readonly field: string,
    readonly existing: string,
    readonly requested: string,
  ) {
    super(`field ${JSON.stringify(field)} is a ${existing}, not a ${requested}`);
  }
}
