"""Collects every PromQL query of the shipped Grafana dashboards into one rules file.

usage: dashboard-queries.py <repo> <out.yml>

Each dashboard must be valid JSON, and the chart's copy identical to infra/grafana's. Every `kafka_gateway_*`
metric the dashboards and alerts use must be in an app README's metric table. Each panel
target's `expr` becomes a recording rule, so `promtool check rules <out.yml>` parses every query
offline. Grafana's template variables (`$__rate_interval`, `$job`) are replaced by literals first.
"""

import json
import pathlib
import re
import sys

repo = pathlib.Path(sys.argv[1])
out = pathlib.Path(sys.argv[2])
dashboards = sorted((repo / "infra/grafana").glob("*.json"))
if not dashboards:
    sys.exit("no dashboards under infra/grafana")
chart = repo / "infra/helm/kafka-gateway/files"

GRAFANA_VARS = {
    "$__rate_interval": "1m",
    "$__interval": "1m",
    "$__range": "1h",
}


def panels(items):
    for p in items:
        yield p
        yield from panels(p.get("panels", []))


lines = ["groups:"]
for path in dashboards:
    text = path.read_text()
    try:
        board = json.loads(text)
    except json.JSONDecodeError as e:
        sys.exit(f"{path}: not JSON: {e}")
    copy = chart / path.name
    if not copy.exists() or copy.read_text() != text:
        sys.exit(f"{copy} differs from {path} (copy it)")
    if not board.get("uid") or not board.get("title"):
        sys.exit(f"{path}: a dashboard needs a uid and a title")
    lines.append(f"  - name: {json.dumps(path.stem)}")
    lines.append("    rules:")
    n = 0
    for panel in panels(board.get("panels", [])):
        for target in panel.get("targets", []):
            expr = target.get("expr")
            if not expr:
                continue
            for k, v in GRAFANA_VARS.items():
                expr = expr.replace(k, v)
            # any other variable ($job, ${instance}) stands for a label value inside quotes
            expr = re.sub(r"\$\{?\w+\}?", "x", expr)
            n += 1
            lines.append(f"      - record: dashboard:query_{n}")
            lines.append(f"        expr: {json.dumps(expr)}")
    if n == 0:
        sys.exit(f"{path}: no queries")
    print(f"{path.name}: {n} queries")
out.write_text("\n".join(lines) + "\n")

# every gateway metric a dashboard query or alert names is one the apps document (and export)
documented = set()
for readme in (repo / "apps").glob("*/README.md"):
    documented |= set(re.findall(r"`(kafka_gateway_\w+)`", readme.read_text()))
used = set(re.findall(r"kafka_gateway_\w+", "\n".join(lines)))
used |= set(re.findall(r"kafka_gateway_\w+", (repo / "infra/prometheus/alerts.yml").read_text()))
unknown = sorted(
    m for m in used if re.sub(r"_(bucket|count|sum)$", "", m) not in documented and m not in documented
)
if unknown:
    sys.exit(f"queries use metrics no app README documents: {', '.join(unknown)}")
