#!/bin/sh
# Start: set passwords (POSTGRES_USER/POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE, the roles
# of SANDBOX_DB_ROLES "role=password ..." or SANDBOX_DB_ROLE_FILES "role=/file ...") in
# single-user mode, before the server accepts any TCP connection, then exec postgres.
set -eu
. /usr/local/lib/sandbox/file-env.sh  # file_env VAR: VAR from VAR_FILE (compose/images/file-env.sh)
. /usr/local/lib/sandbox/exporter.sh  # start_exporter USER CMD... (compose/images/exporter.sh)
if [ "${1:-postgres}" != postgres ]; then exec "$@"; fi
[ "$#" -gt 0 ] && shift
as_pg() { setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; }
quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/''/g")"; }

file_env POSTGRES_PASSWORD
user=${POSTGRES_USER:-postgres}
db=${POSTGRES_DB:-$user}
install -d -o postgres -g postgres -m 2775 /var/run/postgresql

sql=""
if [ "$user" != postgres ]; then
  sql="${sql}DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = $(quote "$user")) THEN CREATE ROLE \"$user\" SUPERUSER LOGIN; END IF; END \$\$;
"
fi
if [ -n "${POSTGRES_PASSWORD:-}" ]; then
  sql="${sql}ALTER ROLE \"$user\" PASSWORD $(quote "$POSTGRES_PASSWORD");
"
fi
for pair in ${SANDBOX_DB_ROLES:-}; do
  role=${pair%%=*}
  password=${pair#*=}
  [ -n "$role" ] && [ -n "$password" ] || continue
  sql="${sql}ALTER ROLE \"$role\" LOGIN PASSWORD $(quote "$password");
"
done
for pair in ${SANDBOX_DB_ROLE_FILES:-}; do
  role=${pair%%=*}
  file=${pair#*=}
  [ -r "$file" ] || { echo "error: the password file $file of role $role is not readable -- fix: mount the secret file" >&2; exit 1; }
  sql="${sql}ALTER ROLE \"$role\" LOGIN PASSWORD $(quote "$(cat "$file")");
"
done
if [ -n "$sql" ]; then
  out=$(printf '%s' "$sql" | as_pg postgres --single -D "$PGDATA" -j postgres 2>&1) || {
    echo "$out" >&2; exit 1; }
  if printf '%s' "$out" | grep -q 'ERROR'; then echo "$out" | grep -v PASSWORD >&2; exit 1; fi
fi
if [ "$db" != postgres ]; then
  # "already exists" is fine: the database may come from the image or an earlier start
  printf 'CREATE DATABASE "%s" OWNER "%s"\n' "$db" "$user" \
    | as_pg postgres --single -D "$PGDATA" postgres >/dev/null 2>&1 || true
fi
unset POSTGRES_PASSWORD
# Debian's exporter beside the server, on :9187 (docs/metrics-and-alerts.md): as the OS
# user prometheus, the role of that name by peer authentication on the local socket
# (pg_monitor, made by initdb.sh): it is given no password
start_exporter prometheus env DATA_SOURCE_NAME="host=/var/run/postgresql user=prometheus dbname=postgres sslmode=disable" \
  /usr/bin/prometheus-postgres-exporter --web.listen-address=:9187 --disable-settings-metrics --log.level=warn
exec setpriv --reuid=postgres --regid=postgres --init-groups -- postgres -D "$PGDATA" "$@"
