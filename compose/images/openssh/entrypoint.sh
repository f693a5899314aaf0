#!/bin/sh
# Start: fresh host keys, authorized_keys from SSH_AUTHORIZED_KEYS (newline or ';' separated).
set -eu
# one ed25519 host key: milliseconds, where `ssh-keygen -A` (RSA 3072 too) takes seconds
rm -f /etc/ssh/ssh_host_ed25519_key /etc/ssh/ssh_host_ed25519_key.pub
ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key
install -d -m 0755 /run/sshd
keys=/home/sandbox/.ssh/authorized_keys
printf '%s\n' "${SSH_AUTHORIZED_KEYS:-}" | tr ';' '\n' | sed 's/^[[:space:]]*//; /^$/d' > "$keys"
chown sandbox:sandbox "$keys"
chmod 0600 "$keys"
exec "$@"
