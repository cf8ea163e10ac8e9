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
# shellcheck source=deploy/local/pki-lib.sh
source "$(cd "$(dirname "$0")/../.." && pwd)/deploy/local/pki-lib.sh"
mkdir -p "$DIR"
cd "$DIR"

pki_new_ca ca "tokengate test CA" 2
pki_new_ca other-ca "another test CA" 2

pki_new_leaf server ca tokengate-authority serverAuth 1 "IP:127.0.0.1,DNS:localhost"
pki_new_leaf api ca tokengate-api clientAuth 1
pki_new_leaf http2kafka ca tokengate-http2kafka clientAuth 1
pki_new_leaf cli ca tokengate-cli clientAuth 1
pki_new_leaf stranger ca stranger clientAuth 1
pki_new_leaf san-http2kafka ca someone-else clientAuth 1 "DNS:tokengate-http2kafka"
pki_new_leaf foreign other-ca tokengate-api clientAuth 1

# OpenSSL 3.0's `x509 -req` cannot date a certificate in the past; `ca` can.
pki_new_key expired
openssl req -new -key expired.key -subj "/CN=tokengate-api" -out expired.csr
pki_leaf_extensions clientAuth >expired.ext
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
