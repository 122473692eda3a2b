# Shared by start.sh and test.sh (sourced; expects to run at the checkout root).
# Installs only what is missing or out of date, using stamp files:
#   node_modules/.ingot-lock.sha256   package-lock.json the node_modules were installed from
#   .next/.ingot-src.sha256           sources the production build was made from

export NEXT_TELEMETRY_DISABLED=1

ingot_log() { printf '\033[1;33m[ingot]\033[0m %s\n' "$*"; }

sha_of() { sha256sum "$1" | cut -c1-64; }

# npm ci when node_modules is missing or package-lock.json changed since the last install.
ensure_node_modules() {
  local stamp=node_modules/.ingot-lock.sha256 want have=""
  want=$(sha_of package-lock.json)
  [ -f "$stamp" ] && have=$(cat "$stamp")
  if [ -d node_modules ] && [ -z "$have" ] && [ -f node_modules/.package-lock.json ] \
     && [ ! package-lock.json -nt node_modules/.package-lock.json ]; then
    # Installed by hand (npm install/ci) after the last lockfile change: trust it, as npm does.
    have=$want
    echo "$want" > "$stamp"
  fi
  if [ ! -d node_modules ] || [ "$have" != "$want" ]; then
    ingot_log "installing dependencies (npm ci)…"
    npm ci --no-audit --no-fund || return 1
    echo "$want" > "$stamp"
  fi
}

# A hash of everything the production build depends on.
source_hash() {
  {
    find app components lib public -type f \
      -not -path 'lib/generated/*' -not -name '*.test.ts' -not -name '*.test.tsx' -not -name '*.sh' 2>/dev/null
    ls next.config.ts postcss.config.mjs tsconfig.json package-lock.json prisma/schema.prisma 2>/dev/null
  } | LC_ALL=C sort | tr '\n' '\0' | xargs -0 sha256sum | sha256sum | cut -c1-64
}

# next build unless the last build was made from the same sources.
build_if_needed() {
  local stamp=.next/.ingot-src.sha256 want
  want=$(source_hash)
  if [ -f .next/BUILD_ID ] && [ -f .next/ingot/server.mjs ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    ingot_log "production build is up to date"
    return 0
  fi
  ingot_log "building the dashboard (next build) and the server…"
  node_modules/.bin/next build || return 1
  node lib/server/bundle.mjs || return 1
  echo "$want" > "$stamp"
}

# Debian packages, installed only when missing (apt-get as root, else sudo).
ensure_apt() {
  local missing=() p
  if ! command -v dpkg-query >/dev/null 2>&1; then
    ingot_log "not a Debian system: make sure these are installed: $*"
    return 0
  fi
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  ingot_log "installing Debian packages: ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
      ingot_log "need root to install ${missing[*]} (apt-get install -y --no-install-recommends ${missing[*]})"
      return 1
    fi
  fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q \
    && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# ---- a throwaway PostgreSQL server for the tests ----
# start_test_pg: unless INGOT_TEST_PG_URL is already set, runs Debian's PostgreSQL (installed by
# ensure_apt postgresql) from a temporary data directory on 127.0.0.1, a free port, trust auth and
# a private socket directory, and exports INGOT_TEST_PG_URL. stop_test_pg stops it, removes it and
# unsets the URL (test.sh calls it from an EXIT trap, so a failed or interrupted run leaves nothing behind).
INGOT_TEST_PG_DIR=""
INGOT_TEST_PG_BIN=""

# Runs a PostgreSQL binary as the postgres user when we are root (initdb and postgres refuse root).
pg_as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_test_pg() {
  if [ -n "${INGOT_TEST_PG_URL:-}" ]; then
    ingot_log "PostgreSQL tests use INGOT_TEST_PG_URL as given"
    return 0
  fi
  local bin port
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    bin=$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")
  fi
  if [ ! -x "$bin/initdb" ]; then
    ingot_log "PostgreSQL server binaries not found (Debian package postgresql)"
    return 1
  fi
  INGOT_TEST_PG_BIN=$bin
  INGOT_TEST_PG_DIR=$(mktemp -d /tmp/ingot-pg.XXXXXX) || return 1
  mkdir -p "$INGOT_TEST_PG_DIR/data" "$INGOT_TEST_PG_DIR/sock"
  [ "$(id -u)" = 0 ] && chown -R postgres: "$INGOT_TEST_PG_DIR"
  port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})') || return 1
  pg_as_owner "$bin/initdb" -D "$INGOT_TEST_PG_DIR/data" -U postgres -A trust -E UTF8 --no-sync >"$INGOT_TEST_PG_DIR/initdb.log" 2>&1 \
    || { cat "$INGOT_TEST_PG_DIR/initdb.log"; return 1; }
  # Durability is of no use to a throwaway server (fsync off); the suite and the cluster tests
  # open many connections at once (a pool per test file and per process, plus LISTEN ones).
  pg_as_owner "$bin/pg_ctl" -D "$INGOT_TEST_PG_DIR/data" -l "$INGOT_TEST_PG_DIR/server.log" -w -t 60 \
    -o "-h 127.0.0.1 -p $port -k $INGOT_TEST_PG_DIR/sock -F -c max_connections=400 -c shared_buffers=64MB -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null || { cat "$INGOT_TEST_PG_DIR/server.log"; return 1; }
  export INGOT_TEST_PG_URL="postgresql://postgres@127.0.0.1:$port/postgres"
  ingot_log "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') for the tests: $INGOT_TEST_PG_URL"
}

stop_test_pg() {
  [ -n "$INGOT_TEST_PG_DIR" ] || return 0
  pg_as_owner "$INGOT_TEST_PG_BIN/pg_ctl" -D "$INGOT_TEST_PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$INGOT_TEST_PG_DIR"
  INGOT_TEST_PG_DIR=""
  # The URL named the server just stopped: later steps must not try it.
  unset INGOT_TEST_PG_URL
}

# The test files that touch a database (the fixture or the cluster harness): the PostgreSQL run.
db_test_files() {
  grep -rlE 'createTestDb|testing/cluster|INGOT_TEST_PG_URL' lib app components tests --include='*.test.ts' 2>/dev/null | LC_ALL=C sort
}
