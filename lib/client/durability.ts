/**
 * How many of this replica's edits are not yet durable, from two version vectors: the document's
 * own (what this replica has done) and the last durable vector the relay acknowledged (`ack`:
 * what the persistence group holds). No queue is stored: a replica's operations are numbered by
 * its clock without gaps, so the edits not yet durable are exactly the clock units between the
 * durable count and the local count.
 *
 * The unit is a clock unit: one per inserted character, one per other operation (title set, tag
 * add...). Text deletions consume no clock unit, so a delete-only change is not counted (it still
 * travels with every handshake, since a diff carries the whole delete set).
 */
import type { ReplicaId } from '../clock';
import { decodeStateVector } from '../crdt';

/** Edits of `replica` in `local` not covered by `durable` (encoded state vector bytes, or null: nothing known durable). */
export function countUnsavedEdits(local: ReadonlyMap<ReplicaId, number>, durable: Uint8Array | null, replica: ReplicaId): number {
  const done = local.get(replica) ?? 0;
  if (done === 0) return 0;
  let saved = 0;
  if (durable !== null) {
    try {
      saved = decodeStateVector(durable).get(replica) ?? 0;
    } catch {
      saved = 0; // an undecodable vector proves nothing durable
    }
  }
  return Math.max(0, done - saved);
}

/** What the durability indicator says (`data-testid="durability"`). */
export function describeDurability(unsaved: number): string {
  if (unsaved === 0) return 'all changes saved';
  return unsaved === 1 ? '1 edit not yet saved' : `${unsaved} edits not yet saved`;
}
