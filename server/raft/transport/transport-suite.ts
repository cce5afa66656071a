/**
 * The shared contract suite of `Transport` implementations: every implementation registers itself
 * with `describeTransportContract` in its own test file.
 */
import { describe, expect, it } from 'vitest';
import { asIndex, asNodeId, asTerm, type Message, type NodeId } from '../core/types';
import type { Transport } from './transport';

/** A group of connected transports for node ids 1..n; `close` releases everything. */
export interface TransportGroup {
  readonly transports: ReadonlyMap<NodeId, Transport>;
  close(): Promise<void>;
}

const heartbeat = (from: number, to: number, context: string): Message => ({
  type: 'heartbeat',
  from: asNodeId(from),
  to: asNodeId(to),
  term: asTerm(1),
  commit: asIndex(0),
  context,
});

/** Resolves with the first `count` messages delivered to `t`, or rejects after `timeoutMs`. */
export function collect(t: Transport, count: number, timeoutMs = 5000): Promise<Message[]> {
  return new Promise((resolve, reject) => {
    const got: Message[] = [];
    const timer = setTimeout(() => reject(new Error(`only ${got.length}/${count} messages within ${timeoutMs} ms`)), timeoutMs);
    t.onMessage((m) => {
      got.push(m);
      if (got.length === count) {
        clearTimeout(timer);
        resolve(got);
      }
    });
  });
}

export function describeTransportContract(name: string, makeGroup: (n: number) => Promise<TransportGroup>): void {
  describe(`Transport contract: ${name}`, () => {
    it('delivers messages to their `to` node, in order per sender', async () => {
      const group = await makeGroup(3);
      try {
        const t1 = group.transports.get(asNodeId(1))!;
        const received2 = collect(group.transports.get(asNodeId(2))!, 50);
        const received3 = collect(group.transports.get(asNodeId(3))!, 1);
        const batch = Array.from({ length: 50 }, (_, k) => heartbeat(1, 2, `m${k}`));
        t1.send(batch.slice(0, 20));
        t1.send([...batch.slice(20), heartbeat(1, 3, 'to-3')]);
        expect((await received2).map((m) => (m as { context: string }).context)).toEqual(batch.map((m) => (m as { context: string }).context));
        expect(await received3).toEqual([heartbeat(1, 3, 'to-3')]);
      } finally {
        await group.close();
      }
    });

    it('a peer that sent messages and then closes is reported lost', async () => {
      const group = await makeGroup(2);
      try {
        const t1 = group.transports.get(asNodeId(1))!;
        const t2 = group.transports.get(asNodeId(2))!;
        const received = collect(t2, 1);
        t1.send([heartbeat(1, 2, 'hello')]);
        await received;
        const lost = new Promise<NodeId>((resolve) => t2.onPeerLost(resolve));
        await t1.close();
        expect(await lost).toBe(1);
      } finally {
        await group.close();
      }
    });

    it('a message to an unknown or closed peer is dropped without an error', async () => {
      const group = await makeGroup(2);
      try {
        const t1 = group.transports.get(asNodeId(1))!;
        await group.transports.get(asNodeId(2))!.close();
        expect(() => t1.send([heartbeat(1, 2, 'x'), heartbeat(1, 9, 'y')])).not.toThrow();
      } finally {
        await group.close();
      }
    });
  });
}
