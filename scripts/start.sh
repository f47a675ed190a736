#!/usr/bin/env bash
# `npm start`: installs and fetches what is missing, builds, and brings up the whole product in
# the background: Kafka, Schema Registry, Redis, both gateways and the entry point on :8082.
# Idempotent: running it again only starts what is not running. Stop with `npm stop`.
set -euo pipefail
SCRIPT_NAME=start
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_tools
ensure_node_modules
build_all
"$REPO_ROOT/infra/stack" up "$@"
# shellcheck disable=SC1091
source "${STACK_RUN_DIR:-$REPO_ROOT/.run/stack}/stack.env"
cat <<TXT

  Kafka HTTP gateway is up.
    REST API (Confluent v2):  $GATEWAY_URL        e.g. curl -s $GATEWAY_URL/topics
    producer-gateway metrics: $PRODUCER_METRICS_URL/metrics
    consumer-gateway metrics: $CONSUMER_METRICS_URL/metrics
    Replicas of each gateway: $GATEWAY_REPLICAS (round-robin behind the entry point; ownership in Redis)
    Kafka bootstrap:          $KAFKA_BROKERS
    Schema Registry:          $SCHEMA_REGISTRY_URL
    Logs:                     ${STACK_RUN_DIR:-$REPO_ROOT/.run/stack}/logs
  Status: infra/stack status      Stop: npm stop

TXT
