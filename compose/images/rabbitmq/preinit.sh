#!/bin/bash
# Build time: boot the node once, so that its database (Mnesia schema, feature flags) is
# in the image and every start skips the first-boot work (seconds of CPU). The node name
# is fixed (rabbit@localhost) so that the data fits whatever hostname a container gets.
# No user survives: the one made at first boot is deleted; users come from the
# definitions written at start. The Erlang cookie is removed: each start makes its own.
# The plugin folders that the booted node did not load are removed: an Erlang node in
# interactive mode looks for each module it loads in every folder of its code path in
# turn, and Debian's RabbitMQ puts all of its ~90 plugins there. With only the loaded
# ones, a boot takes a quarter less CPU (docs/benchmarks.md, "Startup"). To enable one
# more plugin, add it to `rabbitmq-plugins enable` in the Dockerfile: it is loaded here,
# so it stays.
set -euo pipefail
as_rabbit() { setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups -- "$@"; }
install -d -o rabbitmq -g rabbitmq -m 0750 /run/rabbitmq
printf 'listeners.tcp.default = 5672\nlog.console = true\nlog.console.level = warning\nlog.file = false\n' \
  > /run/rabbitmq/rabbitmq.conf
chown rabbitmq:rabbitmq /run/rabbitmq/rabbitmq.conf
export RABBITMQ_PID_FILE=/run/rabbitmq/preinit.pid
as_rabbit /usr/lib/rabbitmq/bin/rabbitmq-server &
server=$!
as_rabbit rabbitmqctl --timeout 120 wait "$RABBITMQ_PID_FILE" >/dev/null
as_rabbit rabbitmqctl delete_user guest >/dev/null
loaded=$(as_rabbit rabbitmqctl eval '[element(1, A) || A <- application:loaded_applications()].' \
  | tr -d '[] \n' | tr ',' '\n')
as_rabbit rabbitmqctl stop >/dev/null
wait "$server" || true
grep -qx rabbitmq_management <<<"$loaded"  # the list was read: never prune on an empty one
plugins=$(ls -d /usr/lib/rabbitmq/lib/rabbitmq_server-*/plugins)
kept=0 removed=0
for dir in "$plugins"/*/; do
  app=$(basename "$dir"); app=${app%-*}  # rabbitmq_management-3.10.8 -> rabbitmq_management
  if grep -qx "$app" <<<"$loaded"; then kept=$((kept + 1)); else rm -rf "$dir"; removed=$((removed + 1)); fi
done
echo "plugins: kept $kept loaded at boot, removed $removed" >&2
epmd -kill >/dev/null 2>&1 || true
rm -rf /run/rabbitmq /var/lib/rabbitmq/.erlang.cookie
test -d /var/lib/rabbitmq/mnesia/rabbit@localhost
