#!/usr/bin/env bash
# Writes a throwaway PKI for the TLS tests into DIR, made with openssl, valid for 2 days:
#   ca.pem                    the CA that signs the server's and the client's certificates
#   server.pem, server.key    for localhost and 127.0.0.1
#   client.pem, client.key    a client identity signed by ca.pem (mutual TLS)
#   rogue_ca.pem, rogue_client.pem, rogue_client.key   a second CA and a client it signed, which
#                             the server must refuse
#   tokens.txt                two bearer tokens (a rotation) with a comment and a blank line;
#   token.txt, wrong_token.txt   one of them, and one that is not in tokens.txt
# Usage: make_test_pki.sh DIR
set -euo pipefail
dir=$1
mkdir -p "$dir"
cd "$dir"

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# ca NAME: a self-signed CA certificate NAME.pem with key NAME.key.
ca() {
  key "$1.key"
  openssl req -x509 -new -key "$1.key" -out "$1.pem" -days 2 -subj "/CN=attnserve test $1" \
    2>/dev/null
}

# leaf NAME CA SUBJECT_ALT_NAMES: NAME.pem with key NAME.key, signed by CA.
leaf() {
  key "$1.key"
  openssl req -new -key "$1.key" -out "$1.csr" -subj "/CN=$1" 2>/dev/null
  printf 'subjectAltName=%s\n' "$3" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -out "$1.pem" \
    -days 2 -extfile "$1.ext" 2>/dev/null
  rm "$1.csr" "$1.ext"
}

ca ca
ca rogue_ca
leaf server ca "DNS:localhost,IP:127.0.0.1"
leaf client ca "DNS:attnserve-test-client"
leaf rogue_client rogue_ca "DNS:attnserve-test-client"

# Random tokens: a test never depends on a fixed secret.
token_one=$(openssl rand -hex 24)
token_two=$(openssl rand -hex 24)
printf '# attnserve test tokens: the old and the new during a rotation\n%s\n\n%s\n' \
  "$token_one" "$token_two" >tokens.txt
printf '%s\n' "$token_two" >token.txt
printf '%s\n' "$(openssl rand -hex 24)" >wrong_token.txt
