#!/usr/bin/env bash
# npm test: installs what the tests need when missing (npm packages; Debian chromium and the
# openstack/ironic clients; ipmitool and python3-pyghmi for the IPMI tests), then runs: tsc --noEmit, vitest, next build (if needed), playwright.
# Every step runs even if an earlier one failed (except e2e without a build); the exit code is
# non-zero when anything failed, and the last line is a summary.
set -uo pipefail
cd "$(dirname "$0")/../.."
source lib/cli/common.sh

results=()
failed=0
started=$SECONDS

summary() {
  local verdict=PASSED
  [ $failed -ne 0 ] && verdict=FAILED
  echo
  printf 'SUMMARY: %s in %ss — %s\n' "$verdict" "$((SECONDS - started))" "$(IFS='|'; echo "${results[*]}" | sed 's/|/ · /g')"
}

step() {
  local name=$1 t0=$SECONDS rc
  shift
  ingot_log "── $name"
  "$@"
  rc=$?
  if [ $rc -eq 0 ]; then results+=("$name ok ($((SECONDS - t0))s)"); else results+=("$name FAILED (exit $rc)"); failed=1; fi
  return $rc
}

if ! step install ensure_node_modules; then summary; exit 1; fi
step system-packages ensure_apt chromium python3-openstackclient python3-ironicclient ipmitool python3-pyghmi
step typecheck node_modules/.bin/tsc --noEmit
step unit node_modules/.bin/vitest run
if step build build_if_needed; then
  step e2e node_modules/.bin/playwright test
else
  results+=("e2e skipped (no build)")
fi
summary
exit $failed
