# Shared by scripts/start.sh and scripts/test.sh. Sourced, not executed.
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export REPO_ROOT

say() { printf '[%s] %s\n' "${SCRIPT_NAME:-gateway}" "$*"; }

require_tools() {
  local missing=()
  for t in node npm java mvn curl; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
  if ((${#missing[@]})); then
    say "missing required tools: ${missing[*]} (need Node >= 20, npm, Java 17+, Maven, curl)"
    return 1
  fi
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  if ((major < 20)); then say "Node >= 20 is required (found $(node --version))"; return 1; fi
}

# npm ci when node_modules is missing or older than the lockfile.
ensure_node_modules() {
  cd "$REPO_ROOT" || return 1
  if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
    say "installing npm dependencies (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error || return 1
  fi
}

# The browser e2e test (test/e2e/src/sse-browser.e2e-spec.ts) drives Debian's chromium through
# playwright-core; install it only when missing, and only where apt-get can (root, Debian/Ubuntu).
ensure_chromium() {
  command -v chromium >/dev/null 2>&1 && return 0
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    say "installing chromium (apt-get) for the browser e2e test"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/dev/null || return 1
  else
    say "chromium is missing and cannot be installed here (needs root and apt-get): the browser e2e test will be skipped"
  fi
}

build_all() {
  cd "$REPO_ROOT" || return 1
  say "building (turbo run build)"
  npx --no-install turbo run build --output-logs=errors-only || return 1
}
