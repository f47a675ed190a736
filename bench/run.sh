#!/usr/bin/env bash
# The benchmark's one command (see bench/README.md):
#
#   npm run bench -- --quick             (or: bash bench/run.sh --quick)
#   npm run bench -- --full
#   npm run bench -- --codec             codec micro-benchmark only, no stack
#   npm run bench -- --stack-env FILE    use a running stack (its <run dir>/stack.env)
#   npm run bench -- --cpu-prof --only "avro 1 KB x10"   CPU profiles of both gateways
#   npm run bench -- --sasl-ssl          also every produce row over SASL_SSL (stack up --secure)
#   npm run bench -- --auth              also every produce row with Basic and JWT authentication
#
# Without --stack-env it runs its own stack in .run/bench-stack (free ports, so it never collides
# with `npm start` or a test stack): a stack already running there is used and left running;
# otherwise it is started and, at the end, stopped with its data purged (--keep-stack keeps it).
# Every other option goes to the harness (bench/dist/main.js --help).
set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$BENCH/.." && pwd)"

say() { printf '[bench] %s\n' "$*" >&2; }
SECONDS=0

# npm runs scripts from the repository root; INIT_CWD is where `npm run bench` was typed
CALLER_DIR="${INIT_CWD:-$PWD}"
abspath() { (cd "$CALLER_DIR" && realpath -m -- "$1"); }

stack_env="" keep_stack=0 codec_only=0 cpu_prof=0 no_java=0 sasl_ssl=0 pass=()
while (($#)); do
  case "$1" in
    --stack-env) stack_env="$(abspath "${2:?--stack-env needs a file}")"; shift 2 ;;
    --out) pass+=("$1" "$(abspath "${2:?--out needs a directory}")"); shift 2 ;;
    --keep-stack) keep_stack=1; shift ;;
    --cpu-prof) cpu_prof=1; shift ;;
    --codec) codec_only=1; pass+=("$1"); shift ;;
    --no-java) no_java=1; pass+=("$1"); shift ;;
    --sasl-ssl) sasl_ssl=1; pass+=("$1"); shift ;;
    *) pass+=("$1"); shift ;;
  esac
done
# paths given on the command line were resolved against the caller's directory above
cd "$REPO"

[[ -d node_modules ]] || { say "installing dependencies (npm ci)"; npm ci --no-audit --no-fund >&2; }
say "building (turbo, cached)"
npx turbo run build --output-logs=errors-only >&2

if ((codec_only)); then
  exec node "$BENCH/dist/main.js" "${pass[@]}"
fi

# The Java-client rows run Kafka's own perf tools (org.apache.kafka:kafka-tools) of the broker's
# version (infra/pom.xml). Maven fetches them once into bench/java/target/libs; after that this
# is a file check and mvn does not run. Without them the Java rows say "not available".
fetch_java_tools() {
  local version libs="$BENCH/java/target/libs"
  version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' infra/pom.xml | head -n 1)"
  [[ -n "$version" ]] || { say "no <kafka.version> in infra/pom.xml: Java rows not available"; return 0; }
  [[ -f "$libs/kafka-tools-$version.jar" ]] && return 0
  if ! command -v mvn > /dev/null; then
    say "Maven (mvn) not found: the Java rows will say not available (or pass --no-java)"
    return 0
  fi
  say "fetching kafka-tools $version from Maven Central into $libs (first run only)"
  rm -rf "$libs"
  mvn -B -q -f "$BENCH/java/pom.xml" -Dkafka.version="$version" package >&2 \
    || say "mvn package of bench/java/pom.xml failed: the Java rows will say not available"
}
((no_java)) || fetch_java_tools

if [[ -n "$stack_env" ]]; then
  ((cpu_prof == 0)) || say "--cpu-prof applies only to the stack this script starts; see bench/README.md"
  exec node "$BENCH/dist/main.js" --stack-env "$stack_env" "${pass[@]}"
fi

export STACK_RUN_DIR="${BENCH_STACK_RUN_DIR:-$REPO/.run/bench-stack}"
# `status` exits 0 even when some components are stopped: every line must be ready (six, or
# seven with the `oauth` token endpoint of a --secure stack)
stack_ready() {
  local out
  out="$(infra/stack status 2>/dev/null)" || return 1
  [[ -f "$STACK_RUN_DIR/stack.env" && "$(grep -c ' ready ' <<< "$out")" -ge 6 ]] \
    && ! grep -qv ' ready ' <<< "$out"
}
# --sasl-ssl: the stack runs with `infra/stack up --secure` (SASL_SSL listener, security.env)
up_args=()
((sasl_ssl == 0)) || up_args=(--secure)

stop_stack() {
  if ((keep_stack)); then
    say "stack left running: source $STACK_RUN_DIR/stack.env; stop: STACK_RUN_DIR=$STACK_RUN_DIR infra/stack down --purge"
    ((cpu_prof == 0)) || say "the gateways write their CPU profiles to $profiles when they stop"
    return 0
  fi
  infra/stack down --purge > "$STACK_RUN_DIR/down.log" 2>&1 || say "stopping the stack failed (see $STACK_RUN_DIR/down.log)"
  if ((cpu_prof)); then
    say "CPU profiles (whole life of each gateway):"
    ls -1t "$profiles"/*.cpuprofile 2>/dev/null | head -n 2 >&2 || say "none written (see $STACK_RUN_DIR/down.log)"
  fi
}

if stack_ready; then
  if ((sasl_ssl)) && [[ ! -f "$STACK_RUN_DIR/security.env" ]]; then
    say "--sasl-ssl needs a --secure stack; the one running in $STACK_RUN_DIR is not: stop it (STACK_RUN_DIR=$STACK_RUN_DIR infra/stack down --purge) or set BENCH_STACK_RUN_DIR"
    exit 1
  fi
  say "using the stack already running in $STACK_RUN_DIR (left running)"
  ((cpu_prof == 0)) || say "--cpu-prof needs a stack this script starts; stop that one first"
  cpu_prof=0
else
  say "starting a stack in $STACK_RUN_DIR (log: $STACK_RUN_DIR/up.log)"
  mkdir -p "$STACK_RUN_DIR"
  # from here on, whatever part of the stack came up is stopped again on exit
  trap 'stop_stack; say "total ${SECONDS}s including stack start and stop"' EXIT
  profiles="$BENCH/results/profiles"
  # 1000 idle instances are measured; the per-replica default cap is exactly 1000
  export CONSUMER_MAX_INSTANCES="${CONSUMER_MAX_INSTANCES:-2000}"
  if ((cpu_prof)); then
    # node 20 refuses --cpu-prof in NODE_OPTIONS: a preload starts the profiler instead, and the
    # gateways write their profiles when the stack is stopped below
    NODE_OPTIONS="${NODE_OPTIONS:-} --require $BENCH/dist/cpu-profile-preload.js" \
      BENCH_CPU_PROF_DIR="$profiles" EDGE_PORT=auto infra/stack up "${up_args[@]}" > "$STACK_RUN_DIR/up.log" 2>&1 \
      || { tail -n 30 "$STACK_RUN_DIR/up.log" >&2; exit 1; }
  else
    EDGE_PORT=auto infra/stack up "${up_args[@]}" > "$STACK_RUN_DIR/up.log" 2>&1 \
      || { tail -n 30 "$STACK_RUN_DIR/up.log" >&2; exit 1; }
  fi
  say "stack ready after ${SECONDS}s"
fi

node "$BENCH/dist/main.js" --stack-env "$STACK_RUN_DIR/stack.env" "${pass[@]}"
