#!/usr/bin/env bash
# npm start: install (if needed) → migrate → build (if sources changed) → serve.
# A second start on an installed, built checkout goes straight to serving.
set -euo pipefail
cd "$(dirname "$0")/../.."
source lib/cli/common.sh

ensure_node_modules
ingot_log "applying database migrations…"
node_modules/.bin/tsx lib/cli/main.ts migrate
build_if_needed
ingot_log "starting the server…"
NODE_ENV=production exec node --enable-source-maps .next/ingot/server.mjs
