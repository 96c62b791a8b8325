#!/usr/bin/env bash
# bench/webhook/run.sh: gatewarden serve against nginx, same machine, same run.
#
# Both serve HTTPS on loopback with the same certificate and the same TLS policy
# (TLS 1.2/1.3, ECDHE, AEAD); wrk (2 threads, keep-alive) posts a realistic
# AdmissionReview (an HTTPRoute with 8 rules) to each. gatewarden evaluates it against
# a cluster view of about 10,000 objects (bench/gen.py --routes 7700); nginx answers
# a static AdmissionReview response. Targets (issue 4): at 64 connections gatewarden
# >= 0.5 x nginx's requests/s; at 4 connections p99 <= 2 ms; peak RSS <= 32 MiB; no
# non-2xx answers. The 64-connection comparison runs in VS_ROUNDS=5 alternating rounds
# (medians). With POLICY=1 (the default) it also measures the same generated
# Service review on /mutate and on /validate (issue 5: mutation adds <= 10% per
# request), under a policy that patches it: the aws-nlb-internet-facing preset's
# annotations and loadBalancerClass, plus external-dns hostnames derived from the
# Gateway's routes (EXTERNAL_DNS=0 leaves that out). That comparison runs both at a
# fixed offered load (every connection waits SVC_DELAY_MS=4 ms between requests: the
# same load for both endpoints) and at saturation, in ROUNDS=5 alternating rounds, on a
# server pinned to the last CPU with wrk on the others (PIN=0: sharing every CPU).
#
#   bash bench/webhook/run.sh            # DURATION=10 seconds per measurement
#   GW=build/cli/gatewarden bash bench/webhook/run.sh   # an existing binary
#
# Installs wrk and nginx-light (apt-get) when missing, and the build's packages
# (cmake/packages.sh) when it builds. Writes to bench/out/webhook/.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
. bench/webhook/lib.sh
OUT=$ROOT/bench/out/webhook
DURATION=${DURATION:-10}
WRK_PIN=() # the Service rounds pin wrk and the server to separate CPUs (PIN=1, below)
mkdir -p "$OUT"

