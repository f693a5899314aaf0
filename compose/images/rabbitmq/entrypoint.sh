#!/bin/bash
# Writes rabbitmq.conf and the boot definitions, then starts the broker as "rabbitmq".
#
# RabbitMQ does not create RABBITMQ_DEFAULT_USER when definitions are imported at boot,
# so the user (salted SHA-256 hash, RabbitMQ's format) and its permissions are added to
# /etc/rabbitmq/definitions.json here, into a copy under /run/rabbitmq.
set -euo pipefail
case "${1:-rabbitmq-server}" in *rabbitmq-server) ;; *) exec "$@" ;; esac
. /usr/local/lib/sandbox/file-env.sh  # file_env VAR: VAR from VAR_FILE (compose/images/file-env.sh)
file_env RABBITMQ_DEFAULT_PASS
user=${RABBITMQ_DEFAULT_USER:-guest}
pass=${RABBITMQ_DEFAULT_PASS:-guest}
vhost=${RABBITMQ_DEFAULT_VHOST:-/}
run=/run/rabbitmq
install -d -o rabbitmq -g rabbitmq -m 0750 "$run"

# base64(salt + sha256(salt + password)), salt = 4 random bytes
work=$(mktemp -d)
head -c 4 /dev/urandom > "$work/salt"
digest=$({ cat "$work/salt"; printf '%s' "$pass"; } | sha256sum | cut -d' ' -f1)
printf "$(printf '%s' "$digest" | sed 's/../\\x&/g')" > "$work/digest"
hash=$(cat "$work/salt" "$work/digest" | base64 -w0)
rm -rf "$work"

json() { printf '"%s"' "$(printf '%s' "$1" | sed 's/[\\"]/\\&/g')"; }
{
  printf '{"users": [{"name": %s, "password_hash": "%s", ' "$(json "$user")" "$hash"
  printf '"hashing_algorithm": "rabbit_password_hashing_sha256", "tags": ["administrator"]}],\n'
  printf ' "permissions": [{"user": %s, "vhost": %s, ' "$(json "$user")" "$(json "$vhost")"
  printf '"configure": ".*", "write": ".*", "read": ".*"}],\n'
  sed '0,/{/s/{//' /etc/rabbitmq/definitions.json
} > "$run/definitions.json"

cat > "$run/rabbitmq.conf" <<CONF
loopback_users = none
listeners.tcp.default = 5672
management.tcp.port = 15672
# rabbitmq_prometheus: /metrics (aggregated) and /metrics/per-object (by queue), no auth,
# on the private network only (docs/metrics-and-alerts.md)
prometheus.tcp.port = 15692
load_definitions = $run/definitions.json
log.console = true
log.console.level = info
log.file = false
CONF
chown rabbitmq:rabbitmq "$run/rabbitmq.conf" "$run/definitions.json"
chmod 0600 "$run/rabbitmq.conf" "$run/definitions.json"
# Erlang schedulers busy-wait by default: on a small shared machine that spin takes CPU
# from every other container starting beside the broker.
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="${RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS:-+sbwt none +sbwtdcpu none +sbwtdio none}"
unset RABBITMQ_DEFAULT_PASS
exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups -- "$@"
