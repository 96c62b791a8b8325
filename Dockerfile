# gatewarden container image: the same binary `./dev.sh` builds, on Debian 12.
#
#   docker build -t gatewarden:0.1.0 .
#
# Not built or tested in this repository's CI: the development machine has no
# container registry access (debian:12-slim cannot be pulled there). What is tested is
# the build itself (the same CMake build, `./dev.sh test`) and the manifests that run
# the image (tests/manifests). Treat this file as the recipe, and check the result
# with `docker run --rm gatewarden:0.1.0 version`.
#
# The eBPF datapath's build generates vmlinux.h from the build host's
# /sys/kernel/btf/vmlinux (CO-RE: the programs adapt to the node's kernel at load
# time); BuildKit exposes the host's /sys to RUN steps. Pass
# --build-arg GW_BTF_FILE=/path/to/vmlinux to use another BTF file.

FROM debian:12-slim AS build
ARG GW_BTF_FILE=/sys/kernel/btf/vmlinux
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config \
      libyaml-dev libjansson-dev libssl-dev libmicrohttpd-dev libgnutls28-dev \
      libcurl4-openssl-dev libbpf-dev libelf-dev zlib1g-dev \
      clang llvm bpftool \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN rm -rf build* \
 && cmake -S . -B /build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGW_TESTS=OFF -DGW_BTF_FILE=${GW_BTF_FILE} \
 && cmake --build /build -j"$(nproc)" --target gatewarden \
 && strip --strip-debug -o /gatewarden /build/cli/gatewarden

FROM debian:12-slim
# only the shared libraries the binary links (check with `ldd /usr/local/bin/gatewarden`)
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libyaml-0-2 libjansson4 libssl3 libmicrohttpd12 libgnutls30 libcurl4 libbpf1 libelf1 zlib1g \
 && rm -rf /var/lib/apt/lists/* /var/cache/debconf/*-old /var/log/*
COPY --from=build /gatewarden /usr/local/bin/gatewarden
COPY policies /usr/share/gatewarden/policies
# non-root (the "nonroot" UID of distroless images); the datapath DaemonSet alone runs
# as UID 0 with CAP_BPF and CAP_NET_ADMIN (manifests/components/datapath)
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/gatewarden"]
CMD ["--help"]
