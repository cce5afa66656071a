/** Behaviour of the `Doc` API (lib/README.md): fields, transactions, events, sync, validation. */
import { describe, expect, it } from 'vitest';
import { ClockSkewError } from '../clock/hlc';
import { asReplicaId } from '../clock/replica';
import { DecodeError } from '../codec/errors';
import { Doc, mergeUpdates } from './doc';
import { FieldTypeError, type ChangeEvent } from './doc-events';
import { ReferenceRga } from './rga/reference';
import { applyDeltas } from './rga/shared';
import { encodeUpdate } from './update-codec';

function pair(): [Doc, Doc, Uint8Array[]] {
  const a = new Doc({ replicaId: 1 });
  const b = new Doc({ replicaId: 2 });
  const sent: Uint8Array[] = [];
  a.on('update', (u) => sent.push(u));
  return [a, b, sent];
}

describe('Doc fields', () => {
  it('each field type behaves as documented', () => {
    const doc = new Doc({ replicaId: 1 });
    const text = doc.getText('body');
    text.insert(0, 'hello');
    text.insert(5, '!');
    text.delete(0, 1);
    expect(text.toString()).toBe('ello!');
    expect(text.length).toBe(5);
    const tags = doc.getSet('tags');
    tags.add('b');
    tags.add('a');
    tags.add('a');
    tags.remove('b');
    expect(tags.values()).toEqual(['a']);
    expect(tags.size).toBe(1);
    const meta = doc.getMap('meta');
    meta.set('x', 1);
    meta.set('y', { deep: [true, null] });
    meta.delete('x');
    expect(meta.has('x')).toBe(false);
    expect(meta.entries()).toEqual([['y', { deep: [true, null] }]]);
    const title = doc.getRegister('title');
    expect(title.get()).toBe(null);
    title.set('T');
    const likes = doc.getCounter('likes');
    likes.add(3);
    likes.add(-5);
    expect(doc.toJSON()).toEqual({ body: 'ello!', likes: -2, meta: { y: { deep: [true, null] } }, tags: ['a'], title: 'T' });
  });

  it('declaring a field (first getX) sends it to peers even before it holds anything', () => {
    const [a, b, sent] = pair();
    a.getMap('empty');
    a.getMap('empty');
    expect(sent).toHaveLength(1);
    b.apply(sent[0]!);
    expect(b.toJSON()).toEqual({ empty: {} });
    expect(b.stateVector().size).toBe(0);
  });

  it('a field keeps its first type: using it as another type throws FieldTypeError', () => {
    const doc = new Doc({ replicaId: 1 });
    doc.getText('x');
    expect(() => doc.getSet('x')).toThrow(FieldTypeError);
    expect(doc.getText('x')).toBe(doc.getText('x'));
  });

  it('a remote op for a field of another type rejects the whole update with DecodeError, doc unchanged', () => {
    const a = new Doc({ replicaId: 1 });
    a.transact(() => {
      a.getText('x').insert(0, 'hi');
      a.getCounter('c').add(1);
    });
    const b = new Doc({ replicaId: 2 });
    b.getSet('x').add('v');
    const before = b.encode();
    expect(() => b.apply(a.encode())).toThrow(DecodeError);
    expect(b.encode()).toEqual(before);
    expect(b.toJSON()).toEqual({ x: ['v'] });
  });

  it('idAt/indexOf give stable caret anchors across remote edits', () => {
    const [a, b] = pair();
    a.getText('t').insert(0, 'abc');
    b.apply(a.encode());
    const anchor = b.getText('t').idAt(1)!;
    a.getText('t').insert(0, 'XY');
    b.apply(a.encode());
    expect(b.getText('t').indexOf(anchor)).toBe(3);
    expect(b.getText('t').idAt(99)).toBe(null);
  });
});

