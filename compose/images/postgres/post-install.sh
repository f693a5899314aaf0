# The package creates a cluster "main"; the image makes its own at build time instead.
pg_dropcluster 15 main 2>/dev/null || true
rm -rf /var/lib/postgresql/15 /etc/postgresql/15
# JIT is off (jit = off in postgresql.conf): drop the LLVM JIT provider and LLVM (~100 MB).
rm -f /usr/lib/postgresql/15/lib/llvmjit*.so /usr/lib/x86_64-linux-gnu/libLLVM-*.so*
rm -rf /usr/lib/postgresql/15/lib/bitcode
