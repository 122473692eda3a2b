#!/usr/bin/env bash
# npm test: installs what the tests need when missing (npm packages; Debian chromium and the
# openstack/ironic clients; ipmitool and python3-pyghmi for the IPMI tests; postgresql; openssl for
# the Redfish TLS test; QEMU, iPXE, dnsmasq and the image builders for the provisioning rig), then runs:
# tsc --noEmit, eslint (`npm run lint`: typescript-eslint, the rules of hooks and the layers of
# docs/design.md; `prisma validate` on the schema the migrations are written from), vitest on
# SQLite, the database tests again on a throwaway PostgreSQL server (unit-pg; INGOT_TEST_PG_URL,
# when set, names a server to use instead), next build (if needed), the virtual-server tests (rig:
# QEMU, the real agent, the dashboard in Chromium; root only), playwright (on SQLite).
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
# The provisioning rig (lib/testing/rig/README.md): QEMU, iPXE, dnsmasq, the ramdisk and disk-image builders.
step system-packages ensure_apt chromium python3-openstackclient python3-ironicclient ipmitool python3-pyghmi postgresql openssl \
  qemu-system-x86 qemu-utils ipxe-qemu ipxe dnsmasq-base ovmf debootstrap syslinux syslinux-common extlinux busybox-static fdisk cpio
step typecheck node_modules/.bin/tsc --noEmit
step lint npm run --silent lint
step unit env -u INGOT_TEST_PG_URL node_modules/.bin/vitest run --exclude "lib/testing/rig/**"

# The same database-dependent tests on PostgreSQL (and the multi-process cluster tests, which need it).
unit_pg() {
  local files
  mapfile -t files < <(db_test_files)
  start_test_pg || return 1
  node_modules/.bin/vitest run "${files[@]}"
}
trap stop_test_pg EXIT
trap "exit 130" INT TERM
step unit-pg unit_pg
stop_test_pg
built=1
step build build_if_needed || built=0
# The virtual-server tests (lib/testing/rig) run alone in their own step: QEMU without KVM takes
# both cores for minutes, which would starve the timing of every test beside it. After the build:
# the provisioning test watches a deploy in the dashboard (without a build it fails, saying so).
step rig node_modules/.bin/vitest run lib/testing/rig
if [ $built -eq 1 ]; then
  step e2e node_modules/.bin/playwright test
else
  results+=("e2e skipped (no build)")
fi
summary
exit $failed
