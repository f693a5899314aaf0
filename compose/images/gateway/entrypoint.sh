#!/bin/sh
# Renders /etc/sandbox/nginx/gateway.conf.template (only ${PRIVATE_SUBNET} and the
# ${<SERVICE>_UPSTREAM} addresses are replaced) and runs nginx in the foreground with
# /etc/sandbox/nginx/nginx.conf. An upstream left unset is the service itself (no proxy).
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
fi
if [ -f "$dir/nginx.conf" ]; then
  exec nginx -c "$dir/nginx.conf" "$@"
fi
exec nginx -g 'daemon off;' "$@"
