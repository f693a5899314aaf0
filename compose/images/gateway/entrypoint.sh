#!/bin/sh
# Renders /etc/sandbox/nginx/gateway.conf.template (only ${PRIVATE_SUBNET} and the
# ${<SERVICE>_UPSTREAM} addresses are replaced) and runs nginx in the foreground with
# /etc/sandbox/nginx/nginx.conf. An upstream left unset is the service itself (no proxy).
# Beside nginx: Debian's NGINX exporter, which reads the stub_status of the template's
# metrics server (port 9113; that server also serves the exporter's /metrics).
set -eu
if [ "${1:-nginx}" != nginx ]; then exec "$@"; fi
[ "$#" -gt 0 ] && shift
dir=/etc/sandbox/nginx
: "${AUTH_UPSTREAM:=auth:8000}" "${MONOLITH_UPSTREAM:=monolith:8000}"
: "${CATALOG_UPSTREAM:=catalog:8000}" "${PAYMENTS_UPSTREAM:=payments:8000}"
: "${WEBHOOKS_UPSTREAM:=webhooks:8000}"
export AUTH_UPSTREAM MONOLITH_UPSTREAM CATALOG_UPSTREAM PAYMENTS_UPSTREAM WEBHOOKS_UPSTREAM
if [ -f "$dir/gateway.conf.template" ]; then
  : "${PRIVATE_SUBNET:?PRIVATE_SUBNET must be set (the private network's CIDR)}"
  envsubst '${PRIVATE_SUBNET} ${AUTH_UPSTREAM} ${MONOLITH_UPSTREAM} ${CATALOG_UPSTREAM} ${PAYMENTS_UPSTREAM} ${WEBHOOKS_UPSTREAM}' \
    < "$dir/gateway.conf.template" > "$dir/gateway.conf"
  . /usr/local/lib/sandbox/exporter.sh  # start_exporter USER CMD... (compose/images/exporter.sh)
  start_exporter prometheus /usr/bin/prometheus-nginx-exporter \
    -nginx.scrape-uri http://127.0.0.1:9113/stub_status -web.listen-address 127.0.0.1:9114 \
    -nginx.retries 30 -nginx.retry-interval 1s
fi
mkdir -p /dev/shm/nginx  # its caches (gateway.conf.template): nginx makes only their last level
if [ -f "$dir/nginx.conf" ]; then
  exec nginx -c "$dir/nginx.conf" "$@"
fi
exec nginx -g 'daemon off;' "$@"
