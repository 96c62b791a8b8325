#!/usr/bin/env bash
# tests/fuzz/run.sh TARGET SRC_DIR WORK_DIR [RUNS]: build one of the differential
# libFuzzer targets with clang, AddressSanitizer and UndefinedBehaviorSanitizer, then
# run it RUNS times (default: 100000 for jparse, 600000 for the others, about 20 s each)
# from its seeds in tests/fuzz/corpus_TARGET/ with a fixed seed, so a run is
# repeatable. TARGET is
#   jparse   tests/fuzz/fuzz_jparse.c: core/jparse.c against jansson's loader
#   regex    tests/fuzz/fuzz_regex.cc: core/regex.c against RE2 (libre2-dev)
#   jpatch   tests/fuzz/fuzz_jpatch.c: core/jpatch.c's diff applied gives its target
# It fails on any difference the target finds and on any sanitizer report; the input
# that failed is left in WORK_DIR (crash-*). Without clang or RE2 it skips (exit 77),
# except under CI, where a test that cannot run fails.
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
exec ./fuzz -runs="$runs" -seed=1 -max_len="$maxlen" -print_final_stats=1 corpus
