#!/usr/bin/env bash
# bench/webhook/split.sh: the Service review's CPU per request on /validate and /mutate,
# split into user and system time, for one gatewarden binary.
#
#   GW=build/cli/gatewarden bash bench/webhook/split.sh
#
# Uses the certificate, cluster state, policy and review bodies that bench/webhook/run.sh
# leaves in bench/out/webhook/ (run it once first). The server runs pinned to the last
# CPU, wrk (1 thread, 64 connections, DURATION=8 seconds) on CPU 0, and the endpoints
# alternate ABBA over REPS=6 measurements. Each line: endpoint, user and system
# microseconds per request (utime and stime from /proc/PID/stat over the requests answered).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=$PWD/bench/out/webhook
. bench/webhook/lib.sh
GW=${GW:?GW=path to a gatewarden binary}
for f in tls.crt tls.key state.yaml policy.yaml service.json post.lua; do
	[ -f "$OUT/$f" ] || { echo "split.sh: $OUT/$f is missing: run bench/webhook/run.sh first" >&2; exit 2; }
done
NCPU=$(nproc)
((NCPU >= 2)) || { echo "split.sh: needs 2 CPUs" >&2; exit 2; }
taskset -c $((NCPU - 1)) "$GW" serve --listen 127.0.0.1:18460 --tls-cert "$OUT/tls.crt" --tls-key "$OUT/tls.key" \
	--state "$OUT/state.yaml" --quiet --shutdown-delay 0 --policy "$OUT/policy.yaml" 2>"$OUT/split-serve.log" &
P=$!
trap 'kill "$P" 2>/dev/null || true; wait "$P" 2>/dev/null || true' EXIT
wait_serving "$OUT/split-serve.log" || exit 1
HZ=$(getconf CLK_TCK)
order=(validate mutate mutate validate)
for ((i = 0; i < ${REPS:-6}; i++)); do
	ep=${order[i % 4]}
	read -r u0 s0 < <(awk '{print $14, $15}' /proc/"$P"/stat)
	BODY=$OUT/service.json taskset -c 0 wrk -t1 -c64 -d"${DURATION:-8}s" -s "$OUT/post.lua" \
		"https://127.0.0.1:18460/$ep" >"$OUT/split-wrk.txt" 2>&1
	read -r u1 s1 < <(awk '{print $14, $15}' /proc/"$P"/stat)
	n=$(grep -o '^ *[0-9]* requests in' "$OUT/split-wrk.txt" | awk '{print $1}')
	awk -v ep="$ep" -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v n="$n" -v hz="$HZ" 'BEGIN {
		printf "%-8s user %.2f us  sys %.2f us  total %.2f us  (%d requests)\n",
			ep, u * 1e6 / hz / n, s * 1e6 / hz / n, (u + s) * 1e6 / hz / n, n }'
done
