#!/usr/bin/env bash
# Certificates of many shapes, made by the real openssl, for agent/dissectors/x509.test.ts: it checks the
# direct DER reader (x509.ts) gives exactly what OpenSSL prints through Node's X509Certificate, and
# hands the shapes it does not read to OpenSSL. Writes test-fixtures/x509-certs.pem (no private keys).
# Usage: bash test-fixtures/make-x509-certs.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
out="$here/x509-certs.pem"
: > "$out"

openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 3650 -set_serial 1 \
  -subj "/C=US/O=Example Hospital CA/CN=Example Root" 2>/dev/null
cat ca.pem >> "$out"

# self-signed, -subj / -addext; name="subject|days|serial|extensions (one -addext each, ';'-separated)"
self() {
  local subj=$1 days=$2 serial=$3 exts=$4 opts=()
  IFS=';' read -ra list <<< "$exts"
  for e in "${list[@]}"; do [ -n "$e" ] && opts+=(-addext "$e"); done
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout k.pem -out c.pem -days "$days" \
    -set_serial "$serial" -utf8 -subj "$subj" "${opts[@]}" 2>/dev/null
  cat c.pem >> "$out"
}
self "/CN=pump-0001.ward3.example.org" 365 2 "subjectAltName=DNS:pump-0001.ward3.example.org,DNS:*.ward3.example.org"
self "/C=DE/ST=Bayern/L=Erlangen/O=Example Medical GmbH/OU=Imaging/CN=ct-01/emailAddress=biomed@example.org" 730 0x8f01020304 "subjectAltName=DNS:ct-01,IP:10.0.0.7"
self "/O=Acme, Inc./OU=R\\+D \"Lab\"/CN=a;b<c>d\\\\e" 30 255 ""
self "/CN=Überwachung Station 5/O=Klinikum Süd/OU=日本語" 365 3 "subjectAltName=DNS:monitor-5.example.org"
self "/DC=org/DC=example/UID=admin/CN=ldap" 365 4 ""
self "/serialNumber=SN-1234/title=Pump/street=1 Main St/postalCode=12345/GN=Ann/SN=Lee/CN=x" 365 5 ""
self "/jurisdictionC=US/businessCategory=Private Organization/organizationIdentifier=NTRUS-123/CN=ev.example.org" 365 6 ""
self "/CN=far-future" 18250 7 "subjectAltName=DNS:far.example.org"
self "/CN=multi+OU=valued" 365 8 ""
self "/name=an attribute type read by OpenSSL only/CN=odd" 365 9 ""
self "/CN=with-email-san" 365 10 "subjectAltName=DNS:a.example.org,email:biomed@example.org"
self "/CN=under_score.example.org" 365 11 "subjectAltName=DNS:under_score.example.org;basicConstraints=critical,CA:FALSE"
self "/CN= leading and trailing space /O=#hash" 365 12 ""

# string_mask=default: a non-Latin-1 value becomes a BMPString, a Latin-1 one a T61String (OpenSSL reads both).
printf '[req]\ndistinguished_name=dn\nstring_mask=default\n[dn]\n' > legacy.cnf
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout k.pem -out c.pem -days 365 -set_serial 13 \
  -config legacy.cnf -utf8 -subj "/CN=監視モニター/O=Légacy" 2>/dev/null
cat c.pem >> "$out"
# The same mask with ASCII values that PrintableString cannot hold (`*`, `&`): TeletexString, as old CAs wrote.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout k.pem -out c.pem -days 365 -set_serial 15 \
  -config legacy.cnf -subj "/CN=*.teletex.example/O=R&D Lab" 2>/dev/null
cat c.pem >> "$out"
# A leaf signed by the CA (issuer differs from subject), with DNS and IPv6 alternative names.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout k.pem -out r.csr -subj "/CN=leaf.example.org/O=Example" 2>/dev/null
printf 'subjectAltName=DNS:leaf.example.org,IP:2001:db8::1\n' > ext.cnf
openssl x509 -req -in r.csr -CA ca.pem -CAkey ca.key -set_serial 0x00ff -days 365 -extfile ext.cnf -out c.pem 2>/dev/null
cat c.pem >> "$out"
# A version 1 certificate (no extensions at all).
openssl x509 -req -in r.csr -CA ca.pem -CAkey ca.key -set_serial 14 -days 365 -out c.pem 2>/dev/null
cat c.pem >> "$out"
echo "wrote $(grep -c 'BEGIN CERTIFICATE' "$out") certificates to $out"
