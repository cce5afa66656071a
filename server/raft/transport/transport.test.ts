/** MemoryNetwork and TcpTransport against the shared contract; TCP framing and bad frames. */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { asIndex, asNodeId, asTerm, type NodeId } from '../core/types';
import { encodeMessage } from './codec';
import { MemoryNetwork } from './memory';
import { FrameReader, FrameTooLargeError, TcpTransport, frame } from './tcp';
import { collect, describeTransportContract, type TransportGroup } from './transport-suite';
import type { Transport } from './transport';

describeTransportContract('MemoryNetwork', async (n) => {
  const network = new MemoryNetwork();
  const transports = new Map<NodeId, Transport>();
  for (let k = 1; k <= n; k++) transports.set(asNodeId(k), network.transport(asNodeId(k)));
  return { transports, close: async () => void (await Promise.all([...transports.values()].map((t) => t.close()))) };
});

async function tcpGroup(n: number, maxFrameBytes?: number): Promise<TransportGroup & { tcp: Map<NodeId, TcpTransport> }> {
  const tcp = new Map<NodeId, TcpTransport>();
  const peers = new Map<NodeId, { host: string; port: number }>();
  for (let k = 1; k <= n; k++) peers.set(asNodeId(k), { host: '127.0.0.1', port: 0 });
  for (let k = 1; k <= n; k++) {
    const t = await TcpTransport.start({ id: asNodeId(k), listen: { host: '127.0.0.1', port: 0 }, peers, ...(maxFrameBytes ? { maxFrameBytes } : {}) });
    tcp.set(asNodeId(k), t);
  }
  for (const t of tcp.values()) for (const [id, other] of tcp) t.setPeerAddress(id, other.address());
  return { transports: tcp, tcp, close: async () => void (await Promise.all([...tcp.values()].map((t) => t.close()))) };
}

describeTransportContract('TcpTransport', (n) => tcpGroup(n));

describe('TcpTransport framing', () => {
  const hb = (context: string) => ({ type: 'heartbeat' as const, from: asNodeId(1), to: asNodeId(2), term: asTerm(1), commit: asIndex(0), context });

  it('FrameReader reassembles frames split at every byte', () => {
    const bytes = Buffer.concat([frame(Uint8Array.of(1, 2, 3)), frame(new Uint8Array(0)), frame(Uint8Array.of(4))]);
    const reader = new FrameReader(100);
    const frames: Buffer[] = [];
    for (let k = 0; k < bytes.length; k++) frames.push(...reader.push(bytes.subarray(k, k + 1)));
    expect(frames.map((f) => [...f])).toEqual([[1, 2, 3], [], [4]]);
    expect(() => new FrameReader(2).push(frame(Uint8Array.of(1, 2, 3)))).toThrow(FrameTooLargeError);
  });

  it('a bad frame or an oversized frame drops that connection only; other senders keep delivering', async () => {
    const group = await tcpGroup(2, 1024);
    try {
      const t2 = group.tcp.get(asNodeId(2))!;
      const received = collect(t2, 2);
      const address = t2.address();
      const closed = (payload: Buffer) =>
        new Promise<void>((resolve, reject) => {
          const socket = connect(address.port, address.host, () => socket.write(payload));
          const timer = setTimeout(() => reject(new Error('the bad connection was not dropped')), 5000);
          socket.on('close', () => {
            clearTimeout(timer);
            resolve();
          });
          socket.on('error', () => {});
        });
      // A frame that does not decode, then one whose header exceeds the limit: both connections are closed.
      await closed(frame(Uint8Array.of(1, 99, 0, 0, 0)));
      await closed(Buffer.from([0xff, 0xff, 0xff, 0xff]));
      // A frame for another node is dropped silently (the connection stays), then a good one arrives.
      const good = new Promise<void>((resolve) => {
        const socket = connect(address.port, address.host, () => {
          socket.write(Buffer.concat([frame(encodeMessage({ ...hb('other'), to: asNodeId(7) })), frame(encodeMessage(hb('raw')))]));
          resolve();
        });
        socket.on('error', () => {});
        received.finally(() => socket.destroy());
      });
      await good;
      group.tcp.get(asNodeId(1))!.send([hb('peer')]);
      const got = (await received).map((m) => (m as { context: string }).context).sort();
      expect(got).toEqual(['peer', 'raw']);
    } finally {
      await group.close();
    }
  });

  it('reconnects to a peer that restarts on the same port', async () => {
    const group = await tcpGroup(2);
    const t1 = group.tcp.get(asNodeId(1))!;
    const old2 = group.tcp.get(asNodeId(2))!;
    const address = old2.address();
    let fresh: TcpTransport | undefined;
    try {
      const first = collect(old2, 1);
      t1.send([hb('before')]);
      await first;
      await old2.close();
      t1.send([hb('lost')]);
      fresh = await TcpTransport.start({ id: asNodeId(2), listen: address, peers: new Map() });
      const after = collect(fresh, 1, 8000);
      // Keep sending until one gets through on a new connection (delivery is best effort).
      const timer = setInterval(() => t1.send([hb('after')]), 20);
      try {
        expect(((await after)[0] as { context: string }).context).toBe('after');
      } finally {
        clearInterval(timer);
      }
    } finally {
      await fresh?.close();
      await group.close();
    }
  });
});
