import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from './codec';
import { LogDoc } from './log-doc';
import { hello, parseDocId, type AwarenessEntry, type Message } from './protocol';
import { Room, asPeerId, type RoomOutput } from './room';

const docId = parseDocId('room');
const alice = asPeerId(1);
const bob = asPeerId(2);
const carol = asPeerId(3);

function sentTo(outputs: RoomOutput[], peer: number): Message[] {
  return outputs.flatMap((output) => (output.type === 'send' && output.to === peer ? [decodeMessage(output.frame)] : []));
}

function presence(clientId: number, clock: number, name: string | null): AwarenessEntry {
  return { clientId, clock, state: name === null ? null : { name, color: '#000', cursor: null } };
}

function awarenessFrame(entries: AwarenessEntry[]): Uint8Array {
  return encodeMessage({ type: 'awareness', entries });
}

describe('Room', () => {
  function roomWithThree(): Room {
    const room = new Room(docId, new LogDoc(0));
    for (const peer of [alice, bob, carol]) room.join(peer, hello(docId, new LogDoc(9).encodeStateVector()));
    return room;
  }

  it('fans an accepted update out to every other member, never back to the sender, with the same bytes', () => {
    const room = roomWithThree();
    const update = new LogDoc(5).add('x');
    const frame = encodeMessage({ type: 'update', update });
    const outputs = room.update(alice, update, frame);
    expect(outputs.map((o) => (o.type === 'send' ? o.to : -1))).toEqual([bob, carol]);
    for (const output of outputs) if (output.type === 'send') expect(output.frame).toBe(frame);
  });

  it('presence ownership: a member cannot overwrite or remove a clientId another member announced', () => {
    const room = roomWithThree();
    room.awareness(alice, [presence(7, 1, 'Alice')], awarenessFrame([presence(7, 1, 'Alice')]));
    const spoof = [presence(7, 5, null), presence(8, 1, 'Bob')];
    const outputs = room.awareness(bob, spoof, awarenessFrame(spoof));
    expect(sentTo(outputs, carol)).toEqual([{ type: 'awareness', entries: [presence(8, 1, 'Bob')] }]);
    expect(room.presenceEntries().map((e) => e.state?.name)).toEqual(['Alice', 'Bob']);
    // Only spoofed entries: nothing is forwarded.
    expect(room.awareness(bob, [presence(7, 9, 'Mallory')], awarenessFrame([presence(7, 9, 'Mallory')]))).toEqual([]);
  });

  it('a leaving member’s presence is announced gone with a newer clock; a joiner gets current presence after sync', () => {
    const room = roomWithThree();
    room.awareness(alice, [presence(7, 3, 'Alice')], awarenessFrame([presence(7, 3, 'Alice')]));
    const dave = asPeerId(4);
    const joined = room.join(dave, hello(docId, new LogDoc(9).encodeStateVector()));
    expect(sentTo(joined, dave).map((m) => m.type)).toEqual(['sync', 'awareness']);
    const left = room.leave(alice);
    expect(sentTo(left, bob)).toEqual([{ type: 'awareness', entries: [presence(7, 4, null)] }]);
    expect(room.presenceEntries()).toEqual([]);
    expect(room.leave(alice)).toEqual([]); // idempotent
  });
});
