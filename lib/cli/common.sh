# Shared by start.sh and test.sh (sourced; expects to run at the checkout root).
# Installs only what is missing or out of date, using stamp files:
#   node_modules/.ingot-lock.sha256   package-lock.json the node_modules were installed from
#   lib/generated/.schema.sha256      prisma/schema.prisma the Prisma clients were generated from
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
    [ -f prisma/schema.prisma ] && sha_of prisma/schema.prisma > lib/generated/.schema.sha256 2>/dev/null || true
  fi
  ensure_prisma_client
}

# Regenerate the Prisma clients when the schema changed (npm ci's postinstall does it too).
ensure_prisma_client() {
  local stamp=lib/generated/.schema.sha256 want have=""
  want=$(sha_of prisma/schema.prisma)
  [ -f "$stamp" ] && have=$(cat "$stamp")
  if [ -f lib/generated/prisma/client.ts ] && [ -f lib/generated/prisma-pg/client.ts ] && [ -z "$have" ] \
     && [ ! prisma/schema.prisma -nt lib/generated/prisma/client.ts ]; then
    have=$want
    echo "$want" > "$stamp"
  fi
  if [ ! -f lib/generated/prisma/client.ts ] || [ "$have" != "$want" ]; then
    ingot_log "generating the Prisma clients…"
    node prisma/generate.mjs || return 1
    mkdir -p lib/generated && echo "$want" > "$stamp"
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
