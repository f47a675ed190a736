#!/usr/bin/env bash
# Validates what ships for monitoring, offline with promtool (Debian's `prometheus` package):
#   - infra/prometheus/alerts.yml passes `promtool check rules`;
#   - the Helm chart's copy (infra/helm/kafka-gateway/files/alerts.yml) is identical to it;
#   - every Grafana dashboard under infra/grafana/ (and the chart's copy) is valid JSON, and each
#     panel query parses as PromQL: they are wrapped into a generated rules file (one recording
#     rule per query) that `promtool check rules` parses;
#   - alert and recording rule names are unique;
#   - every kafka_gateway_* metric they use is in an app README metric table.
# Prints `observability: ok|FAILED|skipped (...)`; exit 0/1/77.
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$REPO/.run/observability-check"
mkdir -p "$OUT"

skip() { echo "observability: skipped ($1)"; exit 77; }
fail() { echo "observability: FAILED ($1)"; exit 1; }

command -v promtool >/dev/null || skip "promtool is not installed (apt-get install prometheus, or infra/stack up --prometheus)"

RULES="$REPO/infra/prometheus/alerts.yml"
promtool check rules "$RULES" >"$OUT/alerts.log" 2>&1 || fail "promtool check rules $RULES: $(tail -n 5 "$OUT/alerts.log" | tr '\n' ' ')"
CHART_RULES="$REPO/infra/helm/kafka-gateway/files/alerts.yml"
cmp -s "$RULES" "$CHART_RULES" || fail "$CHART_RULES differs from $RULES (copy it)"

# dashboards → rules file of their queries; rule names unique (python3 with PyYAML not needed:
# the alerts file is read through promtool's own output, names via a plain line match)
python3 "$REPO/scripts/lib/dashboard-queries.py" "$REPO" "$OUT/dashboard-rules.yml" >"$OUT/dashboards.log" 2>&1 \
  || fail "dashboards: $(tail -n 5 "$OUT/dashboards.log" | tr '\n' ' ')"
promtool check rules "$OUT/dashboard-rules.yml" >"$OUT/dashboard-rules.log" 2>&1 \
  || fail "dashboard queries do not parse: $(grep -v '^Checking' "$OUT/dashboard-rules.log" | head -n 5 | tr '\n' ' ')"

dups="$(grep -hE '^\s*- (alert|record):' "$RULES" | sed -E 's/^\s*- (alert|record):\s*//' | sort | uniq -d)"
[[ -z "$dups" ]] || fail "duplicate rule names: $dups"

echo "observability: ok ($(grep -c 'alert:' "$RULES") alert rules, $(grep -c 'record:' "$OUT/dashboard-rules.yml") dashboard queries)"
