'use client';

import { describeDurability } from '../lib/client/durability';

/**
 * Whether this replica's edits are durable in the persistence group (`data-testid="durability"`):
 * "all changes saved" or "N edits not yet saved". `unsaved` comes from `useUnsavedEdits`; with
 * `acknowledged` false (no `ack` ever received, e.g. a memory-only relay) the title says why.
 */
export function DurabilityStatus({ unsaved, acknowledged }: { unsaved: number; acknowledged: boolean }) {
  const title = acknowledged
    ? 'Edits are saved once the persistence group has committed them'
    : 'No save acknowledgement from the relay yet (it may be running without persistence)';
  return (
    <span data-testid="durability" className={unsaved === 0 ? 'muted' : 'status-error'} title={title}>
      {describeDurability(unsaved)}
    </span>
  );
}
