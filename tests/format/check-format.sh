#!/usr/bin/env bash
# Fails when a C++ file in the repository is not as `make format` leaves it,
# naming the files, so the tree stays formatted after the one-time reformat.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v clang-format-14 >/dev/null || { echo "clang-format-14 is missing (deploy/local/install-deps.sh installs it)"; exit 1; }
unformatted=()
while IFS= read -r file; do
  clang-format-14 --style=file --dry-run -Werror "$file" >/dev/null 2>&1 || unformatted+=("$file")
done < <(git ls-files '*.cc' '*.h')
if [ ${#unformatted[@]} -gt 0 ]; then
  echo "not formatted (run make format): ${unformatted[*]}"
  exit 1
fi
echo "all $(git ls-files '*.cc' '*.h' | wc -l) C++ files are formatted"