. cmake/packages.sh
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v openssl >/dev/null || need+=(openssl)
[ "${COUNT:-1}" != 1 ] || command -v callgrind_control >/dev/null || need+=(valgrind)
if ((${#need[@]})); then
	gw_ensure_packages "${need[@]}"
	# the package starts nginx on port 80; this benchmark runs its own
	if [[ " ${need[*]} " == *" nginx-light "* ]]; then
		sudo=()
		[[ $(id -u) -eq 0 ]] || sudo=(sudo)
		"${sudo[@]}" systemctl disable --now nginx >/dev/null 2>&1 || true
	fi
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

if [ -z "${GW:-}" ]; then # GW=path uses an existing binary
	gw_ensure_packages "${GW_PACKAGES[@]}"
	echo "building (RelWithDebInfo) ..." >&2
	cmake -S . -B "$OUT/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGW_TESTS=OFF >/dev/null
	cmake --build "$OUT/build" -j"$(nproc)" --target gatewarden >/dev/null
	GW=$OUT/build/cli/gatewarden
fi

# certificate: a CA and a serving pair for gatewarden.gatewarden.svc and 127.0.0.1
if [ ! -f "$OUT/tls.crt" ]; then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$OUT/ca.key" \
		-out "$OUT/ca.crt" -days 30 -subj /CN=bench-ca 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$OUT/tls.key" \
		-out "$OUT/tls.csr" -subj /CN=gatewarden 2>/dev/null
	printf 'subjectAltName=DNS:gatewarden.gatewarden.svc,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$OUT/ext"
	openssl x509 -req -in "$OUT/tls.csr" -CA "$OUT/ca.crt" -CAkey "$OUT/ca.key" -set_serial 1 \
		-out "$OUT/tls.crt" -days 30 -extfile "$OUT/ext" 2>/dev/null
fi
[ -f "$OUT/state.yaml" ] || python3 bench/gen.py --routes 7700 --out "$OUT/state.yaml" >/dev/null
python3 bench/webhook/review.py validate "$OUT/validate.json"
python3 bench/webhook/review.py service "$OUT/service.json"
python3 bench/webhook/review.py response "$OUT/response.json"

cat >"$OUT/post.lua" <<'LUA'
local f = io.open(os.getenv("BODY"), "rb")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
-- DELAY_MS: each connection waits this long after an answer before its next request,
-- so the offered load is fixed (connections / DELAY_MS) instead of "as fast as it goes"
local d = tonumber(os.getenv("DELAY_MS") or "")
if d then
	function delay()
		return d
	end
end
LUA

cat >"$OUT/nginx.conf" <<NGX
worker_processes auto;
daemon off;
pid $OUT/nginx.pid;
error_log $OUT/nginx-error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_buffer_size 64k;
	keepalive_requests 1000000;
	server {
		listen 127.0.0.1:18444 ssl;
		ssl_certificate $OUT/tls.crt;
		ssl_certificate_key $OUT/tls.key;
		ssl_protocols TLSv1.2 TLSv1.3;
		ssl_ciphers ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305;
		ssl_prefer_server_ciphers on;
		location / {
			default_type application/json;
			return 200 '$(cat "$OUT/response.json")';
		}
	}
}
NGX
# nginx answers POST to a "return" location without reading the body into a file
"$NGINX" -c "$OUT/nginx.conf" -p "$OUT" &
NGINX_PID=$!

POLICY_ARGS=()
if [ "${POLICY:-1}" = 1 ] && "$GW" serve --help 2>&1 | grep -q -- --policy; then
	# the aws-nlb-internet-facing preset with external-dns, selecting every bench
	# Gateway by class, so the Service review really gets a patch (annotations,
	# loadBalancerClass, hostnames from the Gateway's listeners and routes)
	EXTERNAL_DNS=$([ "${EXTERNAL_DNS:-1}" = 1 ] && echo true || echo false)
	cat >"$OUT/policy.yaml" <<POL
apiVersion: policy.gatewarden.io/v1alpha1
kind: ServicePolicy
metadata:
  name: bench-aws-nlb-external-dns
spec:
  gateways:
    gatewayClassNames: [istio, cilium, envoy]
  service:
    loadBalancerClass: service.k8s.aws/nlb
    externalDNSHostname: ${EXTERNAL_DNS:-true}
    annotations:
      service.beta.kubernetes.io/aws-load-balancer-scheme: internet-facing
      service.beta.kubernetes.io/aws-load-balancer-backend-protocol: tcp
      service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: ip
POL
	POLICY_ARGS=(--policy "$OUT/policy.yaml")
fi
# start_gw [PREFIX...]: gatewarden serve on 18443 (behind PREFIX, e.g. taskset), waited
# for until it serves; GW_PID is its pid
# (GW_EXTRA: more serve options; GW_WAIT: how many 0.2 s steps to wait at most)
GW_EXTRA=()
start_gw() {
	"$@" "$GW" serve --listen 127.0.0.1:18443 --tls-cert "$OUT/tls.crt" --tls-key "$OUT/tls.key" \
		--state "$OUT/state.yaml" --quiet --shutdown-delay 0 "${POLICY_ARGS[@]}" "${GW_EXTRA[@]}" \
		2>"$OUT/serve.log" &
	GW_PID=$!
	wait_serving "$OUT/serve.log" "${GW_WAIT:-100}" || exit 1
}
cleanup() {
	kill "$GW_PID" 2>/dev/null || true
	kill "$NGINX_PID" 2>/dev/null || true
	wait "$GW_PID" "$NGINX_PID" 2>/dev/null || true
}
trap cleanup EXIT
start_gw
OBJECTS=$(grep -o '"objects":[0-9]*' "$OUT/serve.log" | head -1 | cut -d: -f2)

# one request first: the answer must be an allow without warnings
curl -s --cacert "$OUT/ca.crt" --resolve gatewarden.gatewarden.svc:18443:127.0.0.1 \
	-H 'Content-Type: application/json' --data-binary @"$OUT/validate.json" \
	https://gatewarden.gatewarden.svc:18443/validate >"$OUT/validate-answer.json"
python3 - "$OUT/validate-answer.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["response"]
assert r["allowed"] and not r.get("warnings"), r
PY

if ((${#POLICY_ARGS[@]})); then
	# the Service review must get a real patch, or /mutate would measure a no-op
	curl -s --cacert "$OUT/ca.crt" --resolve gatewarden.gatewarden.svc:18443:127.0.0.1 \
		-H 'Content-Type: application/json' --data-binary @"$OUT/service.json" \
		https://gatewarden.gatewarden.svc:18443/mutate >"$OUT/mutate-answer.json"
	python3 - "$OUT/mutate-answer.json" "$EXTERNAL_DNS" <<'PY'
import base64, json, sys
r = json.load(open(sys.argv[1]))["response"]
patch = json.loads(base64.b64decode(r["patch"]))
paths = json.dumps(patch)
assert r["allowed"] and "loadBalancerClass" in paths, r
assert ("external-dns" in paths) == (sys.argv[2] == "true"), r
PY
fi

# run NAME URL CONNS BODY -> "rps p50_ms p99_ms non2xx"
run() {
	local name=$1 url=$2 conns=$3 body=$4
	BODY=$body "${WRK_PIN[@]}" wrk -t2 -c"$conns" -d"${DURATION}s" --latency -s "$OUT/post.lua" "$url" >"$OUT/wrk-$name.txt" 2>&1
	python3 - "$OUT/wrk-$name.txt" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
def ms(s):
    v, u = re.match(r"([\d.]+)(us|ms|s)", s).groups()
    return float(v) * {"us": 0.001, "ms": 1, "s": 1000}[u]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
p50 = ms(re.search(r"^\s*50%\s+(\S+)", t, re.M).group(1))
p99 = ms(re.search(r"^\s*99%\s+(\S+)", t, re.M).group(1))
m = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
err = re.search(r"Socket errors: (.*)", t)
print("%.0f %.3f %.3f %d %s" % (rps, p50, p99, int(m.group(1)) if m else 0, "errors" if err else "-"))
PY
}

GWURL=https://127.0.0.1:18443/validate
NGURL=https://127.0.0.1:18444/validate
# 64 connections: VS_ROUNDS alternating rounds of gatewarden and nginx (ABBA: every
# other round nginx first). This VM's speed drifts by up to 2x within a minute, so one
# run of each, a minute apart, can compare a fast phase with a slow one; the verdict
# takes each server's median over the rounds, and the rounds' own ratios are shown.
VS_ROUNDS=${VS_ROUNDS:-5}
echo "measuring, ${DURATION}s each, $VS_ROUNDS rounds at 64 connections ..." >&2
g64rows="" n64rows="" g64bad=0 g64err=- g64p99rows="" n64p99rows=""
for ((i = 0; i < VS_ROUNDS; i++)); do
	order="gw nginx"
	((i % 2 == 0)) || order="nginx gw"
	for who in $order; do
		if [ "$who" = gw ]; then
			read -r r _ p99 bad err < <(run gw-64 "$GWURL" 64 "$OUT/validate.json")
			g64rows="$g64rows $r" g64p99rows="$g64p99rows $p99" g64bad=$((g64bad + bad))
			[ "$err" = - ] || g64err=$err
		else
			read -r r _ p99 _ _ < <(run nginx-64 "$NGURL" 64 "$OUT/validate.json")
			n64rows="$n64rows $r" n64p99rows="$n64p99rows $p99"
		fi
	done
done
med() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
# shellcheck disable=SC2086
g64=$(med $g64rows) n64=$(med $n64rows) g64p99=$(med $g64p99rows) n64p99=$(med $n64p99rows)
echo "64 connections, requests/s by round: gatewarden$g64rows; nginx$n64rows" >&2
read -r g4 g4p50 g4p99 g4bad g4err < <(run gw-4 "$GWURL" 4 "$OUT/validate.json")
read -r n4 n4p50 n4p99 n4bad n4err < <(run nginx-4 "$NGURL" 4 "$OUT/validate.json")
RSS_KB=$(awk '/VmHWM/ {print $2}' /proc/"$GW_PID"/status)
MUT=""
if ((${#POLICY_ARGS[@]})); then
	# The per-request cost is measured on a server of its own, pinned to the last CPU,
	# with wrk on the others (PIN=0: both float over every CPU, as above). Sharing the
	# CPUs, the load generator's threads and the server's take turns on the same cores,
	# and how they happen to interleave moves a round's figure by +-15 %; a webhook
	# does not share its CPU with its client (the kube-apiserver) either.
	NCPU=$(nproc)
	if [ "${PIN:-1}" = 1 ] && ((NCPU >= 2)) && command -v taskset >/dev/null; then
		kill "$GW_PID"
		wait "$GW_PID" 2>/dev/null || true
		start_gw taskset -c $((NCPU - 1))
		WRK_PIN=(taskset -c 0-$((NCPU - 2)))
		echo "Service rounds: gatewarden on CPU $((NCPU - 1)), wrk on CPUs 0-$((NCPU - 2))" >&2
	fi
	# The same Service review to /validate and to /mutate, in ROUNDS alternating rounds
	# (the VM's speed drifts between runs). Per-request cost = the server's CPU time
	# (utime + stime from /proc) / requests answered; the verdict compares the medians.
	ticks() { awk '{print $14 + $15}' /proc/"$GW_PID"/stat; }
	export HZ=$(getconf CLK_TCK)
	ROUNDS=${ROUNDS:-5}
	# Each round measures both endpoints twice: at saturation (as fast as wrk can go)
	# and at a fixed offered load (every connection waits SVC_DELAY_MS after each
	# answer: 64 / 4 ms = 16,000 requests/s, below either endpoint's saturation), which
	# is "the same load" for both: at saturation the faster endpoint runs at a higher
	# rate, and the kernel's per-request cost (wake-ups, smaller batches) differs.
	SVC_DELAY_MS=${SVC_DELAY_MS:-4}
	vrows="" mrows="" fvrows="" fmrows="" mbad=0
	for ((i = 0; i < ROUNDS; i++)); do
		# ABBA: every other round measures /mutate first, so that whatever drifts
		# within a round (the VM, the heap) does not always fall on the same endpoint
		order="validate mutate"
		((i % 2 == 0)) || order="mutate validate"
		for mode in sat fixed; do
			for ep in $order; do
				t0=$(ticks)
				if [ "$mode" = fixed ]; then
					read -r rps _ _ bad _ < <(DELAY_MS=$SVC_DELAY_MS run gw-$ep-svc-64-$mode "https://127.0.0.1:18443/$ep" 64 "$OUT/service.json")
				else
					read -r rps _ _ bad _ < <(run gw-$ep-svc-64-$mode "https://127.0.0.1:18443/$ep" 64 "$OUT/service.json")
				fi
				t1=$(ticks)
				reqs=$(grep -o '^ *[0-9]* requests in' "$OUT/wrk-gw-$ep-svc-64-$mode.txt" | awk '{print $1}')
				row="$rps:$((t1 - t0)):$reqs"
				case $mode-$ep in
				sat-validate) vrows="$vrows $row" ;;
				sat-mutate) mrows="$mrows $row" ;;
				fixed-validate) fvrows="$fvrows $row" ;;
				fixed-mutate) fmrows="$fmrows $row" ;;
				esac
				[ "$ep" = mutate ] && mbad=$((mbad + bad))
			done
		done
	done
	MUT="$(echo $vrows | tr ' ' ,) $(echo $mrows | tr ' ' ,) $mbad $(echo $fvrows | tr ' ' ,) $(echo $fmrows | tr ' ' ,) $SVC_DELAY_MS"
	MUT="$MUT $([ ${#WRK_PIN[@]} -gt 0 ] && echo pinned || echo shared)"
fi

# COUNT=1 (the default): the same reviews counted in instructions, which the VM's noise
# does not move. The server runs under callgrind (one worker, no file polling) and
# count.py posts the Service review to /validate and /mutate in ABBA phases of
# COUNT_N requests over one keep-alive TLS connection, zeroing and dumping the counters
# around each phase: user-space instructions per whole request (TLS, HTTP, review,
# answer), kernel excluded.
COUNT_RESULT=""
if ((${#POLICY_ARGS[@]})) && [ "${COUNT:-1}" = 1 ]; then
	kill "$GW_PID"
	wait "$GW_PID" 2>/dev/null || true
	rm -f "$OUT"/callgrind.out*
	GW_EXTRA=(--threads 1 --cert-reload-ms 3600000 --policy-reload-ms 0)
	echo "counting instructions under callgrind ..." >&2
	GW_WAIT=1500 start_gw valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out"
	python3 bench/webhook/count.py 18443 "$OUT/ca.crt" "$GW_PID" "$OUT/callgrind.out" "${COUNT_N:-100}" \
		"$OUT/service.json" "$OUT/validate.json" | tee "$OUT/count.txt" >&2
	COUNT_RESULT=$(tail -1 "$OUT/count.txt")
fi

VS_ROWS="$(echo $g64rows | tr ' ' ,) $(echo $n64rows | tr ' ' ,)" COUNT_RESULT=$COUNT_RESULT python3 - "$g64" "$n64" "$g4p99" "$RSS_KB" "$OBJECTS" "$g64bad" "$g4bad" "$g64p99" "$n64p99" "$n4" "$g4" "$n4p99" "$g64err" "$g4err" $MUT <<'PY' | tee "$OUT/results.md"
import os, sys
a = sys.argv[1:]
g64, n64, g4p99, rss, objs, bad64, bad4, g64p99, n64p99, n4, g4, n4p99, e64, e4 = a[:14]
g64, n64, g4p99, rss, n4, g4 = float(g64), float(n64), float(g4p99), int(rss), float(n4), float(g4)
ratio = g64 / n64
ok = lambda c: "PASS" if c else "MISS"
print("| measure | gatewarden | nginx (static answer) | target | result |")
print("|---|---|---|---|---|")
vs = os.environ.get("VS_ROWS", "").split()
if len(vs) == 2:
    gr, nr = [float(x) for x in vs[0].split(",")], [float(x) for x in vs[1].split(",")]
    print("| requests/s, 64 connections, median of %d alternating rounds | %.0f | %.0f | >= 0.5 x nginx (goal 0.8 x) | %.2f x: %s |" % (len(gr), g64, n64, ratio, ok(ratio >= 0.5)))
    print("| (rounds, requests/s) | %s | %s | - | rounds' ratios %s |" % (" ".join("%.0f" % x for x in gr), " ".join("%.0f" % x for x in nr), " ".join("%.2f" % (x / y) for x, y in zip(gr, nr))))
else:
    print("| requests/s, 64 connections | %.0f | %.0f | >= 0.5 x nginx (goal 0.8 x) | %.2f x: %s |" % (g64, n64, ratio, ok(ratio >= 0.5)))
print("| p99 latency, 64 connections | %s ms | %s ms | - | - |" % (g64p99, n64p99))
print("| requests/s, 4 connections | %.0f | %.0f | - | %.2f x |" % (g4, n4, g4 / n4))
print("| p99 latency, 4 connections | %.3f ms | %s ms | <= 2 ms | %s |" % (g4p99, n4p99, ok(g4p99 <= 2.0)))
print("| peak RSS, %s objects in the view | %.1f MiB | - | <= 32 MiB | %s |" % (objs, rss / 1024, ok(rss <= 32 * 1024)))
print("| non-2xx answers | %s + %s | - | 0 | %s |" % (bad64, bad4, ok(bad64 == "0" and bad4 == "0" and e64 == "-" and e4 == "-")))
if len(a) > 14:
    import os, statistics
    hz = int(os.environ.get("HZ", "100"))
    def rounds(s):
        out = []
        for r in s.split(","):
            rps, ticks, reqs = r.split(":")
            out.append((float(rps), int(ticks) * 1e6 / hz / int(reqs)))  # CPU us per request
        return out
    v, m, mbad = rounds(a[14]), rounds(a[15]), a[16]
    fv, fm, delay = rounds(a[17]), rounds(a[18]), a[19]
    where = a[20] if len(a) > 20 else "shared"
    # each round measured /validate then /mutate back to back: the median of those
    # pairs' ratios follows the VM's drift less than the ratio of the two medians
    paired = statistics.median(y[1] / x[1] for x, y in zip(fv, fm)) - 1
    paired_sat = statistics.median(y[1] / x[1] for x, y in zip(v, m)) - 1
    vr, mr = statistics.median(x[0] for x in v), statistics.median(x[0] for x in m)
    vc, mc = statistics.median(x[1] for x in v), statistics.median(x[1] for x in m)
    fvr, fmr = statistics.median(x[0] for x in fv), statistics.median(x[0] for x in fm)
    fvc, fmc = statistics.median(x[1] for x in fv), statistics.median(x[1] for x in fm)
    cost, fcost = mc / vc - 1, fmc / fvc - 1
    print("| Service review rounds: gatewarden and wrk %s | - | - | - | - |" % ("on separate CPUs (PIN=1)" if where == "pinned" else "sharing every CPU"))
    print("| Service review, same offered load (64 connections, %s ms between requests), %d alternating rounds: req/s (median) | /mutate %.0f | /validate %.0f | - | - |" % (delay, len(fv), fmr, fvr))
    print("| Service review, same load: server CPU per request (median) | /mutate %.1f us | /validate %.1f us | mutation adds <= 10%% per request | %+.1f%%: %s |" % (fmc, fvc, fcost * 100, ok(fcost <= 0.10 and mbad == "0")))
    print("| (rounds, CPU us per request) | %s | %s | - | - |" % (" ".join("%.1f" % x[1] for x in fm), " ".join("%.1f" % x[1] for x in fv)))
    print("| Service review, same load: median of the rounds' /mutate over /validate | - | - | - | %+.1f%% |" % (paired * 100))
    print("| Service review at saturation (64 connections, no wait): req/s (median) | /mutate %.0f | /validate %.0f | - | - |" % (mr, vr))
    print("| Service review at saturation: server CPU per request (median) | /mutate %.1f us | /validate %.1f us | (each endpoint at its own rate) | %+.1f%% |" % (mc, vc, cost * 100))
    print("| (rounds, CPU us per request) | %s | %s | - | - |" % (" ".join("%.1f" % x[1] for x in m), " ".join("%.1f" % x[1] for x in v)))
    print("| Service review at saturation: median of the rounds' /mutate over /validate | - | - | - | %+.1f%% |" % (paired_sat * 100))
c = os.environ.get("COUNT_RESULT", "")
if c:
    f = dict(kv.split("=") for kv in c.split()[1:])
    cv, cm, cr = float(f["validate"]), float(f["mutate"]), float(f["route"])
    print("| Service review, user-space instructions per whole request (callgrind, median of 4 phases) | /mutate %.0f | /validate %.0f | mutation adds <= 10%% per request | %+.1f%%: %s |" % (cm, cv, (cm / cv - 1) * 100, ok(cm / cv - 1 <= 0.10)))
    print("| HTTPRoute review (8 rules), user-space instructions per whole request | /validate %.0f | - | - | - |" % cr)
PY
