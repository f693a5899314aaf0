# Sourced by the entrypoints of the images whose server has a Debian Prometheus exporter
# beside it (postgres, redis, gateway: docs/metrics-and-alerts.md); each of those recipes
# adds this file to its build context (recipe.toml) and copies it to
# /usr/local/lib/sandbox/exporter.sh.
#
# start_exporter USER CMD [ARG...]: runs CMD as USER in the background, again 1 s after
# it exits, its output on the container's stderr. Call it after every secret variable is
# unset (the exporter inherits the environment) and right before exec-ing the server.
#
# The loop never exits on its own, and that matters: once the entrypoint execs the
# server, the loop is the server's child, and PostgreSQL's postmaster takes any child that
# exits with a status other than 0 or 1 for a crashed backend (it would end every session).
start_exporter() {
  _exporter_user=$1
  shift
  (
    while :; do
      setpriv --reuid="$_exporter_user" --regid="$_exporter_user" --init-groups -- "$@" || true
      sleep 1
    done
  ) </dev/null >&2 &
}
