#!/usr/bin/env bash
# Runs the whole test suite: format check, lint, type check, then every test
# (unit, store contract on SQLite and PostgreSQL, real mediasoup workers, real
# Chromium), installing whatever is missing first.
set -euo pipefail
# shellcheck source=lib/bootstrap.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/bootstrap.sh"
bootstrap test

say "format check (prettier)"
npx --no-install prettier --check --log-level warn .
say "lint (eslint)"
npx --no-install eslint --max-warnings 0 .
say "type check (tsc)"
npm run --silent typecheck

say "tests (vitest)"
mkdir -p test-artifacts
status=0
npx --no-install vitest run --reporter=default --reporter=json \
  --outputFile.json=test-artifacts/vitest.json || status=$?
# One plain closing line with the totals.
node -e '
  const r = JSON.parse(require("fs").readFileSync("test-artifacts/vitest.json", "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ""}`);
' || true
exit "$status"
