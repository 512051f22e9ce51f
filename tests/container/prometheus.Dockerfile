# The compose test's stand-in for prom/prometheus (no registry is reachable here): Debian's
# prometheus package on the debootstrapped base the test imports as debian:bookworm-slim.
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus \
 && rm -rf /var/lib/apt/lists/*
USER prometheus
ENTRYPOINT ["/usr/bin/prometheus"]
