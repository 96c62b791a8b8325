#!/usr/bin/env bash
# bench/run.sh: time `gatewarden check` and its peak RSS against a bare libyaml parse of
# the same bytes, in one run. See bench/README.md.
#
#   bash bench/run.sh            build, generate, measure, print the table
#
# Environment:
#   RUNS=5          timed runs per command (best of RUNS is reported)
#   CALLGRIND=1     0 skips the callgrind instruction counts; 2 adds them for the
#                   20k and 40k trees too (linearity in instructions, several minutes)
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
if command -v dpkg-query >/dev/null; then
	# the whole build's set: the gatewarden target links the webhook and the kube client
	. cmake/packages.sh
	gw_ensure_packages "${GW_PACKAGES[@]}" time hyperfine ||
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

# measure_times NAME FILE: sets T_PARSE, T_ENGINE (check --no-cross) and T_CHECK (check),
# each the best of RUNS, seconds, measured side by side in one hyperfine run
measure_times() {
	local name=$1 f=$2 json=$OUT/hyperfine-$1.json
	if command -v hyperfine >/dev/null; then
		hyperfine -N -i --warmup 1 --runs "$RUNS" --style basic --export-json "$json" \
			-n yamlparse "$YAMLPARSE $f" -n engine "$GATEWARDEN check --no-cross $f" \
			-n check "$GATEWARDEN check $f" >"$OUT/hyperfine-$name.txt" 2>&1
		read -r T_PARSE T_ENGINE T_CHECK < <(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"]
print("%.4f %.4f %.4f" % (min(r[0]["times"]), min(r[1]["times"]), min(r[2]["times"])))' "$json")
	else
		T_PARSE=$(best_of "$RUNS" "$YAMLPARSE" "$f")
		T_ENGINE=$(best_of "$RUNS" "$GATEWARDEN" check --no-cross "$f")
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
# Two modes of `check` against the bare parse: `--no-cross` (each object alone: the
# engine issue's targets) and the default (every object against every other: the
# cross-object issue's targets).
TABLE=$OUT/results.md
{
	echo "| input | size MB | objects (checked) | parse s | --no-cross s (x parse) | check s (x parse) | parse RSS MB | --no-cross RSS MB | check RSS MB |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
} >"$TABLE"
failed=0
verdict=()
declare -A T_CHECK_OF T_PARSE_OF RSS_OF
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
	if ((rc > 1)); then
		echo "run.sh: $name: gatewarden check failed with exit $rc; stderr:" >&2
		head -20 "$OUT/check-$name.err" >&2
		failed=1
		continue
	fi

	measure_times "$name" "$f"
	rss_parse=$(peak_rss "$YAMLPARSE" "$f")
	rss_engine=$(peak_rss "$GATEWARDEN" check --no-cross "$f")
	rss_check=$(peak_rss "$GATEWARDEN" check "$f")
	T_CHECK_OF[$name]=$T_CHECK
	T_PARSE_OF[$name]=$T_PARSE
	RSS_OF[$name]=$rss_check
	python3 - "$name" "$bytes" "$objects" "${checked:-?}" "$T_PARSE" "$T_ENGINE" "$T_CHECK" "$rss_parse" "$rss_engine" "$rss_check" >>"$TABLE" <<-'EOF'
		import sys
		name, size, objs, checked, tp, te, tc, rp, re, rc = sys.argv[1:]
		size, tp, te, tc, rp, re, rc = int(size), float(tp), float(te), float(tc), int(rp), int(re), int(rc)
		print("| %s | %.1f | %s (%s) | %.3f | %.3f (%.2fx) | %.3f (%.2fx) | %.1f | %.1f | %.1f |" % (
		    name, size / 1e6, objs, checked, tp, te, te / tp, tc, tc / tp, rp / 1024, re / 1024, rc / 1024))
	EOF
	case $name in
	tree-10k)
		v=$(python3 -c "import sys; tp,te=map(float,sys.argv[1:]); print('PASS' if te<=1.0 and te<=3*tp else 'MISS', 'check --no-cross %.3f s (target <= 1 s), %.2fx the parse %.3f s (target <= 3x)' % (te, te/tp, tp))" "$T_PARSE" "$T_ENGINE")
		verdict+=("engine, tree-10k: $v")
		v=$(python3 -c "import sys; tc=float(sys.argv[1]); print('PASS' if tc<=1.0 else 'MISS', 'check (all objects against each other) %.3f s (target <= 1 s)' % tc)" "$T_CHECK")
		verdict+=("cross-object, tree-10k: $v")
		;;
	bulk-300k)
		v=$(python3 -c "import sys; re,rc,size=map(int,sys.argv[1:]); print('PASS' if re*1024 < size else 'MISS', 'check --no-cross peak RSS %.1f MB for a %.1f MB file of 300,000 objects (target: bounded, below the file size); the default mode keeps the Gateway API objects for the cross-object pass: %.1f MB' % (re/1024, size/1e6, rc/1024))" "$rss_engine" "$rss_check" "$bytes")
		verdict+=("engine, bulk-300k: $v")
		;;
	esac
