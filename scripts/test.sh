#!/usr/bin/env bash
# The one test command (`npm test`): installs what is missing, then runs the type check, the unit,
# property and integration tests (vitest), the production build and the Playwright e2e tests, and
# ends with one line `N passed, N failed` counting every test of every stage.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ensure_deps || { echo "0 passed, 1 failed"; exit 1; }
ensure_chromium || { echo "0 passed, 1 failed"; exit 1; }
rm -rf .reports && mkdir -p .reports

stage() { echo; echo "==> $1"; }

stage "type check (tsc --noEmit, strict)"
if npx tsc --noEmit -p tsconfig.json; then echo pass > .reports/typecheck; else echo fail > .reports/typecheck; fi

stage "unit, property and integration tests (vitest)"
CHAOS_SECONDS="${CHAOS_SECONDS:-60}" npx vitest run --reporter=default --reporter=json --outputFile.json=.reports/vitest.json

stage "production build (next build)"
if npx next build > .reports/build.log 2>&1; then
  echo pass > .reports/build; tail -n 25 .reports/build.log
else
  echo fail > .reports/build; cat .reports/build.log
fi

if [ "$(cat .reports/build)" = pass ]; then
  stage "end-to-end tests (Playwright, Chromium)"
  npx playwright test
fi

stage "summary"
node scripts/summarize-tests.mjs .reports
