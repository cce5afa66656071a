import { describe, expect, it } from 'vitest';
import { layoutCarets, type ResolvedCaret } from './caret-layout';
import { loadIdentity, IDENTITY_KEY, PALETTE } from './identity';

const caret = (clientId: number, head: number, start = head, end = head): ResolvedCaret => ({
  clientId,
  name: `p${clientId}`,
  color: `#00000${clientId}`,
  head,
  start,
  end,
});

describe('layoutCarets', () => {
  it('cuts the text at carets, keeping every character once and in order', () => {
    const segments = layoutCarets('hello world', [caret(1, 5), caret(2, 0), caret(3, 11)]);
    expect(segments.map((segment) => segment.text).join('')).toBe('hello world');
    expect(segments.map((segment) => [segment.text, segment.carets.map((c) => c.clientId)])).toEqual([
      ['hello', [2]],
      [' world', [1]],
      ['', [3]],
    ]);
  });

  it('highlights a selection and clamps carets beyond the text', () => {
    const segments = layoutCarets('abcdef', [caret(1, 4, 1, 4), caret(2, 99)]);
    expect(segments.map((segment) => [segment.text, segment.highlight])).toEqual([
      ['a', null],
      ['bcd', '#000001'],
      ['ef', null],
      ['', null],
    ]);
    expect(segments.at(-1)?.carets.map((c) => c.clientId)).toEqual([2]);
  });
});

describe('identity', () => {
  it('creates, stores and reloads an identity; rejects foreign data', () => {
    const items = new Map<string, string>();
    const storage = { getItem: (key: string) => items.get(key) ?? null, setItem: (key: string, value: string) => void items.set(key, value) };
    const first = loadIdentity(storage, () => 0);
    expect(first).toEqual({ name: 'Anonymous Otter', color: PALETTE[0] });
    expect(loadIdentity(storage, () => 0.99)).toEqual(first);
    items.set(IDENTITY_KEY, JSON.stringify({ name: 'x', color: 'red; background: url(evil)' }));
    expect(loadIdentity(storage, () => 0.99).color).toBe(PALETTE[PALETTE.length - 1]);
  });
});