describe('transactions and events', () => {
  it('one update per outermost transaction, holding exactly that transaction (nested calls join)', () => {
    const [a, b, sent] = pair();
    a.transact(() => {
      a.getText('t').insert(0, 'ab');
      a.transact(() => a.getCounter('c').add(2));
      a.getText('t').insert(2, 'c');
    }, 'origin-1');
    expect(sent).toHaveLength(1);
    a.getText('t').delete(0, 1);
    expect(sent).toHaveLength(2);
    b.apply(sent[0]!);
    expect(b.toJSON()).toEqual({ c: 2, t: 'abc' });
    b.apply(sent[1]!);
    expect(b.toJSON()).toEqual({ c: 2, t: 'bc' });
  });

  it('update listeners receive the origin; change events tell local from remote and carry text deltas', () => {
    const [a, b] = pair();
    const origins: unknown[] = [];
    a.on('update', (_u, origin) => origins.push(origin));
    const events: ChangeEvent[] = [];
    b.on('change', (e) => events.push(e));
    a.transact(() => a.getText('t').insert(0, 'hey'), 'me');
    expect(origins).toEqual(['me']);
    b.apply(a.encode(), 'net');
    expect(events).toEqual([{ local: false, origin: 'net', changes: [{ kind: 'text', field: 't', deltas: [{ index: 0, insert: 'hey' }] }] }]);
    b.getSet('s').add('v');
    expect(events[1]).toEqual({ local: true, origin: undefined, changes: [{ kind: 'set', field: 's', added: ['v'], removed: [] }] });
  });

  it('observe deltas replayed on a mirror string reproduce the text (local and remote edits)', () => {
    const [a, b] = pair();
    let mirror = '';
    const stop = b.getText('t').observe((deltas) => {
      mirror = applyDeltas(mirror, deltas);
    });
    a.getText('t').insert(0, 'hello world');
    b.apply(a.encode());
    b.getText('t').insert(5, ',');
    a.getText('t').delete(0, 6);
    b.apply(a.encode());
    expect(mirror).toBe(b.getText('t').toString());
    stop();
    b.getText('t').insert(0, 'zz');
    expect(mirror).not.toBe(b.getText('t').toString());
  });

  it('no update is emitted for a transaction that changes nothing', () => {
    const [a, , sent] = pair();
    a.getSet('s');
    a.transact(() => a.getSet('s').remove('absent'));
    const afterDeclaration = sent.length;
    a.transact(() => undefined);
    a.getMap('m');
    a.getMap('m').delete('nothing');
    expect(sent.length).toBeLessThanOrEqual(afterDeclaration + 1);
  });
});

