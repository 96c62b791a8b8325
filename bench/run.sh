#!/usr/bin/env bash
# bench/run.sh: time `gatewarden check` and its peak RSS against a bare libyaml parse of
# the same bytes, in one run. See bench/README.md.
#
#   bash bench/run.sh            build, generate, measure, print the table
#
# Environment:
#   RUNS=5          timed runs per command (best of RUNS is reported)
#   CALLGRIND=1     0 skips the callgrind instruction counts
#   GATEWARDEN=...  use this binary instead of building bench/out/build/cli/gatewarden
#   INPUTS="..."    subset of: tree-10k tree-20k tree-40k bulk-150k bulk-300k
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=bench/out
RUNS=${RUNS:-5}
CALLGRIND=${CALLGRIND:-1}
INPUTS=${INPUTS:-"tree-10k tree-20k tree-40k bulk-150k bulk-300k"}
JOBS=$(nproc 2>/dev/null || echo 2)
mkdir -p "$OUT"

# ---- packages ---------------------------------------------------------------------
ensure_packages() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	((${#missing[@]} == 0)) && return 0
	echo "run.sh: installing ${missing[*]}" >&2
	local sudo=()
	[[ $(id -u) -eq 0 ]] || sudo=(sudo)
	"${sudo[@]}" apt-get update -qq
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
}
if command -v dpkg-query >/dev/null; then
	ensure_packages build-essential cmake pkg-config libyaml-dev libjansson-dev python3 time hyperfine ||
		echo "run.sh: could not install every package; falling back where possible" >&2
fi

# ---- build --------------------------------------------------------------------------
# gatewarden: its own tree in bench/out/build, RelWithDebInfo (-O2 -g, the flags of
# ./dev.sh and of a default build), tests off; -Werror off so that a warning in code
# still being written does not stop the measurement (./dev.sh test enforces it).
if [[ -z ${GATEWARDEN:-} ]]; then
	cmake -S . -B "$OUT/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGW_TESTS=OFF -DGW_WERROR=OFF >/dev/null
	if ! cmake --build "$OUT/build" -j"$JOBS" --target gatewarden >"$OUT/build.log" 2>&1; then
		tail -30 "$OUT/build.log" >&2
		echo "run.sh: gatewarden does not build (full log: $OUT/build.log)" >&2
		exit 1
	fi
	GATEWARDEN=$OUT/build/cli/gatewarden
fi
cc -O2 -Wall -Wextra bench/yamlparse.c -lyaml -o "$OUT/yamlparse"
YAMLPARSE=$OUT/yamlparse

# ---- inputs -------------------------------------------------------------------------
gen_args() {
	case $1 in
	tree-10k) echo "--routes 10000" ;;
	tree-20k) echo "--routes 10000 --scale 2" ;;
	tree-40k) echo "--routes 10000 --scale 4" ;;
	bulk-150k) echo "--bulk mix --objects 150000" ;;
	bulk-300k) echo "--bulk mix --objects 300000" ;;
	*) echo "run.sh: unknown input $1" >&2; exit 2 ;;
	esac
}
for name in $INPUTS; do
	f=$OUT/$name.yaml
	# deterministic: regenerate only when missing or older than the generator
	if [[ ! -s $f || ! -s $f.meta || bench/gen.py -nt $f ]]; then
		# shellcheck disable=SC2046
		python3 bench/gen.py $(gen_args "$name") --out "$f" >"$f.meta"
	fi
	echo "input $name: $(cat "$f.meta")" >&2
done

# ---- measurement helpers ------------------------------------------------------------
now() { date +%s.%N; }

# best_of N CMD...: best wall time in seconds over N runs (after one warm-up run)
best_of() {
	local n=$1 best="" t0 t1 d i
	shift
	"$@" >/dev/null 2>&1 || true
	for ((i = 0; i < n; i++)); do
		t0=$(now)
		"$@" >/dev/null 2>&1 || true
		t1=$(now)
		d=$(echo "$t1 - $t0" | bc -l 2>/dev/null || python3 -c "print($t1 - $t0)")
		if [[ -z $best ]] || (($(python3 -c "print(int($d < $best))"))); then best=$d; fi
	done
	printf '%.4f\n' "$best"
}

