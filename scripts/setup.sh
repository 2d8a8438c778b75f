#!/usr/bin/env bash
# Install everything the kit needs from the project's own files. Idempotent: each step is
# skipped when its result is already up to date, so `make slides` and `make check` call it.
#   - Debian packages (as root, when missing): chromium, fonts-noto-cjk, poppler-utils, nodejs/npm
#   - .venv: torch first and alone (requirements-torch.txt, torch==2.13.0: the CPU wheel; an
#     unpinned torch pulls a multi-GB CUDA build), then every other package at the exact version
#     in requirements.lock (`make lock` refreshes it; installed by uv, requirements-tools.txt), then the kit itself: `pip install --no-deps
#     -e .[dev]`, so nothing outside the lock is installed
#   - node_modules: `npm ci` from package-lock.json (marp-cli); KIT_NODE=optional (make lab) goes on without
#     npm, since the notebooks need no Node.js, only the decks do
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*"; }

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ] && ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
  log "the kit's environment needs Python 3.10 or newer; $PYTHON is: $("$PYTHON" -V 2>&1 | head -1 || true)"
  log "  name a newer one, e.g. make lab PYTHON=python3.11 (on a cluster: module avail python, or uv python install 3.11)"
  exit 1
fi
node=${KIT_NODE:-required}

missing=()
command -v chromium >/dev/null 2>&1 || [ -n "${CHROME_PATH:-}" ] || missing+=(chromium)
{ command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=ja 2>/dev/null)" ]; } || missing+=(fonts-noto-cjk fontconfig)
command -v pdfinfo >/dev/null 2>&1 || missing+=(poppler-utils)
command -v npm >/dev/null 2>&1 || [ "$node" = optional ] || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; }
  else
    log "WARNING: missing system packages: ${missing[*]}"
    log "  ask an administrator: sudo apt-get install --no-install-recommends ${missing[*]}"
    log "  (PDF decks need chromium and fonts-noto-cjk; HTML decks and notebooks work without them)"
  fi
fi

# npm ci (marp-cli) downloads while the Python steps run; its output is shown when it is done.
npm_pid=""
npm_log=$(mktemp)
if ! command -v npm >/dev/null 2>&1 && [ "$node" = optional ]; then
  log "no npm here: skipping marp-cli (the notebooks need none; make slides does)"
elif [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci (marp-cli), alongside the Python steps"
  npm ci --no-audit --no-fund --loglevel=error >"$npm_log" 2>&1 &
  npm_pid=$!
fi

stamp=.venv/.kit-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ requirements.lock -nt "$stamp" ] \
   || [ requirements-torch.txt -nt "$stamp" ] || [ requirements-tools.txt -nt "$stamp" ]; then
  [ -x .venv/bin/python ] || { log "creating .venv"; "$PYTHON" -m venv .venv; }
  torch_pin=$(grep -E '^torch==' requirements-torch.txt)
  if ! .venv/bin/python -c "import importlib.metadata as m, sys; sys.exit(m.version('torch').split('+')[0] != '${torch_pin#torch==}')" \
       >/dev/null 2>&1; then
    log "pip install $torch_pin (alone, CPU wheel)"
    .venv/bin/pip install -q -r requirements-torch.txt
  fi
  # uv (pinned in requirements-tools.txt) installs the locked set in parallel: seconds where pip takes
  # minutes. It finds torch already installed and leaves it. pip is the fallback (same pins).
  uv_pin=$(grep -E '^uv==' requirements-tools.txt)
  .venv/bin/uv --version 2>/dev/null | grep -q " ${uv_pin#uv==}" || .venv/bin/pip install -q -r requirements-tools.txt
  log "uv pip install -r requirements.lock (exact versions; make lock refreshes it)"
  if ! .venv/bin/uv pip install -q --python .venv/bin/python -r requirements.lock; then
    log "uv failed: pip install -r requirements.lock"
    .venv/bin/pip install -q -r requirements.lock
  fi
  log "pip install --no-deps -e .[dev]"
  .venv/bin/pip install -q --no-deps -e '.[dev]'
  touch "$stamp"
fi

if [ -n "$npm_pid" ]; then
  if wait "$npm_pid"; then
    cat "$npm_log"
  else
    cat "$npm_log" >&2
    log "npm ci failed (output above)"
    [ "$node" = optional ] || exit 1
  fi
fi
rm -f "$npm_log"
log "ready"
