# The official Toxiproxy server and CLI from their release binaries (no registry needed):
# the same paths and entrypoint as the official image, on the project's toxiproxy image so
# that readiness probes and the runtime's POST /populate find a shell and curl.
# Built by `sandbox images official-toxiproxy DIR` (DIR holds toxiproxy-server and
# toxiproxy-cli); selected with SANDBOX_IMAGE_TOXIPROXY.
ARG FROM_IMAGE
FROM ${FROM_IMAGE}
COPY toxiproxy-server /toxiproxy
COPY toxiproxy-cli /toxiproxy-cli
ENTRYPOINT ["/toxiproxy"]
CMD ["-host=0.0.0.0"]
