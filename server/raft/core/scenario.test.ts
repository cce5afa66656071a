/**
 * Runs every scripted scenario in testdata/ and compares the trace exactly.
 * REWRITE=1 npx vitest run server/raft/core/scenario.test.ts regenerates the expected blocks.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runScenario } from './interaction';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'testdata');
const files = readdirSync(dir).filter((f) => f.endsWith('.txt')).sort();

describe('raft scenarios (testdata/*.txt)', () => {
  for (const file of files) {
    const path = join(dir, file);
    const text = readFileSync(path, 'utf8');
    const title = text.split('\n')[0]!.replace(/^#\s*/, '');
    it(`${file}: ${title}`, () => {
      const actual = runScenario(text);
      if (process.env['REWRITE'] === '1') {
        writeFileSync(path, actual);
        return;
      }
      expect(actual).toBe(text);
    });
  }
});

describe('the scenarios catch planted bugs (their traces change)', () => {
  const cases = [
    { file: 'election-restriction.txt', bugs: { skipElectionRestriction: true } },
    { file: 'read-index.txt', bugs: { readIndexWithoutHeartbeat: true } },
  ] as const;
  for (const c of cases) {
    it(`${Object.keys(c.bugs)[0]} changes ${c.file}`, () => {
      const text = readFileSync(join(dir, c.file), 'utf8');
      expect(runScenario(text, c.bugs)).not.toBe(text);
    });
  }
});
