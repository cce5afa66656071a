import { describe, expect, it } from 'vitest';
import { generateDocId, InvalidDocIdError, isDocId, parseDocId, slugifyDocName } from './doc-id';

describe('document ids', () => {
  it('accepts 1–128 characters of [A-Za-z0-9_-] and nothing else', () => {
    expect(isDocId('a')).toBe(true);
    expect(isDocId('Meeting_notes-2')).toBe(true);
    expect(isDocId('x'.repeat(128))).toBe(true);
    expect(isDocId('x'.repeat(129))).toBe(false);
    expect(isDocId('')).toBe(false);
    expect(isDocId('has space')).toBe(false);
    expect(isDocId('../etc')).toBe(false);
    expect(isDocId('é')).toBe(false);
    expect(() => parseDocId('bad id!')).toThrow(InvalidDocIdError);
  });

  it('slugifies typed names and rejects names with nothing usable', () => {
    expect(slugifyDocName('  Meeting notes, 3 May ')).toBe('meeting-notes-3-may');
    expect(slugifyDocName('Café déjà vu')).toBe('cafe-deja-vu');
    expect(slugifyDocName('!!!')).toBeNull();
    expect(slugifyDocName('a'.repeat(300))?.length).toBe(128);
  });

  it('generates readable valid ids from the injected randomness', () => {
    const id = generateDocId(() => 0);
    expect(id).toBe('amber-acorn-0000');
    const last = generateDocId(() => 0.9999999);
    expect(isDocId(last)).toBe(true);
    expect(last).toBe('zesty-zephyr-9999');
  });
});