done

# doubling: time and RSS growth 10k -> 20k -> 40k of the full check
if [[ -n ${T_CHECK_OF[tree-10k]:-} && -n ${T_CHECK_OF[tree-20k]:-} && -n ${T_CHECK_OF[tree-40k]:-} ]]; then
	# bench/interleave.sh's rule on one best-of-N per size: each step at most x2.00, or at
	# most 5 % above the bare parse's step in the same run (linear by construction: what
	# it shows beyond x2.00 is the machine's)
	verdict+=("cross-object, doubling: $(python3 -c "
import sys
a, b, c, pa, pb, pc = map(float, sys.argv[1:7])
r = list(map(int, sys.argv[7:]))
ok = all(x <= 2.0 or x <= 1.05 * y for x, y in ((b / a, pb / pa), (c / b, pc / pb)))
print('%s time x%.2f (10k->20k), x%.2f (20k->40k); the bare parse in the same run x%.2f, x%.2f; RSS x%.2f, x%.2f (target: time at most x2, or at most 5 %% above the parse)'
      % ('PASS' if ok else 'MISS', b / a, c / b, pb / pa, pc / pb, r[1] / r[0], r[2] / r[1]))" \
		"${T_CHECK_OF[tree-10k]}" "${T_CHECK_OF[tree-20k]}" "${T_CHECK_OF[tree-40k]}" \
		"${T_PARSE_OF[tree-10k]}" "${T_PARSE_OF[tree-20k]}" "${T_PARSE_OF[tree-40k]}" \
		"${RSS_OF[tree-10k]}" "${RSS_OF[tree-20k]}" "${RSS_OF[tree-40k]}")")
fi

# callgrind: instruction counts are stable where wall time on a small VM is not
if [[ $CALLGRIND != 0 && " $INPUTS " == *" tree-10k "* ]] && command -v valgrind >/dev/null; then
	f=$OUT/tree-10k.yaml
	ir_parse=$(callgrind_ir "$OUT/callgrind.yamlparse.out" "$YAMLPARSE" "$f")
	ir_engine=$(callgrind_ir "$OUT/callgrind.engine.out" "$GATEWARDEN" check --no-cross "$f")
	ir_check=$(callgrind_ir "$OUT/callgrind.check.out" "$GATEWARDEN" check "$f")
	callgrind_annotate "$OUT/callgrind.check.out" 2>/dev/null | head -60 >"$OUT/callgrind-check-top.txt" || true
	line="callgrind, total instructions (Ir): tree-10k yamlparse $ir_parse, check --no-cross $ir_engine ($(python3 -c "import sys; print('%.2fx' % (int(sys.argv[2])/int(sys.argv[1])))" "$ir_parse" "$ir_engine")), check $ir_check ($(python3 -c "import sys; print('%.2fx' % (int(sys.argv[2])/int(sys.argv[1])))" "$ir_parse" "$ir_check"))"
	if [[ $CALLGRIND == 2 && " $INPUTS " == *" tree-40k "* ]]; then
		# the deterministic form of the doubling target: check's instructions against
		# the bare parse's on the same three files (the files do not double exactly:
		# the generator draws each route's size), so per input byte
		ir20=$(callgrind_ir "$OUT/callgrind.check20.out" "$GATEWARDEN" check "$OUT/tree-20k.yaml")
		ir40=$(callgrind_ir "$OUT/callgrind.check40.out" "$GATEWARDEN" check "$OUT/tree-40k.yaml")
		irp20=$(callgrind_ir "$OUT/callgrind.yamlparse20.out" "$YAMLPARSE" "$OUT/tree-20k.yaml")
		irp40=$(callgrind_ir "$OUT/callgrind.yamlparse40.out" "$YAMLPARSE" "$OUT/tree-40k.yaml")
		line="$line; check tree-20k $ir20, tree-40k $ir40; yamlparse tree-20k $irp20, tree-40k $irp40"
		verdict+=("cross-object, doubling in instructions (callgrind): $(python3 -c "
import os, sys
c = list(map(int, sys.argv[1:4]))
p = list(map(int, sys.argv[4:7]))
b = [os.path.getsize(f) for f in sys.argv[7:10]]
rc = [c[1] / c[0], c[2] / c[1]]
rp = [p[1] / p[0], p[2] / p[1]]
per = [x / y for x, y in zip(c, b)]
ok = all(x <= y * 1.001 for x, y in zip(rc, rp))
print('%s check x%.4f (10k->20k), x%.4f (20k->40k); the bare parse x%.4f, x%.4f; check per input byte %.1f, %.1f, %.1f instructions (target: check grows no faster than the parse, within 0.1 %%)'
      % (('PASS' if ok else 'MISS',) + tuple(rc) + tuple(rp) + tuple(per)))" \
			"$ir_check" "$ir20" "$ir40" "$ir_parse" "$irp20" "$irp40" \
			"$OUT/tree-10k.yaml" "$OUT/tree-20k.yaml" "$OUT/tree-40k.yaml")")
	fi
	{
		echo
		echo "$line"
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
