#!/bin/sh
# Writes the config (the password stays out of the process list) and runs redis as "redis".
set -eu
if [ "${1:-redis-server}" != redis-server ]; then exec "$@"; fi
[ "$#" -gt 0 ] && shift
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
exec setpriv --reuid=redis --regid=redis --init-groups -- redis-server "$conf" "$@"
