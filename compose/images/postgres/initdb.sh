#!/bin/sh
# Build time: one cluster, the service roles, <service>_<env> databases with schema + seed.
# Usage: initdb.sh <context dir holding services/<service>/{schema,seed}.sql>
set -eu
CONTEXT=$1
ROLES="auth monolith catalog payments webhooks"
ENVS="dev test production"
as_pg() { setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; }

install -d -o postgres -g postgres -m 0700 "$PGDATA"
install -d -o postgres -g postgres -m 2775 /var/run/postgresql
as_pg initdb -D "$PGDATA" -U postgres --encoding=UTF8 --locale=C.UTF-8 \
  --auth-local=trust --auth-host=scram-sha-256 >/dev/null

cat >> "$PGDATA/postgresql.conf" <<'CONF'
# --- sandbox: small, quick to start, reachable on the private network -----------------
listen_addresses = '*'
unix_socket_directories = '/var/run/postgresql'
max_connections = 200
shared_buffers = 32MB
effective_cache_size = 128MB
work_mem = 2MB
maintenance_work_mem = 32MB
wal_level = minimal
max_wal_senders = 0
wal_buffers = 1MB
jit = off
min_wal_size = 32MB
max_wal_size = 256MB
checkpoint_timeout = 15min
password_encryption = scram-sha-256
logging_collector = off
log_destination = 'stderr'
log_line_prefix = '%m [%p] %q%u@%d '
log_timezone = 'UTC'
timezone = 'UTC'
CONF
cat > "$PGDATA/pg_hba.conf" <<'HBA'
# local socket: trust for postgres only (health checks, admin); the exporter's role by the
# OS user's name (peer); everyone else by password
local   all   postgres                 trust
local   all   prometheus               peer
local   all   all                      scram-sha-256
host    all   all       0.0.0.0/0      scram-sha-256
host    all   all       ::/0           scram-sha-256
HBA

as_pg pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w -s start
psql_pg() { as_pg psql -X -q -v ON_ERROR_STOP=1 -h /var/run/postgresql -U postgres "$@"; }
# the exporter's role (entrypoint.sh): reads statistics, owns nothing, no password
psql_pg -d postgres -c "CREATE ROLE prometheus LOGIN IN ROLE pg_monitor"
for role in $ROLES; do
  psql_pg -d postgres -c "CREATE ROLE \"$role\" LOGIN"
  for env in $ENVS; do
    db="${role}_${env}"
    psql_pg -d postgres -c "CREATE DATABASE \"$db\" OWNER \"$role\" STRATEGY FILE_COPY"
    psql_pg -d "$db" -c "REVOKE ALL ON DATABASE \"$db\" FROM PUBLIC"
    for sql in platform/schema "$role/schema" "$role/seed"; do
      file="$CONTEXT/services/$sql.sql"
      if [ -f "$file" ]; then
        # as the service's role, so that it owns its tables
        psql_pg -d "$db" -1 -c "SET ROLE \"$role\"" -f "$file" >/dev/null
        echo "applied services/$sql.sql to $db"
      fi
    done
  done
done
psql_pg -d postgres -c "CHECKPOINT"
as_pg pg_ctl -D "$PGDATA" -m fast -w -s stop
du -sh "$PGDATA" "$PGDATA/pg_wal"
