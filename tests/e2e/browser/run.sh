#!/usr/bin/env bash
# Runs the browser test: installs playwright-core if missing (npm-install.sh),
# then runs node's own test runner.
set -euo pipefail
cd "$(dirname "$0")"
./npm-install.sh
exec node --test --test-reporter=spec tokens_page.test.mjs
