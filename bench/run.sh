#!/usr/bin/env bash
# The benchmark's one command (see bench/README.md):
#
#   npm run bench -- --quick             (or: bash bench/run.sh --quick)
#   npm run bench -- --full
#   npm run bench -- --codec             codec micro-benchmark only, no stack
#   npm run bench -- --stack-env FILE    use a running stack (its <run dir>/stack.env)
#   npm run bench -- --cpu-prof --only "avro 1 KB x10"   CPU profiles of both gateways
#
# Without --stack-env it runs its own stack in .run/bench-stack (free ports, so it never collides
# with `npm start` or a test stack): a stack already running there is used and left running;
# otherwise it is started and, at the end, stopped with its data purged (--keep-stack keeps it).
# Every other option goes to the harness (bench/dist/main.js --help).
set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$BENCH/.." && pwd)"
cd "$REPO"

say() { printf '[bench] %s\n' "$*" >&2; }

stack_env="" keep_stack=0 codec_only=0 cpu_prof=0 pass=()
while (($#)); do
  case "$1" in
    --stack-env) stack_env="${2:?--stack-env needs a file}"; shift 2 ;;
    --keep-stack) keep_stack=1; shift ;;
    --cpu-prof) cpu_prof=1; shift ;;
    --codec) codec_only=1; pass+=("$1"); shift ;;
    *) pass+=("$1"); shift ;;
  esac
done

[[ -d node_modules ]] || { say "installing dependencies (npm ci)"; npm ci --no-audit --no-fund >&2; }
say "building (turbo, cached)"
npx turbo run build --output-logs=errors-only >&2

if ((codec_only)); then
  exec node "$BENCH/dist/main.js" "${pass[@]}"
fi

if [[ -n "$stack_env" ]]; then
  ((cpu_prof == 0)) || say "--cpu-prof applies only to the stack this script starts; see bench/README.md"
  exec node "$BENCH/dist/main.js" --stack-env "$stack_env" "${pass[@]}"
fi

export STACK_RUN_DIR="${BENCH_STACK_RUN_DIR:-$REPO/.run/bench-stack}"
started=0
if infra/stack status >/dev/null 2>&1; then
  say "using the stack already running in $STACK_RUN_DIR (left running)"
  ((cpu_prof == 0)) || say "--cpu-prof needs a stack this script starts; stop that one first"
  cpu_prof=0
else
  say "starting a stack in $STACK_RUN_DIR (log: $STACK_RUN_DIR/up.log)"
  mkdir -p "$STACK_RUN_DIR"
  profiles="$BENCH/results/profiles"
  # 1000 idle instances are measured; the per-replica default cap is exactly 1000
  export CONSUMER_MAX_INSTANCES="${CONSUMER_MAX_INSTANCES:-2000}"
  if ((cpu_prof)); then
    mkdir -p "$profiles/tmp"
    # node writes the profile when the process exits, i.e. when the stack is stopped below
    NODE_OPTIONS="${NODE_OPTIONS:-} --cpu-prof --cpu-prof-dir=$profiles/tmp" \
      EDGE_PORT=auto infra/stack up > "$STACK_RUN_DIR/up.log" 2>&1 \
      || { tail -n 30 "$STACK_RUN_DIR/up.log" >&2; exit 1; }
  else
    EDGE_PORT=auto infra/stack up > "$STACK_RUN_DIR/up.log" 2>&1 \
      || { tail -n 30 "$STACK_RUN_DIR/up.log" >&2; exit 1; }
  fi
  started=1
fi

stop_stack() {
  local pids=()
  if ((cpu_prof)); then
    local c
    for c in producer-gateway consumer-gateway; do
      [[ -f "$STACK_RUN_DIR/pids/$c.pid" ]] && pids+=("$c:$(awk '{ print $1 }' "$STACK_RUN_DIR/pids/$c.pid")")
    done
  fi
  if ((keep_stack)); then
    say "stack left running: source $STACK_RUN_DIR/stack.env; stop: STACK_RUN_DIR=$STACK_RUN_DIR infra/stack down --purge"
  else
    infra/stack down --purge > "$STACK_RUN_DIR/down.log" 2>&1 || say "stopping the stack failed (see $STACK_RUN_DIR/down.log)"
  fi
  if ((cpu_prof && keep_stack)); then
    say "CPU profiles are written to $profiles/tmp when the gateways stop (pids: ${pids[*]})"
  elif ((cpu_prof)); then
    local entry name pid f stamp
    stamp="$(date -u +%Y%m%dT%H%M%SZ)"
    for entry in "${pids[@]}"; do
      name="${entry%%:*}" pid="${entry#*:}"
      for f in "$profiles"/tmp/CPU.*."$pid".*.cpuprofile; do
        [[ -f "$f" ]] && mv "$f" "$profiles/$name-$stamp.cpuprofile" && say "profile: $profiles/$name-$stamp.cpuprofile"
      done
    done
    # profiles of other node processes (the stack's readiness checks) are not wanted
    rm -rf "$profiles/tmp"
  fi
}
if ((started)); then trap stop_stack EXIT; fi

node "$BENCH/dist/main.js" --stack-env "$STACK_RUN_DIR/stack.env" "${pass[@]}"
