#!/usr/bin/env bash
# After the tests: no secret of the secure test stack (SASL passwords, the OAuth client secret,
# the Redis ACL password, the replicas' internal token, the --auth users' passwords) appears in any log of the stack's
# processes or in the test results. Prints where one was found, never the value.
#   scripts/check-secrets.sh <stack run dir> <test results dir>
set -uo pipefail
RUN="${1:?stack run dir}"
RESULTS="${2:?test results dir}"
[[ -f "$RUN/security.env" ]] || { echo "secrets: no security.env in $RUN (not a secure stack)"; exit 77; }
# shellcheck disable=SC1091
source "$RUN/security.env"
values=()
for v in KAFKA_SCRAM_PASSWORD KAFKA_PLAIN_PASSWORD OAUTH_CLIENT_SECRET REDIS_TLS_PASSWORD; do
  [[ -n "${!v:-}" ]] && values+=("${!v}")
done
[[ -s "$RUN/internal-token" ]] && values+=("$(cat "$RUN/internal-token")")
# the auth-required set (`up --auth`): its users' passwords and its own internal token
if [[ -f "$RUN/auth.env" ]]; then
  # shellcheck disable=SC1091
  source "$RUN/auth.env"
  for v in AUTH_TEAM_A_PASSWORD AUTH_TEAM_B_PASSWORD AUTH_OPS_PASSWORD; do
    [[ -n "${!v:-}" ]] && values+=("${!v}")
  done
  [[ -s "${AUTH_INTERNAL_TOKEN_FILE:-}" ]] && values+=("$(cat "$AUTH_INTERNAL_TOKEN_FILE")")
fi
((${#values[@]} > 0)) || { echo "secrets: FAILED (no secret values to look for)"; exit 1; }
patterns="$(mktemp)"
trap 'rm -f "$patterns"' EXIT
printf '%s\n' "${values[@]}" > "$patterns"
found="$(grep -rlF -f "$patterns" "$RUN/logs" "$RESULTS" 2>/dev/null || true)"
if [[ -n "$found" ]]; then
  echo "secrets: FAILED (a secret value appears in:)"
  echo "$found" | sed 's/^/  /'
  exit 1
fi
files=$(find "$RUN/logs" "$RESULTS" -type f | wc -l)
echo "secrets: ok (${#values[@]} secret values, none in $files log and result files)"
