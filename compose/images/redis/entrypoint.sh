#!/bin/sh
# Writes the config (the password, REDIS_PASSWORD or REDIS_PASSWORD_FILE, stays out of the
# process list) and runs redis as "redis", with Debian's exporter beside it on :9121.
set -eu
if [ "${1:-redis-server}" != redis-server ]; then exec "$@"; fi
[ "$#" -gt 0 ] && shift
. /usr/local/lib/sandbox/file-env.sh  # file_env VAR: VAR from VAR_FILE (compose/images/file-env.sh)
. /usr/local/lib/sandbox/exporter.sh  # start_exporter USER CMD... (compose/images/exporter.sh)
file_env REDIS_PASSWORD
conf=/run/redis/redis.conf
install -d -o redis -g redis -m 0750 /run/redis
{
  echo "bind 0.0.0.0 -::*"
  echo "port 6379"
  echo "protected-mode no"
  echo "save \"\""
  echo "appendonly no"
  echo "dir /run/redis"
  echo "loglevel notice"
  echo "logfile \"\""
  if [ -n "${REDIS_PASSWORD:-}" ]; then
    printf 'requirepass "%s"\n' "$(printf '%s' "$REDIS_PASSWORD" | sed 's/["\\]/\\&/g')"
  fi
} > "$conf"
chown redis:redis "$conf"
chmod 0600 "$conf"
# the exporter reads the password from a file of its own (-redis.password-file: JSON, the
# address -> its password), never from its environment or command line
addr=redis://127.0.0.1:6379
install -d -o prometheus -g prometheus -m 0700 /run/redis-exporter
pwfile=/run/redis-exporter/passwords.json
json() { printf '"%s"' "$(printf '%s' "$1" | sed 's/[\\"]/\\&/g')"; }
printf '{%s: %s}\n' "$(json "$addr")" "$(json "${REDIS_PASSWORD:-}")" > "$pwfile"
chown prometheus:prometheus "$pwfile"
chmod 0600 "$pwfile"
unset REDIS_PASSWORD
start_exporter prometheus /usr/bin/prometheus-redis-exporter -redis.addr "$addr" \
  -redis.password-file "$pwfile" -web.listen-address :9121 -log-format txt
exec setpriv --reuid=redis --regid=redis --init-groups -- redis-server "$conf" "$@"
