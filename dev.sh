#!/usr/bin/env bash
# dev.sh: the project's two entry points on a fresh Debian 12 machine.
#   ./dev.sh demo   build, then run the main job, the admission webhook, on the bundled default
#                   (examples/guide as the cluster, a development certificate) on 127.0.0.1:8443
#   ./dev.sh test   build (normal, ASan+UBSan, TSan) and run every test: ctest in the
#                   first two, check's, serve's and reconcile's threads under ThreadSanitizer in the third
# Each installs the Debian packages it needs when they are missing.
set -euo pipefail
cd "$(dirname "$0")"

. cmake/packages.sh
JOBS=$(nproc 2>/dev/null || echo 2)

build() { # build DIR [cmake args...]
	local dir=$1
	shift
	cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
	cmake --build "$dir" -j"$JOBS"
}

case "${1:-}" in
demo)
	gw_ensure_packages "${GW_PACKAGES[@]}"
	build build
	certs=build/dev-certs
	if [[ ! -f $certs/tls.crt ]]; then
		./build/cli/gatewarden certs generate --out "$certs" --dns localhost --ip 127.0.0.1 --days 30
	fi
	policy=()
	policy=(--policy policies/presets)
	cat >&2 <<MSG
+ gatewarden serve on https://127.0.0.1:8443 (development certificate in $certs/)
  cluster view: examples/cluster-state and the Cilium guide's manifests (examples/guide)
  try, from another terminal:
    curl -s --cacert $certs/ca.crt -H 'Content-Type: application/json' \\
      --data-binary @examples/admission/httproute-wrong-hostname.json https://localhost:8443/validate
  (more reviews in examples/admission/; Ctrl-C stops the server)
MSG
	exec ./build/cli/gatewarden serve --listen 127.0.0.1:8443 --tls-cert "$certs/tls.crt" --tls-key "$certs/tls.key" \
		--state examples/cluster-state --state examples/guide --var domain_name=cloud.ogenki.io "${policy[@]}"
	;;
test)
	gw_ensure_packages "${GW_PACKAGES[@]}"
	build build
	build build-asan -DGW_SANITIZE=ON
	build build-tsan -DGW_TSAN=ON -DGW_TESTS=OFF
	export ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	ctest --test-dir build --output-on-failure -j"$JOBS"
	GW_SANITIZED=1 ctest --test-dir build-asan --output-on-failure -j"$JOBS"
	(cd tests && bash cli/threads.sh ../build-tsan/cli/gatewarden)
	;;
*)
	echo "usage: ./dev.sh demo|test" >&2
	exit 2
	;;
esac
