#!/usr/bin/env bash
# Renders and validates the Helm chart under infra/helm/kafka-gateway without a cluster:
#   helm lint; helm template for the default (scaled, Redis) values, a single replica without
#   Redis, the ServiceMonitor option, and a secured variant (Kafka SASL_SSL with SCRAM, the
#   registry over HTTPS with a bearer token, rediss:// with an ACL user, HTTPS listeners with
#   client certificates, all from mounted Secrets, and an authorization policy from a ConfigMap); the chart must refuse several consumer
#   replicas without Redis and HTTPS without a certificate Secret; every rendered core object is validated against the Kubernetes 1.31 OpenAPI schemas
#   (kubernetes-validate from PyPI, strict: unknown fields fail).
# Tools come from the package registries: helm built from its Go module (cached under
# .run/tools), kubernetes-validate in a venv. Prints `helm: ok|FAILED|skipped (...)`; exit 0/1/77.
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CHART="$REPO/infra/helm/kafka-gateway"
# cached outside the clone so a fresh clone on the same machine does not rebuild helm
TOOLS="${KAFKA_GATEWAY_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/kafka-gateway/tools}"
HELM_VERSION=v3.22.0
KV_VERSION=1.31.0
OUT="$REPO/.run/helm-render"
mkdir -p "$TOOLS/bin" "$OUT"

skip() { echo "helm: skipped ($1)"; exit 77; }
fail() { echo "helm: FAILED ($1)"; exit 1; }

HELM="$(command -v helm || true)"
if [[ -z "$HELM" ]]; then
  HELM="$TOOLS/bin/helm"
  if [[ ! -x "$HELM" ]]; then
    command -v go >/dev/null || skip "helm is not installed and Go is not available to build it"
    echo "[helm] building helm $HELM_VERSION from its Go module (first run only, a few minutes)" >&2
    GOBIN="$TOOLS/bin" GOFLAGS=-mod=mod go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >"$TOOLS/helm-build.log" 2>&1 \
      || skip "could not build helm: $(tail -n 3 "$TOOLS/helm-build.log" | tr '\n' ' ')"
  fi
fi

KV="$TOOLS/kv-venv/bin/kubernetes-validate"
if [[ ! -x "$KV" ]]; then
  { python3 -m venv "$TOOLS/kv-venv" && "$TOOLS/kv-venv/bin/pip" install -q "kubernetes-validate==$KV_VERSION"; } \
    >"$TOOLS/kv-install.log" 2>&1 || skip "could not install kubernetes-validate from PyPI"
fi

"$HELM" lint "$CHART" >"$OUT/lint.log" 2>&1 || fail "helm lint: $(grep -E 'ERROR|Error' "$OUT/lint.log" | head -3 | tr '\n' ' ')"

render() { # render <name> [helm args...]
  local name="$1"; shift
  "$HELM" template kgw "$CHART" --namespace kafka "$@" >"$OUT/$name.yaml" 2>"$OUT/$name.err" \
    || fail "helm template ($name): $(tr '\n' ' ' <"$OUT/$name.err")"
}
render scaled --set kafka.brokers=kafka:9092 --set schemaRegistry.url=http://sr:8081 \
  --set publicBaseUrl=https://kafka-rest.example.com --set ingress.host=kafka-rest.example.com
render single --set redis.url= --set consumer.replicaCount=1 --set consumer.autoscaling.enabled=false \
  --set producer.autoscaling.enabled=false --set producer.pdb.enabled=false --set consumer.pdb.enabled=false
render monitored --set metrics.serviceMonitor.enabled=true --set schemaRegistry.basicAuthUserInfo=u:p \
  --set prometheusRule.enabled=true --set grafanaDashboard.enabled=true
render secured --set kafka.brokers=kafka:9093 --set kafka.securityProtocol=SASL_SSL \
  --set kafka.tls.secretName=kafka-ca --set kafka.sasl.mechanism=SCRAM-SHA-512 \
  --set kafka.sasl.username=gateway --set kafka.sasl.secretName=kafka-sasl \
  --set schemaRegistry.url=https://sr:8443/apis/ccompat/v7 --set schemaRegistry.secretName=sr-auth \
  --set schemaRegistry.caKey=ca.crt --set schemaRegistry.bearerTokenKey=token \
  --set redis.url=rediss://redis:6380 --set redis.username=gateway --set redis.secretName=redis-auth \
  --set redis.passwordKey=password --set redis.caKey=ca.crt \
  --set https.enabled=true --set https.secretName=gateway-tls --set https.clientCaKey=ca.crt \
  --set https.internalClientSecretName=gateway-client-tls \
  --set 'auth.methods=mtls\,basic\,jwt' --set auth.secretName=gateway-auth --set auth.basicFileKey=users \
  --set auth.jwt.jwksUrl=https://idp.example.com/jwks --set auth.jwt.issuer=https://idp.example.com \
  --set auth.jwt.audience=kafka-gateway --set auth.jwt.jwksCaKey=idp-ca.crt \
  --set authorization.policy.configMap=gateway-policy --set authorization.consumerInstancesPerPrincipal=5

