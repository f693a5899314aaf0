#!/bin/sh
# Start: fresh host keys, authorized_keys from SSH_AUTHORIZED_KEYS (newline or ';' separated).
set -eu
ssh-keygen -A >/dev/null
install -d -m 0755 /run/sshd
keys=/home/sandbox/.ssh/authorized_keys
printf '%s\n' "${SSH_AUTHORIZED_KEYS:-}" | tr ';' '\n' | sed 's/^[[:space:]]*//; /^$/d' > "$keys"
chown sandbox:sandbox "$keys"
chmod 0600 "$keys"
exec "$@"
