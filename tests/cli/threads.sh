#!/usr/bin/env bash
# check's threads under ThreadSanitizer: the scanner thread that reads ahead, and the
# thread that attaches routes ahead of the cluster pass. Any race report fails.
# usage: threads.sh PATH/TO/gatewarden-built-with-GW_TSAN   (run from tests/)
set -u
GW=$1
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export TSAN_OPTIONS="halt_on_error=1 exitcode=66"
fail=0
python3 cli/many_routes.py 200 "$TMP/few.yaml"
python3 cli/many_routes.py 3000 "$TMP/many.yaml"
for f in few many; do
	for threads in "" 1; do
		GATEWARDEN_THREADS=$threads "$GW" check -o json --state data/cross/state.yaml "$TMP/$f.yaml" \
			>"$TMP/out-$f$threads.json" 2>"$TMP/err"
		rc=$?
		if [[ $rc -ne 1 ]] || grep -q ThreadSanitizer "$TMP/err"; then
			echo "FAIL threads $f (GATEWARDEN_THREADS=$threads): exit $rc, want 1 (denied), and no race report"
			head -40 "$TMP/err"
			fail=$((fail + 1))
		fi
	done
	if ! cmp -s "$TMP/out-$f.json" "$TMP/out-${f}1.json"; then
		echo "FAIL threads $f: the two-thread report differs from the one-thread one"
		fail=$((fail + 1))
	fi
done
echo "threads: $((4 - fail)) of 4 runs clean"
[[ $fail -eq 0 ]]
