#!/usr/bin/env bash
# Idempotent set-up for a fresh machine: Node packages and a Chromium with WebGPU.
# Prints nothing when everything is already in place.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# 1. Node packages: (re)install when node_modules is missing or older than the lock file.
#    npm ci writes node_modules/.package-lock.json last, so its mtime marks the install.
marker=node_modules/.package-lock.json
[[ -e $marker ]] || marker=node_modules
if [[ ! -d node_modules || package-lock.json -nt $marker ]]; then
  echo "setup: installing Node packages (npm ci)…"
  npm ci
fi

# 2. Chromium: the same lookup the scripts use (cli/node/browser-flags.mjs).
if ! node --input-type=module -e "import { chromiumPath } from './cli/node/browser-flags.mjs'; chromiumPath();" 2>/dev/null; then
  if [[ -n ${CHROMIUM_PATH:-} ]]; then
    echo "setup: CHROMIUM_PATH=$CHROMIUM_PATH does not exist; fix it or unset it." >&2
    exit 1
  fi
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "setup: installing Chromium (apt-get install chromium)…"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y chromium
  else
    cat >&2 <<'EOF'
setup: no Chromium found (looked for $CHROMIUM_PATH, /usr/bin/chromium, /usr/bin/chromium-browser,
/usr/bin/google-chrome, ...). Install one, e.g. on Debian/Ubuntu:
    sudo apt-get update && sudo apt-get install -y chromium
or point CHROMIUM_PATH at an existing Chromium/Chrome binary (version 113 or later).
EOF
    exit 1
  fi
fi
