#!/usr/bin/env bash
# make run's PKI for mutual TLS between the local services and the token
# authority: a CA, the authority's server certificate (127.0.0.1, localhost)
# and one client certificate per caller, whose common name is its identity in
# the authority's caller policy: tokengate-api, tokengate-http2kafka,
# tokengate-cli (the command-line client; the consumer never calls the
# authority). Made once in DIR (mode 700, files 600) and kept across runs; made
# anew, whole, when a file is missing or a certificate ends within 30 days.
# The CA's key is deleted once the certificates are signed: nothing on disk
# can sign another identity. Local use only; the chart takes real certificates.
# Usage: local-pki.sh DIR
set -euo pipefail

DIR="${1:?usage: local-pki.sh DIR}"
HERE="$(cd "$(dirname "$0")" && pwd)"
LEAVES=(authority api http2kafka cli)
RENEW_BEFORE_SECONDS=$((30 * 86400))

complete() {
  local name
  [ -s "$DIR/ca.crt" ] || return 1
  for name in "${LEAVES[@]}"; do
    [ -s "$DIR/$name.key" ] || return 1
    openssl x509 -in "$DIR/$name.crt" -noout -checkend "$RENEW_BEFORE_SECONDS" >/dev/null 2>&1 || return 1
  done
}

complete && exit 0

# shellcheck source=deploy/local/pki-lib.sh
source "$HERE/pki-lib.sh"
umask 077
mkdir -p "$(dirname "$DIR")"
# Made beside DIR and renamed into place, so an interrupted run never leaves half a PKI.
work="$(mktemp -d "$DIR.new.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cd "$work"
pki_new_ca ca "tokengate local CA" 3650
pki_new_leaf authority ca tokengate-authority serverAuth 825 "IP:127.0.0.1,DNS:localhost"
pki_new_leaf api ca tokengate-api clientAuth 825
pki_new_leaf http2kafka ca tokengate-http2kafka clientAuth 825
pki_new_leaf cli ca tokengate-cli clientAuth 825
rm -f ./*.csr ./*.ext ./*.srl ca.key
chmod 600 ./*
cd /
rm -rf "$DIR"
mv "$work" "$DIR"
chmod 700 "$DIR"
trap - EXIT
echo "local PKI: made in $DIR (CA, authority, api, http2kafka, cli)"
