#!/usr/bin/env bash
# bench/webhook/anatomy.sh: where a request's CPU goes, gatewarden against nginx, in one
# run. For each server in turn (ROUNDS=2 alternating rounds, SECS=6 s each), wrk posts
# the webhook bench's HTTPRoute review at 64 connections (-t2, keep-alive TLS) and this
# prints, per request:
#   - the server's CPU (utime + stime of its process, or of nginx's workers, from
#     /proc/PID/stat before and after);
#   - wrk's CPU (perf stat task-clock, exact, where rusage is tick-sampled);
#   - the server's context switches (sched:sched_switch) and wrk's epoll_wait calls
#     (how often wrk found nothing to do and waited for the next answer).
# At 2 CPUs shared with wrk, requests/s is 2 CPUs divided by the sum of the server's and
# wrk's CPU per request; the rows say which side and which cost moves it.
#
#   GW=build/cli/gatewarden bash bench/webhook/anatomy.sh
#
# Needs bench/webhook/run.sh's inputs (run it once), perf (linux-perf) and root (the
# sched and syscalls tracepoints). Installs nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/webhook/lib.sh
OUT=$PWD/bench/out/webhook
GW=${GW:-bench/out/build/cli/gatewarden}
ROUNDS=${ROUNDS:-2}
SECS=${SECS:-6}
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
need_inputs anatomy.sh wrk perf=linux-perf
[[ -x $GW ]] || { echo "anatomy.sh: no $GW" >&2; exit 2; }
PID=
trap '[[ -n $PID ]] && kill "$PID" 2>/dev/null; true' EXIT

cpu_ticks() { # sum of utime + stime of the PIDs given
	local t=0 p
	for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
	echo "$t"
}

one() { # one: gw|nginx -> prints a row
	local who=$1 port pids
	if [[ $who == gw ]]; then
		port=18443
		"$GW" serve --listen 127.0.0.1:$port --tls-cert "$OUT/tls.crt" --tls-key "$OUT/tls.key" \
			--state "$OUT/state.yaml" --quiet --shutdown-delay 0 2>"$OUT/anatomy-serve.log" &
		PID=$!
		wait_serving "$OUT/anatomy-serve.log"
		pids=$PID
	else
		port=18444
		"$NGINX" -c "$OUT/nginx.conf" -p "$OUT" &
		PID=$!
		sleep 1
		pids=$(pgrep -P "$PID" | tr '\n' ' ')
	fi
	# warm up: sessions, caches
	BODY=$OUT/validate.json wrk -t2 -c64 -d2s -s "$OUT/post.lua" "https://127.0.0.1:$port/validate" >/dev/null
	local t0 t1 n
	# shellcheck disable=SC2086 # pids is a list
	t0=$(cpu_ticks $pids)
	# shellcheck disable=SC2086
	perf stat -x, -e sched:sched_switch -p "$(echo $pids | tr ' ' ',')" -o "$OUT/anatomy-server.perf" -- sleep "$((SECS + 1))" &
	local pp=$!
	BODY=$OUT/validate.json perf stat -x, -e task-clock,syscalls:sys_enter_epoll_wait -o "$OUT/anatomy-wrk.perf" \
		wrk -t2 -c64 -d"${SECS}s" -s "$OUT/post.lua" "https://127.0.0.1:$port/validate" >"$OUT/anatomy-wrk.txt"
	# shellcheck disable=SC2086
	t1=$(cpu_ticks $pids)
	wait "$pp"
	kill "$PID"
	wait "$PID" 2>/dev/null || true
	PID=
	n=$(awk '/requests in/{print $1}' "$OUT/anatomy-wrk.txt")
	python3 - "$who" "$n" "$SECS" "$t0" "$t1" "$(getconf CLK_TCK)" "$OUT/anatomy-wrk.perf" "$OUT/anatomy-server.perf" <<'PY'
import sys
who, n, secs, t0, t1, hz, wperf, sperf = sys.argv[1:]
n, secs, hz = int(n), int(secs), int(hz)
def ev(path):
    d = {}
    for line in open(path):
        f = line.strip().split(",")
        if len(f) > 2 and f[0] and f[0][0].isdigit():
            d[f[2]] = float(f[0])
    return d
w, s = ev(wperf), ev(sperf)
server_us = (int(t1) - int(t0)) / hz * 1e6 / n
print("| %s | %d | %.1f | %.1f | %.2f | %.2f |" % (
    who, n // secs, server_us, w["task-clock"] * 1000 / n,
    s["sched:sched_switch"] / n, w["syscalls:sys_enter_epoll_wait"] / n))
PY
}

echo "| server | requests/s | server CPU us/request | wrk CPU us/request | server context switches/request | wrk epoll_wait/request |"
echo "|---|---:|---:|---:|---:|---:|"
for ((r = 1; r <= ROUNDS; r++)); do
	one gw
	one nginx
done
