#!/usr/bin/env bash
# Runs one browser test file (default: tokens_page.test.mjs): installs
# playwright-core if missing (npm-install.sh), then runs node's own test runner.
set -euo pipefail
cd "$(dirname "$0")"
./npm-install.sh
exec node --test --test-reporter=spec "${1:-tokens_page.test.mjs}"
