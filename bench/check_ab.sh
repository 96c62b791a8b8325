#!/usr/bin/env bash
# bench/check_ab.sh: two gatewarden builds' `check` on tree-10k, tree-20k and tree-40k,
# interleaved (each round runs every size with each build, one after the other), so a
# change's effect on time and on the doubling is not confused with this VM's drift
# between two runs of bench/interleave.sh.
#
#   OLD=/tmp/old/cli/gatewarden NEW=build/cli/gatewarden ROUNDS=7 bash bench/check_ab.sh
#
# Needs bench/out/tree-{10k,20k,40k}.yaml (bench/run.sh makes them). Prints, per build,
# the medians of the whole run, of reading and of the cross-object pass (from
# GATEWARDEN_TIMING=1), and their doubling.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-5}
: "${OLD:?OLD=path of the first gatewarden}" "${NEW:?NEW=path of the second gatewarden}"
for f in tree-10k tree-20k tree-40k; do
	[[ -s bench/out/$f.yaml ]] || { echo "check_ab.sh: bench/out/$f.yaml missing: run bench/run.sh first" >&2; exit 2; }
done
log=bench/out/check_ab.txt
: >"$log"
for ((i = 1; i <= ROUNDS; i++)); do
	for n in 10k 20k 40k; do
		for which in OLD NEW; do
			s=$(date +%s%N)
			t=$(GATEWARDEN_TIMING=1 "${!which}" check "bench/out/tree-$n.yaml" 2>&1 >/dev/null |
				sed -n 's/.*timing: read \([0-9.]*\) s, cross-object pass \([0-9.]*\) s.*/\1 \2/p')
			e=$(date +%s%N)
			echo "$which $n $(((e - s) / 1000)) ${t:-0 0}" >>"$log"
		done
	done
done
python3 - "$log" <<'PY'
import statistics as st, sys
d = {}
for line in open(sys.argv[1]):
    b, n, us, r, p = line.split()
    d.setdefault((b, n), []).append((int(us) / 1e6, float(r), float(p)))
for b in ("OLD", "NEW"):
    m = [[st.median(x[k] for x in d[(b, n)]) for k in range(3)] for n in ("10k", "20k", "40k")]
    print("%s: whole %.3f / %.3f / %.3f s, reading %.3f / %.3f / %.3f s, pass %.3f / %.3f / %.3f s"
          % (b, m[0][0], m[1][0], m[2][0], m[0][1], m[1][1], m[2][1], m[0][2], m[1][2], m[2][2]))
    print("%s: doubling whole x%.2f x%.2f, reading x%.2f x%.2f, pass x%.2f x%.2f"
          % (b, m[1][0] / m[0][0], m[2][0] / m[1][0], m[1][1] / m[0][1], m[2][1] / m[1][1],
             m[1][2] / m[0][2], m[2][2] / m[1][2]))
PY
