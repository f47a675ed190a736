#!/usr/bin/env bash
# `npm run soak -- --minutes 30`: mixed load for N minutes on a 2+2-replica stack (nginx, Redis,
# 1 broker, registry; private run directory and free ports), a sample of every gateway process
# each minute, then the verdict (test/faults/src/soak.ts). Exit 1 when it fails.
#   SOAK_REUSE_STACK=1 uses the stack of $STACK_RUN_DIR that is already up (stack.env) and
#   leaves it running; otherwise the script brings up its own and purges it at the end.
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO" || exit 1
export STACK_RUN_DIR="${SOAK_STACK_RUN_DIR:-${STACK_RUN_DIR:-$REPO/.run/soak-stack}}"
if [[ "${SOAK_REUSE_STACK:-0}" != 1 ]]; then
  export STACK_PROMETHEUS=0 STACK_SECURE=0
  free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
  for v in KAFKA_PORT KAFKA_CONTROLLER_PORT REGISTRY_PORT REGISTRY_MANAGEMENT_PORT REDIS_PORT \
    EDGE_PORT PRODUCER_PORT PRODUCER_METRICS_PORT CONSUMER_PORT CONSUMER_METRICS_PORT \
    PRODUCER_2_PORT PRODUCER_2_METRICS_PORT CONSUMER_2_PORT CONSUMER_2_METRICS_PORT; do
    export "$v=$(free_port)"
  done
  down() { "$REPO/infra/stack" down --purge >/dev/null 2>&1 || true; }
  trap down EXIT
  down
  npx --no-install turbo run build --output-logs=errors-only || exit 1
  "$REPO/infra/stack" up --replicas 2 || exit 1
fi
# shellcheck disable=SC1091
source "$STACK_RUN_DIR/stack.env"
cd test/faults && node dist/soak.js "$@"
