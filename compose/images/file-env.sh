# Sourced by the infrastructure images' entrypoints (postgres, rabbitmq, redis); each of
# those recipes adds this file to its build context (recipe.toml) and copies it to
# /usr/local/lib/sandbox/file-env.sh.
#
# VAR_FILE names a file holding VAR's value (as the official images do); never both
file_env() {
  eval "_value=\${$1:-}" ; eval "_file=\${$1_FILE:-}"
  if [ -n "$_value" ] && [ -n "$_file" ]; then echo "error: both $1 and $1_FILE are set -- fix: set one" >&2; exit 1; fi
  if [ -n "$_file" ]; then
    [ -r "$_file" ] || { echo "error: $1_FILE=$_file is not readable -- fix: mount the secret file" >&2; exit 1; }
    eval "export $1=\"\$(cat \"\$_file\")\""
  fi
  unset "$1_FILE" 2>/dev/null || true
}