if "$HELM" template kgw "$CHART" --set https.enabled=true >/dev/null 2>"$OUT/no-cert.err"; then
  fail "the chart rendered HTTPS without a certificate Secret"
fi
grep -q "https.enabled needs https.secretName" "$OUT/no-cert.err" || fail "no clear message for HTTPS without a Secret"

if "$HELM" template kgw "$CHART" --set redis.url= >/dev/null 2>"$OUT/no-redis.err"; then
  fail "the chart rendered several consumer replicas without Redis"
fi
grep -q "redis.url is required" "$OUT/no-redis.err" || fail "no clear message for replicas without Redis"

if "$HELM" template kgw "$CHART" --set auth.methods=basic >/dev/null 2>"$OUT/no-users.err"; then
  fail "the chart rendered Basic authentication without a credentials Secret"
fi
grep -q "auth.methods lists basic" "$OUT/no-users.err" || fail "no clear message for Basic without a credentials Secret"

# expectations on what was rendered (kinds present, probes, grace period)
python3 - "$OUT" <<'PY' || exit 1
import sys, pathlib
out = pathlib.Path(sys.argv[1])
scaled = (out / "scaled.yaml").read_text()
for needle in ["kind: Deployment", "kind: Service", "kind: Ingress", "kind: HorizontalPodAutoscaler",
               "kind: PodDisruptionBudget", "path: /readyz", "path: /healthz", "terminationGracePeriodSeconds: 45",
               "prometheus.io/scrape", "REDIS_URL", "INTERNAL_TOKEN", "preStop"]:
    if needle not in scaled:
        print(f"helm: FAILED (scaled render lacks {needle})"); sys.exit(1)
monitored = (out / "monitored.yaml").read_text()
for needle in ["kind: ServiceMonitor", "kind: PrometheusRule", "alert: KafkaGatewayRedisDown",
               "grafana_dashboard:", "kafka-gateway.json:"]:
    if needle not in monitored:
        print(f"helm: FAILED (monitored render lacks {needle})"); sys.exit(1)
for off in ["kind: PrometheusRule", "grafana_dashboard"]:
    if off in scaled:
        print(f"helm: FAILED (default values render {off}: it must be off by default)"); sys.exit(1)
secured = (out / "secured.yaml").read_text()
for needle in ['KAFKA_SECURITY_PROTOCOL, value: "SASL_SSL"', 'KAFKA_SASL_MECHANISM, value: "SCRAM-SHA-512"',
               'KAFKA_SASL_PASSWORD_FILE, value: "/etc/kafka-gateway/kafka-sasl/password"',
               'KAFKA_SSL_CA_LOCATION, value: "/etc/kafka-gateway/kafka-tls/ca.crt"',
               'SCHEMA_REGISTRY_BEARER_AUTH_TOKEN_FILE', 'SCHEMA_REGISTRY_SSL_CA_LOCATION',
               'REDIS_PASSWORD_FILE', 'REDIS_SSL_CA_LOCATION', 'REDIS_USERNAME',
               'HTTP_TLS_CERT_FILE, value: "/etc/kafka-gateway/https/tls.crt"', 'HTTP_TLS_CLIENT_CA_FILE',
               'INTERNAL_URL, value: "https://', 'INTERNAL_TLS_SERVER_NAME', 'INTERNAL_TLS_CERT_FILE',
               'secretName: "gateway-tls"', 'mountPath: /etc/kafka-gateway/kafka-sasl',
               'AUTH_METHODS, value: "mtls,basic,jwt"', 'AUTH_BASIC_FILE, value: "/etc/kafka-gateway/auth/users"',
               'AUTH_JWT_JWKS_CA_FILE, value: "/etc/kafka-gateway/auth/idp-ca.crt"', 'AUTH_MTLS_PRINCIPAL',
               'mountPath: /etc/kafka-gateway/auth',
               'AUTHZ_POLICY_FILE, value: "/etc/kafka-gateway/authz/policy.yaml"',
               'QUOTA_CONSUMER_INSTANCES_PER_PRINCIPAL, value: "5"', 'configMap: { name: "gateway-policy"',
               'mountPath: /etc/kafka-gateway/authz']:
    if needle not in secured:
        print(f"helm: FAILED (secured render lacks {needle})"); sys.exit(1)
if "SASL_PASSWORD" in scaled or "HTTP_TLS" in scaled or "AUTHZ_POLICY_FILE" in scaled:
    print("helm: FAILED (the default render carries security settings)"); sys.exit(1)
single = (out / "single.yaml").read_text()
if "REDIS_URL" in single or "kind: HorizontalPodAutoscaler" in single:
    print("helm: FAILED (single-replica render still uses Redis or an HPA)"); sys.exit(1)
PY

# ServiceMonitor is a CRD kubernetes-validate has no schema for: validate the core objects only
for f in scaled single secured; do
  if ! "$KV" --strict --quiet -k 1.31.0 "$OUT/$f.yaml" >"$OUT/$f.validate" 2>&1; then
    fail "$f render does not validate: $(head -c 400 "$OUT/$f.validate" | tr '\n' ' ')"
  fi
done
echo "helm: ok (lint, 4 renders incl. secured, refusals without Redis, without a certificate Secret and without a credentials Secret, strict Kubernetes 1.31 schema validation)"