# peak_rss CMD...: peak resident set size of CMD in KB
peak_rss() {
	if [[ -x /usr/bin/time ]]; then
		/usr/bin/time -f %M -o "$OUT/rss.tmp" "$@" >/dev/null 2>&1 || true
		tail -1 "$OUT/rss.tmp"
	else
		python3 - "$@" <<-'EOF'
			import resource, subprocess, sys
			subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
			print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
		EOF
	fi
}

# measure_times NAME FILE: sets T_PARSE and T_CHECK (best of RUNS, seconds)
measure_times() {
	local name=$1 f=$2 json=$OUT/hyperfine-$1.json
	if command -v hyperfine >/dev/null; then
		hyperfine -N -i --warmup 1 --runs "$RUNS" --style basic --export-json "$json" \
			-n yamlparse "$YAMLPARSE $f" -n check "$GATEWARDEN check $f" >"$OUT/hyperfine-$name.txt" 2>&1
		read -r T_PARSE T_CHECK < <(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"]
print("%.4f %.4f" % (min(r[0]["times"]), min(r[1]["times"])))' "$json")
	else
		T_PARSE=$(best_of "$RUNS" "$YAMLPARSE" "$f")
		T_CHECK=$(best_of "$RUNS" "$GATEWARDEN" check "$f")
	fi
}

# callgrind_ir OUTFILE CMD...: total instructions (Ir) of CMD under callgrind
callgrind_ir() {
	local cg=$1
	shift
	valgrind --tool=callgrind --callgrind-out-file="$cg" "$@" >/dev/null 2>"$cg.log" || true
	awk '/^(summary|totals):/ { print $2; exit }' "$cg"
}

# ---- run ----------------------------------------------------------------------------
TABLE=$OUT/results.md
{
	echo "| input | size MB | objects (checked) | parse time s | check time s | ratio | parse RSS MB | check RSS MB | check RSS / size |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
} >"$TABLE"
failed=0
verdict=()
declare -A T_CHECK_OF RSS_OF
for name in $INPUTS; do
	f=$OUT/$name.yaml
	bytes=$(stat -c %s "$f")
	objects=$(sed -n 's/^objects=\([0-9]*\).*/\1/p' "$f.meta")

	# one plain run first: the exit status and the summary line
	set +e
	"$GATEWARDEN" check "$f" >"$OUT/check-$name.out" 2>"$OUT/check-$name.err"
	rc=$?
	set -e
	summary=$(tail -1 "$OUT/check-$name.out")
	checked=$(sed -n 's/^\([0-9]*\) objects checked.*/\1/p' <<<"$summary")
	echo "check $name: exit $rc: $summary" >&2
	if ((rc == 1)); then
		echo "run.sh: $name: some objects were denied (the generator should write valid objects); first findings:" >&2
		head -5 "$OUT/check-$name.out" >&2
	elif ((rc != 0)); then
		echo "run.sh: $name: gatewarden check failed with exit $rc; stderr:" >&2
		head -20 "$OUT/check-$name.err" >&2
		failed=1
		continue
	fi
	if grep -q ' [1-9][0-9]* warnings' <<<"$summary"; then
		echo "run.sh: $name: warnings reported (the generator should write clean objects):" >&2
		head -5 "$OUT/check-$name.out" >&2
	fi

	measure_times "$name" "$f"
	rss_parse=$(peak_rss "$YAMLPARSE" "$f")
	rss_check=$(peak_rss "$GATEWARDEN" check "$f")
	T_CHECK_OF[$name]=$T_CHECK
	RSS_OF[$name]=$rss_check
	python3 - "$name" "$bytes" "$objects" "${checked:-?}" "$T_PARSE" "$T_CHECK" "$rss_parse" "$rss_check" >>"$TABLE" <<-'EOF'
		import sys
		name, size, objs, checked, tp, tc, rp, rc = sys.argv[1:]
		size, tp, tc, rp, rc = int(size), float(tp), float(tc), int(rp), int(rc)
		print("| %s | %.1f | %s (%s) | %.3f | %.3f | %.2fx | %.1f | %.1f | %.2f |" % (
		    name, size / 1e6, objs, checked, tp, tc, tc / tp, rp / 1024, rc / 1024, rc * 1024 / size))
	EOF
	case $name in
	tree-10k)
		v=$(python3 -c "import sys; tp,tc=map(float,sys.argv[1:]); print('PASS' if tc<=1.0 and tc<=3*tp else 'MISS', 'check %.3f s (target <= 1 s), %.3fx the parse %.3f s (target <= 3x)' % (tc, tc/tp, tp))" "$T_PARSE" "$T_CHECK")
		verdict+=("tree-10k: $v")
		;;
	bulk-300k)
		v=$(python3 -c "import sys; rc,size=map(int,sys.argv[1:]); print('PASS' if rc*1024 < size else 'MISS', 'peak RSS %.1f MB for a %.1f MB file (%.2fx the file; target: below the file size)' % (rc/1024, size/1e6, rc*1024/size))" "$rss_check" "$bytes")
		verdict+=("bulk-300k: $v")
		;;
	esac
