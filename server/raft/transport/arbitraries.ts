/** fast-check arbitraries of Raft messages, for codec and transport tests. */
import fc from 'fast-check';
import { asIndex, asNodeId, asTerm, type Entry, type Message, type Snapshot } from '../core/types';

const id = fc.integer({ min: 1, max: 0xffff_ffff }).map(asNodeId);
const term = fc.nat({ max: Number.MAX_SAFE_INTEGER }).map(asTerm);
const index = fc.nat({ max: Number.MAX_SAFE_INTEGER }).map(asIndex);
const data = fc.uint8Array({ maxLength: 40 });
const entry: fc.Arbitrary<Entry> = fc.record({ index, term, data });
const entries = fc.array(entry, { maxLength: 5 });
const context = fc.string({ maxLength: 20 });
const snapshot: fc.Arbitrary<Snapshot> = fc.record({ index, term, voters: fc.array(id, { maxLength: 5 }), data });

export function messageArbitrary(): fc.Arbitrary<Message> {
  const env = { from: id, to: id, term };
  return fc.oneof(
    fc.record({ type: fc.constant('app' as const), ...env, index, logTerm: term, entries, commit: index }),
    fc.record({ type: fc.constant('appResp' as const), ...env, index, reject: fc.boolean(), hintIndex: index, hintTerm: term }),
    fc.record({ type: fc.constantFrom('vote' as const, 'preVote' as const), ...env, index, logTerm: term, transfer: fc.boolean() }),
    fc.record({ type: fc.constantFrom('voteResp' as const, 'preVoteResp' as const), ...env, reject: fc.boolean() }),
    fc.record({ type: fc.constant('heartbeat' as const), ...env, commit: index, context }),
    fc.record({ type: fc.constant('heartbeatResp' as const), ...env, context }),
    fc.record({ type: fc.constant('snap' as const), ...env, snapshot }),
    fc.record({ type: fc.constant('prop' as const), ...env, entries }),
    fc.record({ type: fc.constant('readIndex' as const), ...env, context }),
    fc.record({ type: fc.constant('readIndexResp' as const), ...env, index, context }),
    fc.record({ type: fc.constant('timeoutNow' as const), ...env }),
    fc.record({ type: fc.constant('transferLeader' as const), ...env, transferee: id }),
  );
}
