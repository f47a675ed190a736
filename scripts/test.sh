#!/usr/bin/env bash
# `npm test`: every test, from a fresh clone. Installs what is missing, builds, lints, runs the
# unit tests, brings up a private stack (its own run directory and free ports), runs the
# integration and end-to-end tests against it, tears it down, and ends with the totals line
# `N passed, N failed[, N skipped]`.
set -uo pipefail
SCRIPT_NAME=test
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT" || exit 1

RESULTS="$REPO_ROOT/.run/test-results"
rm -rf "$RESULTS"
mkdir -p "$RESULTS"
export TEST_RESULTS_DIR="$RESULTS"
EXTRA=()
record() { EXTRA+=(--extra "$1"); say "check $2: $1"; }
# a suite that crashed before reporting, or never ran, is a failure, not silence
expect_suites() {
  local f
  for f in $(node "$REPO_ROOT/scripts/expect-suites.mjs" "$1"); do
    [[ -f "$RESULTS/$f" ]] || record failed "suite ${f%.tap} produced no results"
  done
}
totals() { node "$REPO_ROOT/scripts/test-totals.mjs" "$RESULTS" "${EXTRA[@]}"; }

if ! require_tools || ! ensure_node_modules || ! ensure_chromium || ! build_all; then
  record failed build
  totals
  exit 1
fi
record passed build

say "lint (eslint, type-checked)"
if npx --no-install turbo run lint --output-logs=errors-only; then record passed lint; else record failed lint; fi
say "format (prettier --check)"
if npx --no-install prettier --check . --log-level warn; then record passed format; else record failed format; fi

say "unit tests"
npx --no-install turbo run test:unit --concurrency=1 --continue --output-logs=full || true
expect_suites test:unit

say "docker-compose.yml"
bash scripts/check-compose.sh
case $? in
  0) record passed compose ;;
  77) record skipped compose ;;
  *) record failed compose ;;
esac

say "Helm chart (infra/helm/kafka-gateway)"
bash scripts/check-helm.sh
case $? in
  0) record passed helm ;;
  77) record skipped helm ;;
  *) record failed helm ;;
esac

say "OpenAPI document (docs/openapi.yaml)"
PY=python3
KV_PY="${XDG_CACHE_HOME:-$HOME/.cache}/kafka-gateway/tools/kv-venv/bin/python"
python3 -c 'import yaml' 2>/dev/null || { [[ -x "$KV_PY" ]] && PY="$KV_PY"; }
"$PY" scripts/check-openapi.py
case $? in
  0) record passed openapi ;;
  77) record skipped openapi ;;
  *) record failed openapi ;;
esac

# A private stack: never collides with a stack started by `npm start` on the default ports.
export STACK_RUN_DIR="$REPO_ROOT/.run/test-stack"
export EDGE_PORT="${TEST_EDGE_PORT:-auto}"
export LOG_LEVEL="${LOG_LEVEL:-info}"
export STACK_PROMETHEUS="${STACK_PROMETHEUS:-1}" # infra/stack up --prometheus (installs promtool too)
stack_down() { "$REPO_ROOT/infra/stack" down --purge >/dev/null 2>&1 || true; }
trap stack_down EXIT
stack_down
rm -rf "$STACK_RUN_DIR"
# --secure adds the TLS/SASL/OAuth listeners, ACLs and token endpoint the Kafka security suite
# (test/e2e/src/security.e2e-spec.ts) needs; the gateways of the stack stay on PLAINTEXT.
# --auth adds a second gateway set that requires client authentication behind its own entry
# point (auth.env; test/e2e/src/auth-matrix.e2e-spec.ts).
export AUTH_EDGE_PORT="${TEST_AUTH_EDGE_PORT:-auto}"
say "starting the test stack in $STACK_RUN_DIR (secure mode, ${TEST_REPLICAS:-2} replicas of each gateway behind round-robin, and as many that require authentication)"
if "$REPO_ROOT/infra/stack" up --secure --auth --replicas "${TEST_REPLICAS:-2}"; then
  record passed stack-up
  # shellcheck disable=SC1091
  source "$STACK_RUN_DIR/stack.env"
  # shellcheck disable=SC1091
  source "$STACK_RUN_DIR/security.env"
  # shellcheck disable=SC1091
  source "$STACK_RUN_DIR/auth.env"
  say "integration tests"
  npx --no-install turbo run test:integration --concurrency=1 --continue --output-logs=full || true
  expect_suites test:integration
  # A short subset of the fault suite (test/faults, `npm run test:faults` for all of it): kill -9
  # of the one broker under produce of every format, restart, every acknowledged record read back
  # exactly once. The default single-broker stack serves: a 3-broker stack would add minutes of
  # start-up on a 2-core machine, and the broker restart already shows the producer recovery.
  say "fault subset: broker kill -9 and restart under produce (about a minute)"
  if (cd test/faults && FAULTS_CONNECTIONS=5 FAULTS_STEADY_MS=3000 FAULTS_RESULTS="$RESULTS/faults.jsonl" \
    node --test dist/failover.fault-spec.js); then record passed fault-subset; else record failed fault-subset; fi
  say "stack is still healthy after the tests"
  if "$REPO_ROOT/infra/stack" status; then record passed stack-healthy; else record failed stack-healthy; fi
  say "no secret in the logs of the whole run"
  bash scripts/check-secrets.sh "$STACK_RUN_DIR" "$RESULTS"
  case $? in 0) record passed secrets-in-logs ;; 77) record skipped secrets-in-logs ;; *) record failed secrets-in-logs ;; esac
else
  record failed stack-up
  "$REPO_ROOT/infra/stack" status || true
fi
say "stopping the test stack"
stack_down
trap - EXIT
bash scripts/check-observability.sh; case $? in 0) record passed observability ;; 77) record skipped observability ;; *) record failed observability ;; esac
totals
