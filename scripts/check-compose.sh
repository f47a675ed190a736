#!/usr/bin/env bash
# Validates docker-compose.yml without needing a Docker engine. Prints one line:
#   compose: ok (<how>)  |  compose: FAILED (<reason>) [exit 1]  |  compose: skipped (<reason>) [exit 77]
# With the compose plugin: `docker compose config -q`. Otherwise infra/compose-check, a tiny Go
# program on compose-go (the loader `docker compose config` itself uses), built once and cached.
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FILE="$REPO/docker-compose.yml"
[[ -f "$FILE" ]] || { echo "compose: FAILED (no docker-compose.yml)"; exit 1; }

if docker compose version >/dev/null 2>&1; then
  if out="$(docker compose -f "$FILE" config -q 2>&1)"; then echo "compose: ok (docker compose config)"; exit 0; fi
  echo "compose: FAILED ($out)"; exit 1
fi

if ! command -v go >/dev/null 2>&1; then
  echo "compose: skipped (neither the docker compose plugin nor Go is available to validate it)"
  exit 77
fi
TOOL="$REPO/.run/tools/compose-check"
SRC="$REPO/infra/compose-check"
if [[ ! -x "$TOOL" || "$SRC/main.go" -nt "$TOOL" || "$SRC/go.mod" -nt "$TOOL" ]]; then
  mkdir -p "$(dirname "$TOOL")"
  if ! build_log="$(cd "$SRC" && go build -o "$TOOL" . 2>&1)"; then
    echo "compose: skipped (could not build the compose-go checker: ${build_log//$'\n'/ })"
    exit 77
  fi
fi
if out="$("$TOOL" "$FILE" 2>&1)"; then echo "compose: ok (compose-go loader: $out)"; exit 0; fi
echo "compose: FAILED (${out//$'\n'/ })"
exit 1
