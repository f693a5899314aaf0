#!/bin/bash
# Build time: boot the node once, so that its database (Mnesia schema, feature flags) is
# in the image and every start skips the first-boot work (seconds of CPU). The node name
# is fixed (rabbit@localhost) so that the data fits whatever hostname a container gets.
# No user survives: the one made at first boot is deleted; users come from the
# definitions written at start. The Erlang cookie is removed: each start makes its own.
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
as_rabbit rabbitmqctl stop >/dev/null
wait "$server" || true
epmd -kill >/dev/null 2>&1 || true
rm -rf /run/rabbitmq /var/lib/rabbitmq/.erlang.cookie
test -d /var/lib/rabbitmq/mnesia/rabbit@localhost
