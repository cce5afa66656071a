import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ClockSkewError,
  Hlc,
  LamportClock,
  asReplicaId,
  compareHlc,
  compareStamped,
  compareVersionVectors,
  covers,
  mergeVersionVectors,
  randomReplicaId,
  type HlcTimestamp,
  type ReplicaId,
  type VersionVector,
} from './index';

const SEED = 20261125;
const params = { seed: SEED, numRuns: 1000 };

const vvArb = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 5 })), { maxLength: 5 })
  .map((entries) => new Map(entries.map(([r, c]) => [asReplicaId(r), c])) as VersionVector);

describe('replica ids', () => {
  it('randomReplicaId maps [0,1) into uint32', () => {
    expect(randomReplicaId(() => 0)).toBe(0);
    expect(randomReplicaId(() => 0.9999999999)).toBeLessThanOrEqual(0xffffffff);
    expect(() => asReplicaId(-1)).toThrow();
    expect(() => asReplicaId(2 ** 32)).toThrow();
  });
});

describe('version vectors', () => {
  it('compare: antisymmetric and consistent with merge (merge is the least upper bound)', () => {
    fc.assert(
      fc.property(vvArb, vvArb, (a, b) => {
        const ab = compareVersionVectors(a, b);
        const ba = compareVersionVectors(b, a);
        const flip = { before: 'after', after: 'before', equal: 'equal', concurrent: 'concurrent' } as const;
        expect(ba).toBe(flip[ab]);
        const m = mergeVersionVectors(a, b);
        expect(['after', 'equal']).toContain(compareVersionVectors(m, a));
        expect(['after', 'equal']).toContain(compareVersionVectors(m, b));
        expect(compareVersionVectors(mergeVersionVectors(b, a), m)).toBe('equal');
      }),
      params,
    );
  });
  it('covers(vv, id) iff id.clock < vv[replica]', () => {
    const vv: VersionVector = new Map([[asReplicaId(1), 3]]);
    expect(covers(vv, { replica: asReplicaId(1), clock: 2 })).toBe(true);
    expect(covers(vv, { replica: asReplicaId(1), clock: 3 })).toBe(false);
    expect(covers(vv, { replica: asReplicaId(2), clock: 0 })).toBe(false);
    expect(compareVersionVectors(new Map([[asReplicaId(1), 0]]), new Map())).toBe('equal');
  });
});

describe('Lamport clock', () => {
  it('receive returns more than both the remote and the previous time', () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.nat(1000), { nil: undefined }), { maxLength: 30 }), (events) => {
        const clock = new LamportClock();
        for (const remote of events) {
          const before = clock.time;
          const t = remote === undefined ? clock.tick() : clock.receive(remote);
          expect(t).toBeGreaterThan(before);
          if (remote !== undefined) expect(t).toBeGreaterThan(remote);
        }
      }),
      params,
    );
  });
});

type HlcEvent = { kind: 'tick'; advance: number } | { kind: 'receive'; advance: number; remote: HlcTimestamp };

const hlcEventArb: fc.Arbitrary<HlcEvent> = fc.oneof(
  fc.record({ kind: fc.constant('tick' as const), advance: fc.integer({ min: -5, max: 5 }) }),
  fc.record({
    kind: fc.constant('receive' as const),
    advance: fc.integer({ min: -5, max: 5 }),
    remote: fc.record({ wallMs: fc.integer({ min: 990, max: 1100 }), logical: fc.nat(5) }),
  }),
);

describe('HLC (Kulkarni et al.)', () => {
  it('monotonic: tick and receive always return a timestamp greater than the previous one; receive >= remote', () => {
    fc.assert(
      fc.property(fc.array(hlcEventArb, { maxLength: 40 }), (events) => {
        let physical = 1000;
        const hlc = new Hlc({ now: () => physical, maxSkewMs: 1000 });
        let previous = hlc.last;
        for (const event of events) {
          physical += event.advance; // physical time may even go backwards
          const ts = event.kind === 'tick' ? hlc.tick() : hlc.receive(event.remote);
          expect(compareHlc(ts, previous)).toBeGreaterThan(0);
          if (event.kind === 'receive') expect(compareHlc(ts, event.remote)).toBeGreaterThan(0);
          expect(ts.wallMs).toBeGreaterThanOrEqual(physical);
          previous = ts;
        }
      }),
      params,
    );
  });

  it('bounded drift: wallMs never exceeds max(physical, largest received wall time)', () => {
    fc.assert(
      fc.property(fc.array(hlcEventArb, { maxLength: 40 }), (events) => {
        let physical = 1000;
        let maxSeen = 0;
        const hlc = new Hlc({ now: () => physical, maxSkewMs: 1000 });
        for (const event of events) {
          physical += Math.abs(event.advance);
          maxSeen = Math.max(maxSeen, physical);
          const ts = event.kind === 'tick' ? hlc.tick() : hlc.receive(event.remote);
          if (event.kind === 'receive') maxSeen = Math.max(maxSeen, event.remote.wallMs);
          expect(ts.wallMs).toBeLessThanOrEqual(maxSeen);
        }
      }),
      params,
    );
  });

  it('rejects a remote wall time more than maxSkewMs ahead with ClockSkewError, leaving the clock unchanged', () => {
    const hlc = new Hlc({ now: () => 1_000 });
    hlc.tick();
    const before = hlc.last;
    expect(() => hlc.receive({ wallMs: 1_000 + 60_001, logical: 0 })).toThrow(ClockSkewError);
    expect(hlc.last).toEqual(before);
    expect(hlc.receive({ wallMs: 1_000 + 60_000, logical: 3 })).toEqual({ wallMs: 61_000, logical: 4 });
  });

  it('ties are broken by replica id', () => {
    const ts = { wallMs: 5, logical: 1 };
    expect(compareStamped(ts, 1 as ReplicaId, ts, 2 as ReplicaId)).toBeLessThan(0);
    expect(compareStamped({ wallMs: 6, logical: 0 }, 1 as ReplicaId, ts, 2 as ReplicaId)).toBeGreaterThan(0);
  });
});
