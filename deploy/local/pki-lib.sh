# Sourced, not run: the openssl steps of a small PKI for gRPC mutual TLS,
# shared by make run's (deploy/local/local-pki.sh) and the tests'
# (tests/support/make-test-pki.sh). Works in the current directory and writes
# NAME.key / NAME.crt; leaves *.csr, *.ext and *.srl for the caller to remove.
# Not a CA for real deployments: no revocation, no key protection.

# P-256 keys: generated in milliseconds, so every test may make its own PKI.
pki_new_key() {
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null
}

pki_new_ca() {  # name common-name days
  pki_new_key "$1"
  openssl req -x509 -new -key "$1.key" -subj "/CN=$2" -days "$3" -out "$1.crt" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}

# Extensions of a leaf: $1 is serverAuth or clientAuth, $2 an optional SAN list.
pki_leaf_extensions() {
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\n' "$1"
  if [ -n "${2:-}" ]; then printf 'subjectAltName=%s\n' "$2"; fi
}

pki_new_leaf() {  # name ca common-name usage days [san]
  pki_new_key "$1"
  openssl req -new -key "$1.key" -subj "/CN=$3" -out "$1.csr"
  pki_leaf_extensions "$4" "${6:-}" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" -CAcreateserial -days "$5" \
    -extfile "$1.ext" -out "$1.crt" 2>/dev/null
}
