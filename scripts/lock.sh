#!/usr/bin/env bash
# Refresh requirements.lock (`make lock`): pyproject's dependencies and the dev extra, resolved
# with uv for every Python the project supports (a universal lock), against the torch pin in
# requirements-torch.txt. torch and its CUDA packages (nvidia-*, cuda-*, triton) are left out:
# `make setup` installs torch alone first (the CPU wheel), then the lock, then the kit itself
# with --no-deps. Run it after changing dependencies in pyproject.toml; commit both files.
set -euo pipefail
cd "$(dirname "$0")/.."

uv_pin=$(grep -E '^uv==' requirements-tools.txt)
uv=.venv/bin/uv
if ! "$uv" --version 2>/dev/null | grep -q " ${uv_pin#uv==}"; then
  printf '[lock] pip install %s\n' "$uv_pin"
  .venv/bin/python -m pip install -q -r requirements-tools.txt
fi

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
# The current lock is uv's starting point: pins stay unless a changed requirement needs another
# version (`make lock UPGRADE=1` moves everything to the newest allowed releases).
if [ -f requirements.lock ] && [ -z "${UPGRADE:-}" ]; then cp requirements.lock "$tmp"; fi
# --python-version: the oldest Python pyproject allows, so the universal lock covers 3.10 and up.
"$uv" pip compile pyproject.toml --extra dev --universal --python-version 3.10 \
  --overrides requirements-torch.txt --annotation-style line --quiet \
  --custom-compile-command "make lock" ${UPGRADE:+--upgrade} -o "$tmp"
{
  echo "# torch and its CUDA packages are left out on purpose: see requirements-torch.txt and scripts/lock.sh."
  grep -Ev '^(torch|triton|nvidia-[A-Za-z0-9_.-]+|cuda-[A-Za-z0-9_.-]+)==' "$tmp"
} > requirements.lock
printf '[lock] wrote requirements.lock (%s packages)\n' "$(grep -c '==' requirements.lock)"
