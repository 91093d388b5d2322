#!/usr/bin/env bash
# Every check: format, lint, types, import layers, tests (with a virtual display when there is none).
# Run through `bash scripts/bootstrap.sh test`, which sets up .venv first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$PWD/.venv/bin:$PATH"
echo "== ruff format --check"; ruff format --check --quiet .
echo "== ruff check"; ruff check --quiet .
echo "== mypy"; mypy
echo "== import-linter"; lint-imports --no-cache
echo "== pytest"
if [ -z "${DISPLAY:-}" ] && command -v xvfb-run >/dev/null 2>&1; then
  exec xvfb-run -a -s "-screen 0 1920x1080x24" python -m pytest "$@"
fi
exec python -m pytest "$@"
