#!/usr/bin/env bash
# bench/webhook/ab.sh: two gatewarden builds, one after the other in alternating rounds,
# on the webhook bench's HTTPRoute review at 64 connections (wrk -t2, keep-alive TLS).
# A change's effect on requests/s, without the drift of this VM between two runs of
# bench/webhook/run.sh minutes apart.
#
#   OLD=/tmp/old/cli/gatewarden NEW=build/cli/gatewarden bash bench/webhook/ab.sh
#   ROUNDS=5 SECS=8 ...                       (defaults: 3 rounds of 8 s per build)
#
# Needs bench/webhook/run.sh's inputs (bench/out/webhook: certificate, state, review,
# post.lua): run it once first. Prints one line per build and round (requests/s and the
# server's VmHWM), then each build's median.
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/webhook/lib.sh
OUT=bench/out/webhook
ROUNDS=${ROUNDS:-3}
SECS=${SECS:-8}
: "${OLD:?OLD=path of the first gatewarden}" "${NEW:?NEW=path of the second gatewarden}"
need_inputs ab.sh wrk
PID=
trap '[[ -n $PID ]] && kill "$PID" 2>/dev/null; true' EXIT
declare -A all
for ((i = 1; i <= ROUNDS; i++)); do
	for which in OLD NEW; do
		"${!which}" serve --listen 127.0.0.1:18444 --tls-cert "$OUT/tls.crt" --tls-key "$OUT/tls.key" \
			--state "$OUT/state.yaml" --quiet --shutdown-delay 0 2>"$OUT/ab-serve.log" &
		PID=$!
		for _ in $(seq 100); do grep -q '"serving"' "$OUT/ab-serve.log" && break; sleep 0.1; done
		grep -q '"serving"' "$OUT/ab-serve.log" || { echo "ab.sh: $which did not start" >&2; exit 1; }
		res=$(BODY=$OUT/validate.json wrk -t2 -c64 -d"${SECS}s" -s "$OUT/post.lua" https://127.0.0.1:18444/validate 2>&1)
		rps=$(awk '/Requests\/sec/{print $2}' <<<"$res")
		bad=$(awk '/Non-2xx/{print $NF}' <<<"$res")
		hwm=$(awk '/VmHWM/{print $2}' "/proc/$PID/status")
		kill "$PID"
		wait "$PID" 2>/dev/null || true
		PID=
		echo "$which round $i: ${rps} requests/s, VmHWM ${hwm} kB${bad:+, non-2xx $bad}"
		all[$which]+="$rps "
	done
done
for which in OLD NEW; do
	echo "$which median: $(tr ' ' '\n' <<<"${all[$which]}" | grep . | sort -n | awk '{v[NR]=$1} END{print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}') requests/s"
done