done

# doubling: time and RSS growth 10k -> 20k -> 40k
if [[ -n ${T_CHECK_OF[tree-10k]:-} && -n ${T_CHECK_OF[tree-20k]:-} && -n ${T_CHECK_OF[tree-40k]:-} ]]; then
	verdict+=("doubling: $(python3 -c "import sys; a,b,c=map(float,sys.argv[1:4]); r=list(map(int,sys.argv[4:])); print('time x%.2f (10k->20k), x%.2f (20k->40k); check RSS x%.2f, x%.2f' % (b/a, c/b, r[1]/r[0], r[2]/r[1]))" \
		"${T_CHECK_OF[tree-10k]}" "${T_CHECK_OF[tree-20k]}" "${T_CHECK_OF[tree-40k]}" \
		"${RSS_OF[tree-10k]}" "${RSS_OF[tree-20k]}" "${RSS_OF[tree-40k]}")")
fi
if [[ -n ${RSS_OF[bulk-150k]:-} && -n ${RSS_OF[bulk-300k]:-} ]]; then
	verdict+=("bulk growth: check RSS $(python3 -c "import sys; a,b=map(int,sys.argv[1:]); print('%.1f MB -> %.1f MB (x%.2f) when the stream doubles' % (a/1024, b/1024, b/a))" "${RSS_OF[bulk-150k]}" "${RSS_OF[bulk-300k]}")")
fi

# callgrind: instruction counts are stable where wall time on a small VM is not
if [[ $CALLGRIND != 0 && " $INPUTS " == *" tree-10k "* ]] && command -v valgrind >/dev/null; then
	f=$OUT/tree-10k.yaml
	ir_parse=$(callgrind_ir "$OUT/callgrind.yamlparse.out" "$YAMLPARSE" "$f")
	ir_check=$(callgrind_ir "$OUT/callgrind.check.out" "$GATEWARDEN" check "$f")
	callgrind_annotate "$OUT/callgrind.check.out" 2>/dev/null | head -60 >"$OUT/callgrind-check-top.txt" || true
	{
		echo
		echo "callgrind, tree-10k, total instructions (Ir): yamlparse $ir_parse, check $ir_check, ratio $(python3 -c "import sys; print('%.2fx' % (int(sys.argv[2])/int(sys.argv[1])))" "$ir_parse" "$ir_check")"
	} >>"$TABLE"
fi

{
	echo
	echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1); best of $RUNS runs $(command -v hyperfine >/dev/null && echo '(hyperfine -N, 1 warm-up)' || echo '(date loop, 1 warm-up)'); RSS from $([[ -x /usr/bin/time ]] && echo '/usr/bin/time -f %M' || echo 'getrusage')"
	for v in "${verdict[@]}"; do echo "- $v"; done
} >>"$TABLE"
echo
cat "$TABLE"
exit "$failed"