describe('sync', () => {
  it('diff(stateVector) sends only what the peer lacks; state vectors and encodings then agree', () => {
    const [a, b] = pair();
    a.getText('t').insert(0, 'abc');
    b.apply(a.encode());
    a.getText('t').insert(3, 'def');
    const small = a.diff(b.encodeStateVector());
    expect(small.length).toBeLessThan(a.encode().length);
    b.apply(small);
    expect(b.stateVector()).toEqual(a.stateVector());
    expect(b.encode()).toEqual(a.encode());
  });

  it('ops missing their previous clock wait in pending and integrate when it arrives', () => {
    const [a, b, sent] = pair();
    a.transact(() => [a.getText('t'), a.getCounter('c')]);
    b.apply(sent.splice(0)[0]!); // the field declarations
    a.getText('t').insert(0, 'a');
    a.getText('t').insert(1, 'b');
    a.getCounter('c').add(1);
    b.apply(sent[2]!);
    b.apply(sent[1]!);
    expect(b.pendingCount()).toBe(2);
    expect(b.toJSON()).toEqual({ c: 0, t: '' });
    b.apply(sent[0]!);
    expect(b.pendingCount()).toBe(0);
    expect(b.toJSON()).toEqual({ c: 1, t: 'ab' });
  });

  it('text whose origin is from a replica not yet seen waits for it (cross-replica dependency)', () => {
    const a = new Doc({ replicaId: 1 });
    const b = new Doc({ replicaId: 2 });
    const c = new Doc({ replicaId: 3 });
    a.getText('t').insert(0, 'A');
    b.apply(a.encode());
    const fromB: Uint8Array[] = [];
    b.on('update', (u) => fromB.push(u));
    b.getText('t').insert(1, 'B');
    c.apply(fromB[0]!);
    expect(c.pendingCount()).toBe(1);
    c.apply(a.encode());
    expect(c.toJSON()).toEqual({ t: 'AB' });
    expect(c.pendingCount()).toBe(0);
  });

  it('a delete that arrives before its insert applies when the insert arrives (deletes never wait)', () => {
    const [a, b, sent] = pair();
    a.transact(() => [a.getText('t'), a.getSet('s')]);
    b.apply(sent.splice(0)[0]!);
    a.getText('t').insert(0, 'abc');
    a.getText('t').delete(1, 1);
    a.getSet('s').add('x');
    a.getSet('s').remove('x');
    b.apply(sent[3]!);
    b.apply(sent[1]!);
    b.apply(sent[2]!);
    b.apply(sent[0]!);
    expect(b.toJSON()).toEqual({ s: [], t: 'ac' });
    expect(b.encode()).toEqual(a.encode());
  });

  it('OR-Set is add-wins: a concurrent add survives a remove of the observed adds', () => {
    const [a, b] = pair();
    a.getSet('s').add('x');
    b.apply(a.encode());
    b.getSet('s').remove('x');
    a.getSet('s').add('x');
    a.apply(b.encode());
    b.apply(a.encode());
    expect(a.getSet('s').values()).toEqual(['x']);
    expect(b.getSet('s').values()).toEqual(['x']);
  });

  it('LWW: the later HLC timestamp wins; equal timestamps fall back to the replica id', () => {
    const a = new Doc({ replicaId: 1, now: () => 1000 });
    const b = new Doc({ replicaId: 2, now: () => 1000 });
    a.getRegister('r').set('from a');
    b.getRegister('r').set('from b');
    a.apply(b.encode());
    b.apply(a.encode());
    expect(a.getRegister('r').get()).toBe('from b');
    expect(b.getRegister('r').get()).toBe('from b');
    a.getRegister('r').set('a again');
    b.apply(a.encode());
    expect(b.getRegister('r').get()).toBe('a again');
  });

  it('overwritten LWW writes and removed set adds become skips: their content is dropped (a few bytes of delete set each)', () => {
    const doc = new Doc({ replicaId: 1 });
    doc.getRegister('r').set('x'.repeat(100));
    doc.getSet('s').add('y'.repeat(100));
    const size = doc.encode().length;
    for (let i = 0; i < 50; i++) {
      doc.getRegister('r').set('x'.repeat(100));
      doc.getSet('s').remove('y'.repeat(100));
      doc.getSet('s').add('y'.repeat(100));
    }
    // 100 dead ops of 100 characters each would be 10 000+ bytes with content; skips and delete ranges cost ~2 bytes each.
    expect(doc.encode().length).toBeLessThan(size + 250);
  });

  it('a remote LWW timestamp too far ahead rejects the whole update with ClockSkewError, doc unchanged', () => {
    let time = 1_000_000;
    const a = new Doc({ replicaId: 1, now: () => time });
    const b = new Doc({ replicaId: 2, now: () => 1_000_000, maxClockSkewMs: 5_000 });
    a.getText('t').insert(0, 'ok');
    b.apply(a.encode());
    time += 10_000;
    a.transact(() => {
      a.getText('t').insert(2, '!');
      a.getMap('m').set('k', 1);
    });
    const before = b.encode();
    expect(() => b.apply(a.encode())).toThrow(ClockSkewError);
    expect(b.encode()).toEqual(before);
    // Stored state is our own past: load does not reject it, and the HLC moves past its timestamps.
    const loaded = Doc.load(a.encode(), { replicaId: 2, now: () => 1_000_000, maxClockSkewMs: 5_000 });
    loaded.getMap('m').set('k', 'later');
    expect(loaded.getMap('m').get('k')).toBe('later');
  });

  it('mergeUpdates gives one update equivalent to applying all of them', () => {
    const [a, , sent] = pair();
    a.transact(() => [a.getText('t'), a.getMap('m')]);
    const declarations = sent.splice(0)[0]!;
    a.getText('t').insert(0, 'abc');
    a.getMap('m').set('k', 1);
    a.getText('t').delete(0, 1);
    a.getMap('m').set('k', 2);
    const merged = mergeUpdates([sent[3]!, sent[1]!, declarations, sent[2]!, sent[0]!]);
    const viaMerged = Doc.load(merged, { replicaId: 5 });
    expect(viaMerged.encode()).toEqual(a.encode());
    const partial = mergeUpdates([sent[2]!, sent[3]!, declarations]);
    const late = new Doc({ replicaId: 6 });
    late.apply(partial);
    expect(late.pendingCount()).toBeGreaterThan(0);
    late.apply(mergeUpdates([sent[0]!, sent[1]!], { createSequence: () => new ReferenceRga() }));
    expect(late.toJSON()).toEqual(a.toJSON());
  });

  it('an insert whose left and right origins are the same character is rejected (DecodeError), doc unchanged', () => {
    const doc = new Doc({ replicaId: 1 });
    doc.getText('t').insert(0, 'abc');
    const field = { name: 't', kind: 'text' } as const;
    const origin = { replica: 1, clock: 1 };
    const bad = encodeUpdate({
      fields: [field],
      replicas: [{ replica: asReplicaId(9), ops: [{ kind: 'insert', clock: 0, field, run: { replica: 9, clock: 0, length: 1, originLeft: origin, originRight: origin, content: 'X' } }] }],
      deletes: [],
    });
    const before = doc.encode();
    expect(() => doc.apply(bad)).toThrow(DecodeError);
    expect(doc.encode()).toEqual(before);
  });

  it('extreme replica ids (0 and 2^32 - 1) round-trip through origins, state vectors and delete sets', () => {
    const low = new Doc({ replicaId: 0 });
    const high = new Doc({ replicaId: 0xffff_ffff });
    low.getText('t').insert(0, 'ab');
    high.apply(low.encode());
    high.getText('t').insert(1, 'XY');
    high.getText('t').delete(0, 1);
    low.apply(high.diff(low.encodeStateVector()));
    low.getText('t').insert(2, 'z');
    high.apply(low.encode());
    expect(low.toJSON()).toEqual({ t: 'XYzb' });
    expect(high.encode()).toEqual(low.encode());
    expect(Doc.load(high.encode()).stateVector()).toEqual(low.stateVector());
  });

  it('a loaded replica continues its own clock without gaps', () => {
    const a = new Doc({ replicaId: 7 });
    a.getText('t').insert(0, 'ab');
    const again = Doc.load(a.encode(), { replicaId: 7 });
    again.getText('t').insert(2, 'c');
    expect(again.stateVector().get(asReplicaId(7))).toBe(3);
    const other = Doc.load(a.encode(), { replicaId: 8 });
    other.apply(again.encode());
    expect(other.toJSON()).toEqual({ t: 'abc' });
  });
});
