#!/usr/bin/env bash
# `npm run test:faults`: the fault suite on its own stack (3 KRaft brokers, 2 replicas of each
# gateway behind nginx, private run directory and free ports), then the results table.
#   FAULTS=<name,...> runs only those scenarios (file names without .fault-spec.js; `fuzz` is the
#   10,000-input fuzz run, FUZZ_RUNS to change it; `soak` is the 3-minute soak, SOAK_MINUTES
#   to change it, see test/faults/README.md)
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO" || exit 1
export STACK_RUN_DIR="${FAULTS_STACK_RUN_DIR:-$REPO/.run/faults-stack}"
export STACK_PROMETHEUS=0 STACK_SECURE=0
# every port free now, strict: on a shared machine an `auto` default port can be taken between
# the check and the bind, and a Kafka voter's port must not move
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
for v in KAFKA_PORT KAFKA_CONTROLLER_PORT KAFKA_2_PORT KAFKA_2_CONTROLLER_PORT KAFKA_3_PORT \
  KAFKA_3_CONTROLLER_PORT REGISTRY_PORT REGISTRY_MANAGEMENT_PORT REDIS_PORT EDGE_PORT \
  PRODUCER_PORT PRODUCER_METRICS_PORT CONSUMER_PORT CONSUMER_METRICS_PORT PRODUCER_2_PORT \
  PRODUCER_2_METRICS_PORT CONSUMER_2_PORT CONSUMER_2_METRICS_PORT; do
  export "$v=$(free_port)"
done
RESULTS="$STACK_RUN_DIR/faults.jsonl"
down() { "$REPO/infra/stack" down --purge >/dev/null 2>&1 || true; }
trap down EXIT
down
rm -rf "$STACK_RUN_DIR"
npx --no-install turbo run build --output-logs=errors-only || exit 1
"$REPO/infra/stack" up --brokers 3 --replicas 2 || exit 1
# shellcheck disable=SC1091
source "$STACK_RUN_DIR/stack.env"
export FAULTS_RESULTS="$RESULTS"
ORDER=(failover rolling-restart outage registry-outage redis-outage concurrency deleted-topic)
if [[ -n "${FAULTS:-}" ]]; then IFS=, read -r -a ORDER <<< "${FAULTS//fuzz/}"; fi
rc=0
# the soak variant first: mixed load for SOAK_MINUTES (3) on this stack, verdict row in the table.
# Before the registry scenario, which restarts the in-memory registry empty: schema ids the
# gateways cached would then name other schemas and the soak's new schemas would get 422s.
if [[ -z "${FAULTS:-}" || ",${FAULTS}," == *",soak,"* ]]; then
  (cd test/faults && SOAK_RESULTS_DIR="$STACK_RUN_DIR/soak-results" \
    node dist/soak.js --minutes "${SOAK_MINUTES:-3}") || rc=1
fi
for name in "${ORDER[@]}"; do
  [[ -z "$name" || "$name" == soak ]] && continue
  (cd test/faults && node --test "dist/$name.fault-spec.js") || rc=1
done
# the full structure-aware fuzz run (npm test runs 1,000 inputs): 0 5xx, every replica ready after
if [[ -z "${FAULTS:-}" || ",${FAULTS}," == *",fuzz,"* ]]; then
  (cd test/e2e && FUZZ_RUNS="${FUZZ_RUNS:-10000}" node --test dist/fuzz-endpoints.e2e-spec.js) || rc=1
fi
node test/faults/report.mjs "$RESULTS" || rc=1
exit "$rc"
