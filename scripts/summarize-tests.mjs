// Reads the reports the test stages wrote and prints per-stage counts and the closing line
// `N passed, N failed`. Exits non-zero when anything failed or a stage produced no report.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? '.reports';
const stages = [];

/** Reads a one-word pass/fail marker written by a shell stage. */
function readMarker(name, label) {
  const path = join(dir, name);
  if (!existsSync(path)) return { label, passed: 0, failed: 1, note: 'did not run' };
  const ok = readFileSync(path, 'utf8').trim() === 'pass';
  return { label, passed: ok ? 1 : 0, failed: ok ? 0 : 1 };
}

/** Reads vitest's JSON report (jest-compatible counters). */
function readVitest() {
  const path = join(dir, 'vitest.json');
  if (!existsSync(path)) return { label: 'vitest', passed: 0, failed: 1, note: 'no report' };
  const report = JSON.parse(readFileSync(path, 'utf8'));
  const failedSuites = (report.testResults ?? []).filter((s) => s.status === 'failed' && (s.assertionResults ?? []).length === 0).length;
  return {
    label: 'vitest',
    passed: report.numPassedTests,
    failed: report.numFailedTests + failedSuites,
    skipped: report.numPendingTests + report.numTodoTests,
  };
}

/** Reads Playwright's JSON report. */
function readPlaywright() {
  const path = join(dir, 'playwright.json');
  if (!existsSync(path)) return { label: 'e2e', passed: 0, failed: 1, note: 'no report (build failed or Playwright did not run)' };
  const { stats, errors } = JSON.parse(readFileSync(path, 'utf8'));
  const globalErrors = (errors ?? []).length;
  return {
    label: 'e2e',
    passed: stats.expected + stats.flaky,
    failed: stats.unexpected + globalErrors,
    skipped: stats.skipped,
  };
}

stages.push(readMarker('typecheck', 'typecheck'), readVitest(), readMarker('build', 'build'), readPlaywright());
let passed = 0;
let failed = 0;
let skipped = 0;
for (const s of stages) {
  passed += s.passed;
  failed += s.failed;
  skipped += s.skipped ?? 0;
  console.log(`  ${s.label.padEnd(10)} ${s.passed} passed, ${s.failed} failed${s.skipped ? `, ${s.skipped} skipped` : ''}${s.note ? ` (${s.note})` : ''}`);
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
