#!/usr/bin/env bash
# tests/fuzz/run_jparse.sh SRC_DIR WORK_DIR [RUNS]: build the differential fuzzer
# tests/fuzz/fuzz_jparse.c with clang's libFuzzer, AddressSanitizer and
# UndefinedBehaviorSanitizer, then run it RUNS times (default 100000) from the seeds in
# tests/fuzz/corpus_jparse/ with a fixed seed, so a run is repeatable. It fails on any
# difference between jparse and jansson's loader, or between jparse and jparse_defer,
# and on any sanitizer report; the input that failed is left in WORK_DIR (crash-*).
# Without clang it skips (exit 77), except under CI, where a test that cannot run fails.
set -euo pipefail
src=$(cd "$1" && pwd)
work=$2
runs=${3:-100000}
cc=$(command -v clang-14 || command -v clang || true)
if [[ -z $cc ]]; then
	echo "run_jparse.sh: clang missing (apt-get install clang libclang-rt-14-dev)" >&2
	[[ -n ${CI:-} ]] && exit 1
	exit 77
fi
rm -rf "$work"
mkdir -p "$work/corpus"
cp "$src"/tests/fuzz/corpus_jparse/* "$work/corpus/"
# shellcheck disable=SC2046 # pkg-config's flags, one word each
"$cc" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Wall -Wextra -Werror \
	-I"$src/core" "$src/tests/fuzz/fuzz_jparse.c" "$src/core/jparse.c" "$src/core/err.c" \
	$(pkg-config --cflags --libs jansson) -o "$work/fuzz_jparse"
cd "$work"
exec ./fuzz_jparse -runs="$runs" -seed=1 -max_len=16384 -print_final_stats=1 corpus
