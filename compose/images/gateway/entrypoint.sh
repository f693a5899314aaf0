#!/bin/sh
# Renders /etc/sandbox/nginx/gateway.conf.template (only ${PRIVATE_SUBNET} is replaced)
# and runs nginx in the foreground with /etc/sandbox/nginx/nginx.conf.
set -eu
if [ "${1:-nginx}" != nginx ]; then exec "$@"; fi
[ "$#" -gt 0 ] && shift
dir=/etc/sandbox/nginx
if [ -f "$dir/gateway.conf.template" ]; then
  : "${PRIVATE_SUBNET:?PRIVATE_SUBNET must be set (the private network's CIDR)}"
  envsubst '${PRIVATE_SUBNET}' < "$dir/gateway.conf.template" > "$dir/gateway.conf"
fi
if [ -f "$dir/nginx.conf" ]; then
  exec nginx -c "$dir/nginx.conf" "$@"
fi
exec nginx -g 'daemon off;' "$@"
