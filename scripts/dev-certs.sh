#!/bin/sh
# A private CA and a certificate for the console, for trials and docker compose (never for
# production: use your CA or cert-manager). Needs openssl.
#
#   scripts/dev-certs.sh [DIR] [EXTRA_DNS_NAME...]      DIR defaults to .data/tls
#
# Writes DIR/ca.crt, ca.key, console.crt, console.key. The console certificate is valid for
# localhost, 127.0.0.1, ::1, "console" (the compose service) and every extra name given.
# Console:  SWITCHYARD_TLS_CERT=DIR/console.crt SWITCHYARD_TLS_KEY=DIR/console.key
# Proxies:  --control-plane wss://HOST:3000/api/xds --control-plane-ca DIR/ca.crt
set -eu
dir=${1:-.data/tls}
[ $# -gt 0 ] && shift
mkdir -p "$dir"
chmod 755 "$dir"   # the containers (uid 1000) enter it; the keys themselves are 0600
umask 077
sans="DNS:localhost,IP:127.0.0.1,IP:::1,DNS:console"
for name in "$@"; do sans="$sans,DNS:$name"; done
if [ ! -f "$dir/ca.key" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825 \
    -subj "/CN=Switchyard dev CA" -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
fi
printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' "$sans" > "$dir/console.ext"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=switchyard-console" \
  -keyout "$dir/console.key" -out "$dir/console.csr" 2>/dev/null
openssl x509 -req -in "$dir/console.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 825 \
  -extfile "$dir/console.ext" -out "$dir/console.crt" 2>/dev/null
rm -f "$dir/console.csr" "$dir/console.ext"
chmod 644 "$dir/ca.crt" "$dir/console.crt"
# The images run as the node user (uid 1000): it must read the key it serves with.
if [ "$(id -u)" = 0 ]; then chown 1000:1000 "$dir/console.key"; fi
echo "wrote $dir/ca.crt and $dir/console.crt (SANs: $sans)"
