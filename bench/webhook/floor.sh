#!/usr/bin/env bash
# bench/webhook/floor.sh: what each layer of a review costs, against nginx, in one run.
# wrk (2 threads, 64 keep-alive TLS connections, as run.sh) drives in alternating rounds
# (ROUNDS=3, SECS=6 s each, after a 2 s warm-up):
#   nginx        the static AdmissionReview answer (run.sh's baseline)
#   healthz      gatewarden, GET /healthz: TLS and HTTP, no JSON
#   unvalidated  gatewarden, POST /validate of a ConfigMap review (review.py unvalidated):
#                TLS, HTTP, a 580-byte parse and the answer
#   parse-only   the bench's HTTPRoute review with operation DELETE (review.py
#                parse-only): the whole review read into its tree, then allowed
#   validate     the bench's HTTPRoute review (run.sh's): read and evaluated
# and prints the median requests/s of each, the machine time per request (CPUS divided
# by requests/s: the server's and wrk's CPU together, as both share the CPUs), the
# server's own CPU per request (/proc/PID/stat), and how much machine time per request
# the issue's target (0.5 x nginx) leaves for reading and evaluating a review above
# the unvalidated one.
#
#   GW=build/cli/gatewarden bash bench/webhook/floor.sh
#
# Needs bench/webhook/run.sh's inputs (run it once) and wrk. Installs nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/webhook/lib.sh
OUT=$PWD/bench/out/webhook
GW=${GW:-bench/out/webhook/build/cli/gatewarden}
ROUNDS=${ROUNDS:-3}
SECS=${SECS:-6}
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
need_inputs floor.sh wrk
[[ -x $GW ]] || { echo "floor.sh: no $GW" >&2; exit 2; }
python3 bench/webhook/review.py parse-only "$OUT/parse-only.json"
python3 bench/webhook/review.py unvalidated "$OUT/unvalidated.json"
PID=
trap '[[ -n $PID ]] && kill "$PID" 2>/dev/null; true' EXIT
rows=$OUT/floor.rows
: >"$rows"

cpu_ticks() { # sum of utime + stime of the PIDs given
	local t=0 p
	for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
	echo "$t"
}

# measure NAME PORT BODY|- PIDS...: one warm-up and one measured wrk run; appends
# "NAME requests/s server-ticks non-2xx" to $rows
measure() {
	local name=$1 port=$2 body=$3 path=/validate t0 t1 args=()
	shift 3
	if [[ $body == - ]]; then
		path=/healthz
	else
		args=(-s "$OUT/post.lua")
	fi
	BODY=$body wrk -t2 -c64 -d2s "${args[@]}" "https://127.0.0.1:$port$path" >/dev/null
	t0=$(cpu_ticks "$@")
	BODY=$body wrk -t2 -c64 -d"${SECS}s" "${args[@]}" "https://127.0.0.1:$port$path" >"$OUT/floor-wrk.txt"
	t1=$(cpu_ticks "$@")
	echo "$name $(awk '/Requests\/sec/{print $2}' "$OUT/floor-wrk.txt") $((t1 - t0)) \
$(awk '/Non-2xx/{n=$NF} END{print n+0}' "$OUT/floor-wrk.txt")" >>"$rows"
}

for ((r = 1; r <= ROUNDS; r++)); do
	"$NGINX" -c "$OUT/nginx.conf" -p "$OUT" &
	PID=$!
	sleep 1
	# shellcheck disable=SC2046 # the workers' PIDs, one word each
	measure nginx 18444 "$OUT/validate.json" $(pgrep -P "$PID")
	kill "$PID"
	wait "$PID" 2>/dev/null || true
	"$GW" serve --listen 127.0.0.1:18443 --tls-cert "$OUT/tls.crt" --tls-key "$OUT/tls.key" \
		--state "$OUT/state.yaml" --quiet --shutdown-delay 0 2>"$OUT/floor-serve.log" &
	PID=$!
	wait_serving "$OUT/floor-serve.log"
	measure healthz 18443 - "$PID"
	measure unvalidated 18443 "$OUT/unvalidated.json" "$PID"
	measure parse-only 18443 "$OUT/parse-only.json" "$PID"
	measure validate 18443 "$OUT/validate.json" "$PID"
	kill "$PID"
	wait "$PID" 2>/dev/null || true
	PID=
done

python3 - "$rows" "$(nproc)" "$(getconf CLK_TCK)" "$SECS" <<'PY'
import statistics, sys
rows, cpus, hz, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
by = {}
for line in open(rows):
    name, rps, ticks, bad = line.split()
    by.setdefault(name, []).append((float(rps), int(ticks), int(bad)))
order = ["nginx", "healthz", "unvalidated", "parse-only", "validate"]
med = {n: statistics.median(r for r, _, _ in by[n]) for n in order}
print("| what | requests/s by round | median | machine time per request | server CPU per request | non-2xx |")
print("|---|---|---:|---:|---:|---:|")
for n in order:
    srv = statistics.median(t / hz * 1e6 / (r * secs) for r, t, _ in by[n])
    print("| %s | %s | %.0f | %.1f us | %.1f us | %d |" % (
        n, " ".join("%.0f" % r for r, _, _ in by[n]), med[n], cpus / med[n] * 1e6, srv,
        sum(b for _, _, b in by[n])))
us = lambda n: cpus / med[n] * 1e6
budget = cpus / (0.5 * med["nginx"]) * 1e6 - us("unvalidated")
print()
print("- validate at 0.5 x nginx: %.1f us of machine time per request, of which the unvalidated "
      "review takes %.1f us: %.1f us are left for reading and evaluating the HTTPRoute review" % (
          cpus / (0.5 * med["nginx"]) * 1e6, us("unvalidated"), budget))
print("- reading it (parse-only - unvalidated) takes %.1f us, evaluating it (validate - parse-only) %.1f us: "
      "%.1f us in all, %.1fx the budget; validate is at %.2f x nginx" % (
          us("parse-only") - us("unvalidated"), us("validate") - us("parse-only"),
          us("validate") - us("unvalidated"), (us("validate") - us("unvalidated")) / budget,
          med["validate"] / med["nginx"]))
PY
