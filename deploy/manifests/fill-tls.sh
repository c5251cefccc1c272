#!/usr/bin/env bash
# Fill the TLS placeholders of podid.yaml with a fresh CA and serving certificates (openssl, EC P-256)
# and print the result, ready for `kubectl apply -f -`:
#   deploy/manifests/fill-tls.sh deploy/manifests/podid.yaml [CERT_DIR] | kubectl apply -f -
# The CA, certificates and keys stay in CERT_DIR (default: a new temporary directory, named on
# stderr); keep ca.crt/ca.key to re-issue, or switch to the Helm chart with cert-manager.
# Only the five ${PODID_...} variables are substituted (the agent's init script has its own $vars).
set -euo pipefail
manifest=${1:?usage: fill-tls.sh podid.yaml [CERT_DIR]}
dir=${2:-$(mktemp -d)}
namespace=${PODID_NAMESPACE:-podid}
days=${PODID_TLS_DAYS:-3650}
mkdir -p "$dir"
umask 077
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days "$days" \
  -subj /CN=podid-ca -keyout "$dir/ca.key" -out "$dir/ca.crt" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
for c in webhook broker; do
  svc=podid-$c
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$svc.$namespace.svc" \
    -keyout "$dir/$c.key" -out "$dir/$c.csr" 2>/dev/null
  printf 'subjectAltName=DNS:%s,DNS:%s.%s,DNS:%s.%s.svc,DNS:%s.%s.svc.cluster.local\nextendedKeyUsage=serverAuth\nbasicConstraints=critical,CA:FALSE\n' \
    "$svc" "$svc" "$namespace" "$svc" "$namespace" "$svc" "$namespace" > "$dir/$c.ext"
  openssl x509 -req -in "$dir/$c.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
    -days "$days" -extfile "$dir/$c.ext" -out "$dir/$c.crt" 2>/dev/null
done
b64() { base64 -w0 < "$1"; }
PODID_CA_CRT=$(b64 "$dir/ca.crt") PODID_WEBHOOK_TLS_CRT=$(b64 "$dir/webhook.crt") \
PODID_WEBHOOK_TLS_KEY=$(b64 "$dir/webhook.key") PODID_BROKER_TLS_CRT=$(b64 "$dir/broker.crt") \
PODID_BROKER_TLS_KEY=$(b64 "$dir/broker.key") \
  envsubst '${PODID_CA_CRT} ${PODID_WEBHOOK_TLS_CRT} ${PODID_WEBHOOK_TLS_KEY} ${PODID_BROKER_TLS_CRT} ${PODID_BROKER_TLS_KEY}' \
  < "$manifest"
echo "fill-tls.sh: CA and certificates in $dir" >&2
