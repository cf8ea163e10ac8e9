#!/usr/bin/env bash
# Makes a throw-away PKI for mutual-TLS tests in DIR with the openssl CLI:
# a test CA, a server certificate for 127.0.0.1/localhost and client
# certificates (valid, expired, from another CA). Never for real deployments.
# Usage: make-test-pki.sh DIR
# Writes DIR/ca.crt and NAME.crt + NAME.key for NAME in:
#   server          CN=tokengate-authority, SAN IP:127.0.0.1, DNS:localhost
#   api             CN=tokengate-api
#   http2kafka      CN=tokengate-http2kafka
#   cli             CN=tokengate-cli (the command-line client)
#   stranger        CN=stranger
#   san-http2kafka  CN=someone-else, SAN DNS:tokengate-http2kafka
#   expired         CN=tokengate-api, valid only on 2020-01-01
#   foreign         CN=tokengate-api, signed by another CA (DIR/other-ca.crt)
set -euo pipefail

DIR="${1:?usage: make-test-pki.sh DIR}"
mkdir -p "$DIR"
cd "$DIR"

# P-256 keys: generated in milliseconds, so every test may make its own PKI.
new_key() {
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null
}

new_ca() {  # name common-name
  new_key "$1"
  openssl req -x509 -new -key "$1.key" -subj "/CN=$2" -days 2 -out "$1.crt" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}

# Extensions of a leaf: $1 is serverAuth or clientAuth, $2 an optional SAN list.
leaf_extensions() {
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\n' "$1"
  if [ -n "${2:-}" ]; then printf 'subjectAltName=%s\n' "$2"; fi
}

new_leaf() {  # name ca common-name usage [san]
  new_key "$1"
  openssl req -new -key "$1.key" -subj "/CN=$3" -out "$1.csr"
  leaf_extensions "$4" "${5:-}" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" -CAcreateserial -days 1 \
    -extfile "$1.ext" -out "$1.crt" 2>/dev/null
}

new_ca ca "tokengate test CA"
new_ca other-ca "another test CA"

new_leaf server ca tokengate-authority serverAuth "IP:127.0.0.1,DNS:localhost"
new_leaf api ca tokengate-api clientAuth
new_leaf http2kafka ca tokengate-http2kafka clientAuth
new_leaf cli ca tokengate-cli clientAuth
new_leaf stranger ca stranger clientAuth
new_leaf san-http2kafka ca someone-else clientAuth "DNS:tokengate-http2kafka"
new_leaf foreign other-ca tokengate-api clientAuth

# OpenSSL 3.0's `x509 -req` cannot date a certificate in the past; `ca` can.
new_key expired
openssl req -new -key expired.key -subj "/CN=tokengate-api" -out expired.csr
leaf_extensions clientAuth >expired.ext
mkdir -p ca-db
: >ca-db/index.txt
cat >ca-db/ca.cnf <<'EOF'
[ca]
default_ca = test_ca
[test_ca]
database = ca-db/index.txt
new_certs_dir = ca-db
serial = ca-db/serial
default_md = sha256
policy = any_subject
unique_subject = no
[any_subject]
commonName = supplied
EOF
openssl rand -hex 8 >ca-db/serial
openssl ca -batch -notext -config ca-db/ca.cnf -cert ca.crt -keyfile ca.key \
  -startdate 20200101000000Z -enddate 20200102000000Z -extfile expired.ext \
  -in expired.csr -out expired.crt 2>/dev/null

rm -rf ./*.csr ./*.ext ./*.srl ca-db
