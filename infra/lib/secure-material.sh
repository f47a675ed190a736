#!/usr/bin/env bash
# Generates the test PKI and secrets of `infra/stack up --secure` into <dir>, once: a <dir> that
# holds `.complete` is left alone. For loopback tests only; nothing here is cached in the repo.
#
#   secure-material.sh <dir>
#
# Certificates (PEM, EC P-256 keys as unencrypted PKCS#8, SHA-256 signatures), all issued by
# `openssl ca` so that validity dates can be set (the expired certificate needs a past window):
#   ca.crt / ca.key                  the stack's CA (valid from 7 days ago, 10 years)
#   server.crt / server.key          CN=localhost, SAN IP:127.0.0.1 + DNS:localhost (Kafka,
#                                    registry, Redis); kafka-keystore.pem = key + cert + CA
#   gateway-https.crt / .key         the same SANs, for a gateway HTTPS listener
#   client.crt / client.key          CN=gateway (clientAuth), for mTLS
#   expired-client.crt / .key        CN=gateway, valid 3 days ago to 2 days ago
#   untrusted-ca.crt / .key          an unrelated CA
#   untrusted-client.crt / .key      CN=gateway issued by the unrelated CA
#   oauth-signing.key                RSA 2048, signs the token endpoint's JWTs (published in JWKS)
#   oauth-untrusted.key              RSA 2048, signs tokens on request, never published
# Secrets (hex, one line): scram.password, plain.password, redis.password, oauth-client.secret.
set -euo pipefail

out="${1:?usage: secure-material.sh <dir>}"
[[ -f "$out/.complete" ]] && exit 0
command -v openssl >/dev/null || { echo "openssl is needed (apt-get install openssl)" >&2; exit 1; }

tmp="$out.tmp.$$"
rm -rf "$tmp"
umask 077
mkdir -p "$tmp"
cd "$tmp"

cat > openssl.cnf <<'CNF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca]
default_ca = stack_ca
[stack_ca]
database = index.txt
new_certs_dir = issued
serial = serial
default_md = sha256
policy = any
preserve = yes
unique_subject = no
copy_extensions = none
[any]
organizationName = optional
commonName = supplied
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[client_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
mkdir issued
: > index.txt
openssl rand -hex 16 > serial

O="kafka-http-gateway stack"
at() { date -u -d "$1" +%Y%m%d%H%M%SZ; }

ec_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

# issue <name> <subject> <extensions> <start> <end> <ca name | self>
issue() {
  local name="$1" subject="$2" ext="$3" start="$4" end="$5" ca="$6"
  ec_key "$name.key"
  openssl req -new -config openssl.cnf -key "$name.key" -subj "$subject" -out "$name.csr"
  if [[ "$ca" == self ]]; then
    openssl ca -batch -config openssl.cnf -selfsign -keyfile "$name.key" -in "$name.csr" -out "$name.crt" \
      -startdate "$start" -enddate "$end" -extensions "$ext" -notext 2> /dev/null
  else
    openssl ca -batch -config openssl.cnf -cert "$ca.crt" -keyfile "$ca.key" -in "$name.csr" -out "$name.crt" \
      -startdate "$start" -enddate "$end" -extensions "$ext" -notext 2> /dev/null
  fi
  rm -f "$name.csr"
}

from="$(at '-7 days')"
ca_until="$(at '+3650 days')"
until="$(at '+825 days')"
issue ca "/O=$O/CN=stack test CA" ca_ext "$from" "$ca_until" self
issue untrusted-ca "/O=untrusted/CN=untrusted test CA" ca_ext "$from" "$ca_until" self
issue server "/O=$O/CN=localhost" server_ext "$from" "$until" ca
issue gateway-https "/O=$O/CN=localhost" server_ext "$from" "$until" ca
issue client "/O=$O/CN=gateway" client_ext "$from" "$until" ca
issue expired-client "/O=$O/CN=gateway" client_ext "$(at '-3 days')" "$(at '-2 days')" ca
issue untrusted-client "/O=untrusted/CN=gateway" client_ext "$from" "$until" untrusted-ca

cat server.key server.crt ca.crt > kafka-keystore.pem
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out oauth-signing.key 2> /dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out oauth-untrusted.key 2> /dev/null
for s in scram.password plain.password redis.password oauth-client.secret; do openssl rand -hex 16 > "$s"; done

rm -rf issued index.txt* serial* openssl.cnf
# certificates are public; keys and secrets stay 600 (umask)
chmod 644 ./*.crt
touch .complete
rm -rf "$out"
mv "$tmp" "$out"
chmod 700 "$out"
