#!/usr/bin/env bash
# tests/fuzz/run.sh TARGET SRC_DIR WORK_DIR [RUNS]: build one of the libFuzzer targets
# with clang, AddressSanitizer and UndefinedBehaviorSanitizer, then run it RUNS times
# from its seeds in tests/fuzz/corpus_TARGET/ with a fixed seed, so a run is
# repeatable. TARGET (default RUNS) is
#   jparse (100000)   fuzz_jparse.c: core/jparse.c against jansson's loader
#   regex (600000)    fuzz_regex.cc: core/regex.c against RE2 (libre2-dev)
#   jpatch (600000)   fuzz_jpatch.c: core/jpatch.c's diff applied gives its target
#   tlsinfo (30000)   fuzz_tlsinfo.c: certs/tlsinfo.c on mutated certificates and keys
#   review (20000)    fuzz_review.c: the webhook's review of mutated AdmissionReviews
#   check (5000)      fuzz_check.c: `gatewarden check` on mutated clusters
#   kubeconfig (20000) fuzz_kubeconfig.c: reconciler/kubeconfig.c on mutated files
# about 20 s each on 2 CPUs; review, check and kubeconfig first build the project's
# libraries with clang's coverage in WORK_DIR (about 15 s). It fails on any difference
# or complaint of the target and on any sanitizer report; the input that failed is left
# in WORK_DIR (crash-*). Without clang or RE2 it skips (exit 77), except under CI,
# where a test that cannot run fails.
set -euo pipefail
target=$1
src=$(cd "$2" && pwd)
work=$3
runs=${4:-}
sans=address,undefined
flags=(-g -O1 -fno-sanitize-recover=undefined -Wall -Wextra -Werror)

missing() {
	echo "run.sh: $1 missing (apt-get install $2)" >&2
	[[ -n ${CI:-} ]] && exit 1
	exit 77
}
cc=$(command -v clang-14 || command -v clang || true)
cxx=$(command -v clang++-14 || command -v clang++ || true)
[[ -n $cc && -n $cxx ]] || missing clang "clang libclang-rt-14-dev"
rm -rf "$work"
mkdir -p "$work/corpus"
extra=()
cp "$src/tests/fuzz/corpus_$target"/* "$work/corpus/"
case $target in
jparse)
	# shellcheck disable=SC2046 # pkg-config's flags, one word each
	"$cc" "${flags[@]}" -fsanitize=fuzzer,$sans -I"$src/core" "$src/tests/fuzz/fuzz_jparse.c" "$src/core/jparse.c" "$src/core/err.c" \
		$(pkg-config --cflags --libs jansson) -o "$work/fuzz"
	maxlen=16384
	runs=${runs:-100000}
	;;
jpatch)
	# shellcheck disable=SC2046
	"$cc" "${flags[@]}" -fsanitize=fuzzer,$sans -I"$src/core" "$src/tests/fuzz/fuzz_jpatch.c" "$src/core/jpatch.c" \
		"$src/core/jcopy.c" "$src/core/err.c" $(pkg-config --cflags --libs jansson) -o "$work/fuzz"
	maxlen=2048
	runs=${runs:-600000}
	;;
review | check | kubeconfig)
	cmake -S "$src" -B "$work/build" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=Debug -DGW_TESTS=OFF \
		-DCMAKE_C_FLAGS="-O1 -g -fsanitize=fuzzer-no-link,$sans -fno-sanitize-recover=undefined" >/dev/null
	cmake --build "$work/build" -j"$(nproc)" --target gw_webhook gw_kube gw_io gw_common gw_certs gw_core >/dev/null
	b=$work/build
	# shellcheck disable=SC2046
	"$cc" "${flags[@]}" -fsanitize=fuzzer,$sans -I"$src/core" -I"$src/common" -I"$src/webhook" -I"$src/cli" \
		-I"$src/reconciler" "$src/tests/fuzz/fuzz_$target.c" "$src/tests/fuzz/fuzzlib.c" -Wl,--start-group \
		"$b/reconciler/libgw_kube.a" "$b/cli/libgw_io.a" \
		"$b/webhook/libgw_webhook.a" "$b/common/libgw_common.a" "$b/certs/libgw_certs.a" "$b/core/libgw_core.a" \
		-Wl,--end-group $(pkg-config --libs jansson yaml-0.1 libmicrohttpd gnutls openssl libcurl) -lpthread -lm \
		-o "$work/fuzz"
	export GW_SRC=$src
	maxlen=65536
	if [[ $target == check ]]; then
		extra=(-close_fd_mask=1) # the reports go to stdout: closed
		runs=${runs:-5000}
	else
		runs=${runs:-20000}
	fi
	;;
tlsinfo)
	# shellcheck disable=SC2046
	"$cc" "${flags[@]}" -fsanitize=fuzzer,$sans -I"$src/core" -I"$src/certs" "$src/tests/fuzz/fuzz_tlsinfo.c" \
		"$src/certs/tlsinfo.c" "$src/certs/x509.c" "$src/core/b64.c" "$src/core/err.c" "$src/core/jv.c" \
		$(pkg-config --cflags --libs jansson openssl) -o "$work/fuzz"
	maxlen=8192
	runs=${runs:-30000}
	;;
regex)
	[[ -f /usr/include/re2/re2.h ]] || missing RE2 libre2-dev
	"$cc" -c "${flags[@]}" -fsanitize=fuzzer-no-link,$sans -I"$src/core" "$src/core/regex.c" -o "$work/regex.o"
	"$cxx" "${flags[@]}" -fsanitize=fuzzer,$sans -I"$src/core" "$src/tests/fuzz/fuzz_regex.cc" "$work/regex.o" -lre2 -o "$work/fuzz"
	maxlen=64
	runs=${runs:-600000}
	;;
*)
	echo "run.sh: unknown target $target" >&2
	exit 2
	;;
esac
cd "$work"
# the target's own messages (check's, for one) are many: they go to fuzz.log, and on a
# failure its end (the sanitizer's report or the target's complaint) is shown
if ./fuzz -runs="$runs" -seed=1 -max_len="$maxlen" -timeout=20 -print_final_stats=1 "${extra[@]}" corpus >fuzz.log 2>&1; then
	grep -E '^(Done|stat::number_of_executed_units|stat::new_units_added)' fuzz.log || true
else
	rc=$?
	grep -v -E '^#[0-9]+' fuzz.log | tail -n 80
	echo "run.sh: fuzz_$target failed (exit $rc); the input is in $work/crash-* (or timeout-*, leak-*)" >&2
	exit 1
fi
