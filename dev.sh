#!/usr/bin/env bash
# dev.sh: the project's two entry points on a fresh Debian 12 machine.
#   ./dev.sh demo   build, then run the main job on the bundled default (examples/guide)
#   ./dev.sh test   build (normal and ASan+UBSan) and run every test with ctest
# Each installs the Debian packages it needs when they are missing.
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(build-essential cmake pkg-config libyaml-dev libjansson-dev libcmocka-dev libssl-dev python3
	libmicrohttpd-dev libgnutls28-dev libcurl4-openssl-dev libbpf-dev libelf-dev zlib1g-dev
	clang llvm bpftool iproute2 openssl curl)
JOBS=$(nproc 2>/dev/null || echo 2)

ensure_packages() {
	local missing=() p
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	((${#missing[@]} == 0)) && return 0
	echo "dev.sh: installing ${missing[*]}" >&2
	local sudo=()
	[[ $(id -u) -eq 0 ]] || sudo=(sudo)
	"${sudo[@]}" apt-get update -qq
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
}

build() { # build DIR [cmake args...]
	local dir=$1
	shift
	cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
	cmake --build "$dir" -j"$JOBS"
}

case "${1:-}" in
demo)
	ensure_packages
	build build
	echo "+ gatewarden check --var domain_name=cloud.ogenki.io examples/guide" >&2
	exec ./build/cli/gatewarden check --var domain_name=cloud.ogenki.io examples/guide
	;;
test)
	ensure_packages
	build build
	build build-asan -DGW_SANITIZE=ON
	export ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	ctest --test-dir build --output-on-failure -j"$JOBS"
	GW_SANITIZED=1 ctest --test-dir build-asan --output-on-failure -j"$JOBS"
	;;
*)
	echo "usage: ./dev.sh demo|test" >&2
	exit 2
	;;
esac
