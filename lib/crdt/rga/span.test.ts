/**
 * `Span` packs its origin replicas and origin right clock into one field and its content and
 * length into another (span.ts): whatever the values (own or foreign replicas, none, clocks past
 * the packed range), the accessors give back exactly what was stored, and setters change only
 * their own value.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { NONE, Span } from './span';

const replicaArb = fc.oneof(fc.constant(7), fc.constant(NONE), fc.nat(0xffff_ffff));
const clockArb = fc.oneof(fc.nat(1000), fc.integer({ min: 2 ** 28 - 2, max: 2 ** 28 + 2 }), fc.maxSafeNat());

function fields(span: Span) {
  return { replica: span.replica, clock: span.clock, length: span.length, leftReplica: span.leftReplica, leftClock: span.leftClock, rightReplica: span.rightReplica, rightClock: span.rightClock, content: span.content };
}

describe('Span field packing', () => {
  it('accessors return what the constructor and setters stored (1 000 seeded cases)', () => {
    fc.assert(
      fc.property(replicaArb, clockArb, replicaArb, clockArb, fc.option(fc.string({ minLength: 1, maxLength: 5 })), replicaArb, clockArb, (left, leftClock, right, rightClock, content, newRight, newClock) => {
        const length = content?.length ?? 3;
        const span = new Span(7, 5000, length, left, leftClock, right, rightClock, content);
        expect(fields(span)).toEqual({ replica: 7, clock: 5000, length, leftReplica: left, leftClock, rightReplica: right, rightClock, content });
        span.setOriginRight(newRight, newClock);
        expect(fields(span)).toEqual({ replica: 7, clock: 5000, length, leftReplica: left, leftClock, rightReplica: newRight, rightClock: newClock, content });
        span.rightClock = rightClock;
        span.leftReplica = right;
        expect([span.leftReplica, span.rightReplica, span.rightClock]).toEqual([right, newRight, rightClock]);
      }),
      { seed: 5, numRuns: 1000 },
    );
  });

  it('a visible span takes its length from its content; deleting keeps the length; only a deleted span length may be set', () => {
    const span = new Span(1, 0, 5, NONE, 0, NONE, 0, 'hello');
    expect(() => (span.length = 3)).toThrow();
    span.content = 'hel';
    expect([span.length, span.visibleLength]).toEqual([3, 3]);
    span.content = null;
    expect([span.length, span.visibleLength, span.content]).toEqual([3, 0, null]);
    span.length = 8;
    expect(span.length).toBe(8);
    const tail = span.splitAt(2);
    expect([span.length, tail.length, tail.clock, tail.leftClock, tail.content]).toEqual([2, 6, 2, 1, null]);
  });
});
