#!/usr/bin/env bash
# Runs the browser test: installs playwright-core from the lock file when
# node_modules is missing (it never downloads a browser: the test drives
# Debian's /usr/bin/chromium), then runs node's own test runner.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -d node_modules/playwright-core ]; then
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
fi
exec node --test --test-reporter=spec tokens_page.test.mjs
