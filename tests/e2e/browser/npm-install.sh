#!/usr/bin/env bash
# Installs playwright-core from the lock file when node_modules lacks it (it
# never downloads a browser: the tests drive Debian's /usr/bin/chromium).
# Run once by CTest before every test that drives Chromium (fixture
# browser_node_modules), so parallel tests never race on node_modules.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -d node_modules/playwright-core ]; then
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
fi
