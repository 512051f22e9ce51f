# attnserve images, one file, two targets (docs/deploy.md):
#   docker build --target cpu  -t attnserve:0.1.0-cpu  .   (also the default: see the last stage)
#   docker build --target cuda -t attnserve:0.1.0-cuda .
# Both build in a Debian 12 stage and run on Debian 12, so the runtime has exactly the gRPC 1.51,
# protobuf 3.21 and Abseil 20220623 shared libraries the binaries were linked against. The cuda
# target adds NVIDIA's CUDA runtime from NVIDIA's Debian 12 repository rather than starting FROM
# nvidia/cuda: those images are Ubuntu or RHEL based and carry other gRPC, protobuf and Abseil
# versions. Works with the legacy builder (DOCKER_BUILDKIT=0); no BuildKit-only syntax.

ARG DEBIAN_IMAGE=debian:bookworm-slim
ARG FLAVOR=cpu

# ---------------------------------------------------------------------------------------------
FROM ${DEBIAN_IMAGE} AS build
ARG BUILD_JOBS=2
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      cmake ninja-build g++ pkg-config libssl-dev \
      libgrpc++-dev libgrpc-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler \
      libabsl-dev prometheus-cpp-dev libcivetweb-dev nlohmann-json3-dev libyaml-cpp-dev libhwy-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Only what the binaries are built from, so that a change elsewhere (docs, tests) keeps the
# build layer cached.
COPY CMakeLists.txt ./
COPY proto proto
COPY kernels kernels
COPY server server
COPY client client
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DATTNSERVE_BUILD_TESTS=OFF \
 && cmake --build /build --parallel "${BUILD_JOBS}" --target attnserve attnctl \
 && install -D -m 0755 /build/server/attnserve /out/usr/local/bin/attnserve \
 && install -D -m 0755 /build/client/attnctl /out/usr/local/bin/attnctl
COPY deploy/docker/entrypoint.sh /out/usr/local/bin/attnserve-entrypoint
COPY deploy/docker/healthcheck.sh /out/usr/local/bin/attnserve-healthcheck

# ---------------------------------------------------------------------------------------------
# What both runtime images share: the shared libraries `ldd` lists for attnserve and attnctl
# (as Debian packages), a non-root user, the binaries, ports, health check and entrypoint.
FROM ${DEBIAN_IMAGE} AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG SOURCE=https://example.invalid/attnserve
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libgrpc++1.51 libgrpc29 libprotobuf32 libabsl20220623 libc-ares2 libre2-9 libssl3 \
      libprometheus-cpp-core1.0 libprometheus-cpp-pull1.0 libcivetweb1 libyaml-cpp0.7 libhwy1 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin attnserve
COPY --from=build /out/ /
LABEL org.opencontainers.image.title="attnserve" \
      org.opencontainers.image.description="Transformer attention with position encodings over gRPC" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="NOASSERTION"
# Every ATTNSERVE_<FLAG> variable becomes --<flag> (deploy/docker/entrypoint.sh).
ENV ATTNSERVE_HOST=0.0.0.0 \
    ATTNSERVE_PORT=50051 \
    ATTNSERVE_METRICS_PORT=9464 \
    ATTNSERVE_SHUTDOWN_GRACE_SECONDS=10
EXPOSE 50051 9464
USER 10001:10001
HEALTHCHECK --interval=10s --timeout=4s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/attnserve-healthcheck"]
ENTRYPOINT ["/usr/local/bin/attnserve-entrypoint"]

# ---------------------------------------------------------------------------------------------
# CPU image. Before the cuda stage: the legacy builder runs every stage up to its --target, so
# `--target cpu` never needs NVIDIA's repository.
FROM runtime AS cpu

# ---------------------------------------------------------------------------------------------
# GPU image: the CUDA runtime libraries from NVIDIA's Debian 12 repository (the keyring package
# is fetched over HTTPS, so the build needs that network). The host provides the driver
# (NVIDIA Container Toolkit: docker run --gpus all). Not built on the CI machine: no NVIDIA
# repository is reachable there (docs/deploy.md says what was checked).
FROM runtime AS cuda
USER root
ARG CUDA_REPO=https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates curl \
 && curl -fsSLo /tmp/cuda-keyring.deb "${CUDA_REPO}/cuda-keyring_1.1-1_all.deb" \
 && dpkg -i /tmp/cuda-keyring.deb && rm /tmp/cuda-keyring.deb \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      cuda-cudart-13-0 libcublas-13-0 \
 && apt-get purge -y curl && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*
ENV NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility
USER 10001:10001

# ---------------------------------------------------------------------------------------------
# `docker build .` without --target: the cpu image, or the cuda one with --build-arg
# FLAVOR=cuda. (BuildKit builds only the stages this one needs; the legacy builder builds every
# stage, cuda included, so there use --target.)
FROM ${FLAVOR} AS default
