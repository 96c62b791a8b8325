#!/usr/bin/env bash
# bench/datapath/run.sh: connect() latency to a frontend with 0, 1,000, 10,000 and
# 30,000 services programmed, side by side in one run:
#   direct     connect to the backend 127.0.0.1:18081 itself (no load balancer)
#   ebpf       gatewarden's socket LB (client in the attached cgroup), frontend
#              127.100.0.1:8080 -> 127.0.0.1:18081/18082 at 95/5
#   ipt-nft    kube-proxy style iptables: OUTPUT -> KUBE-SERVICES (one rule per
#              service) -> KUBE-SVC-n (statistic --mode random 0.95) -> KUBE-SEP (DNAT),
#              loaded with iptables-nft-restore (Debian's default iptables)
#   ipt-legacy the same rules with iptables-legacy-restore
#   nft        nftables with a verdict map: ip daddr . l4proto . dport vmap
#              -> per-service chain: dnat to numgen random mod 100 map
# Each runs in a network namespace of its own (loopback only) with its own two
# accept-and-close servers. The measured service is the last of the N (worst place
# for rule chains). Also times reprogramming all N tables of the eBPF datapath
# (every table changes: 95/5 -> 5/95).
#
#   sudo bash bench/datapath/run.sh
# Environment: CONNS=5000 connects per measurement, ROUNDS=5 (median of the p50s),
#   COUNTS="0 1000 10000 30000", BUILD=build-bench-dp (cmake build dir),
#   NFT_TIMEOUT=300 (seconds allowed for one `nft -f`), SKIP_BUILD=1 (use BUILD as it is).
# Needs root; installs iptables/nftables with apt-get when missing.
set -euo pipefail
cd "$(dirname "$0")/../.."

CONNS=${CONNS:-5000}
ROUNDS=${ROUNDS:-5}
COUNTS=${COUNTS:-"0 1000 10000 30000"}
BUILD=${BUILD:-bench/out/build-dp}
NFT_TIMEOUT=${NFT_TIMEOUT:-300}
OUT=bench/out/datapath
mkdir -p "$OUT"
[[ $(id -u) -eq 0 ]] || { echo "run.sh: needs root" >&2; exit 1; }

missing=()
command -v iptables-nft-restore >/dev/null || missing+=(iptables)
command -v nft >/dev/null || missing+=(nftables)
. cmake/packages.sh
if ((${#missing[@]})); then
	gw_ensure_packages "${missing[@]}"
fi

# ---- build ----
if [[ -z ${SKIP_BUILD:-} ]]; then
	gw_ensure_packages "${GW_PACKAGES[@]}"
	cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGW_TESTS=OFF -DGW_WERROR=OFF >/dev/null
	cmake --build "$BUILD" -j"$(nproc)" --target gatewarden gw_datapath >"$OUT/build.log" 2>&1 ||
		{ tail -20 "$OUT/build.log"; exit 1; }
fi
GW=$BUILD/cli/gatewarden
cc -O2 -Wall -Wextra -o "$OUT/connbench" bench/datapath/connbench.c
cc -O2 -Wall -Wextra -o "$OUT/dpbench" bench/datapath/dpbench.c -Ireconciler -Icore -Ibpf \
	"$BUILD/reconciler/libgw_datapath.a" "$BUILD/core/libgw_core.a" -lbpf -ljansson

# ---- namespaces, cgroup, servers ----
# Client and servers pinned to fixed CPUs: unpinned, the p50 of every method jumps
# between two modes (~16 and ~25 us here) depending on where the scheduler puts them.
CLIENT_CPU=0
SERVER_CPU=$(($(nproc) > 1 ? 1 : 0))
PIN=/sys/fs/bpf/gw-bench
CGMNT=$(awk '$0 ~ / - cgroup2 / {print $5; exit}' /proc/self/mountinfo)
CG=$CGMNT/gw-bench-$$
NSS="dpb-direct dpb-ebpf dpb-iptnft dpb-iptleg dpb-nft"
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	"$GW" datapath detach --pin-dir "$PIN" >/dev/null 2>&1 || true
	rmdir "$CG" 2>/dev/null || true
	for ns in $NSS; do ip netns del "$ns" 2>/dev/null || true; done
}
trap cleanup EXIT
mkdir -p "$CG"
for ns in $NSS; do
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	for port in 18081 18082; do
		ip netns exec "$ns" taskset -c "$SERVER_CPU" "$OUT/connbench" serve $port &
		PIDS+=($!)
	done
done
"$OUT/dpbench" "$PIN" 0 0 >/dev/null
"$GW" datapath attach --cgroup "$CG" --pin-dir "$PIN" >/dev/null
sleep 0.3

# ---- rule generators ----
gen_iptables() { # N: N-1 dummy services then the measured one, kube-proxy layout
	python3 - "$1" <<'EOF'
import sys
n = int(sys.argv[1])
out = ["*nat", ":KUBE-SERVICES - [0:0]"]
rules = []
def svc(i, vip, port, backends):
    out.append(":KUBE-SVC-%d - [0:0]" % i)
    for j in range(len(backends)):
        out.append(":KUBE-SEP-%d-%d - [0:0]" % (i, j))
    rules.append("-A KUBE-SERVICES -d %s/32 -p tcp -m tcp --dport %d -j KUBE-SVC-%d" % (vip, port, i))
    rules.append("-A KUBE-SVC-%d -m statistic --mode random --probability 0.95000000000 -j KUBE-SEP-%d-0" % (i, i))
    rules.append("-A KUBE-SVC-%d -j KUBE-SEP-%d-1" % (i, i))
    for j, (ip, p) in enumerate(backends):
        rules.append("-A KUBE-SEP-%d-%d -p tcp -m tcp -j DNAT --to-destination %s:%d" % (i, j, ip, p))
for i in range(max(n - 1, 0)):
    svc(i, "10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255), 80,
        [("192.0.2.%d" % (i % 250 + 1), 8080), ("192.0.2.%d" % (i % 250 + 1), 8081)])
svc(n, "127.100.0.1", 8080, [("127.0.0.1", 18081), ("127.0.0.1", 18082)])
out += rules
out.append("-A OUTPUT -j KUBE-SERVICES")
out.append("COMMIT")
print("\n".join(out))
EOF
}
gen_nft() { # N
	python3 - "$1" <<'EOF'
import sys
n = int(sys.argv[1])
elems, chains = [], []
def svc(i, vip, port, b):
    elems.append("%s . tcp . %d : goto svc-%d" % (vip, port, i))
    chains.append("chain svc-%d { meta l4proto tcp dnat ip to numgen random mod 100 map { 0-94 : %s . %d, 95-99 : %s . %d }; }"
                  % (i, b[0][0], b[0][1], b[1][0], b[1][1]))
for i in range(max(n - 1, 0)):
    ip = "192.0.2.%d" % (i % 250 + 1)
    svc(i, "10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255), 80, [(ip, 8080), (ip, 8081)])
svc(n, "127.100.0.1", 8080, [("127.0.0.1", 18081), ("127.0.0.1", 18082)])
print("table ip kp {")
print("  map svc-ips { type ipv4_addr . inet_proto . inet_service : verdict; elements = { %s }; }" % ", ".join(elems))
for c in chains:
    print("  " + c)
print("  chain out { type nat hook output priority -100; policy accept; ip daddr . meta l4proto . th dport vmap @svc-ips; }")
print("}")
EOF
}

now_ms() { date +%s%3N; }
one_p50() { # NS CGROUP(or "") ADDR PORT -> the p50 of one run, in us
	local ns=$1 cg=$2 addr=$3 port=$4
	if [[ -n $cg ]]; then
		sh -c 'echo $$ > "$1/cgroup.procs"; shift; exec "$@"' sh "$CG" ip netns exec "$ns" \
			taskset -c "$CLIENT_CPU" "$OUT/connbench" connect "$addr" "$port" "$CONNS"
	else
		ip netns exec "$ns" taskset -c "$CLIENT_CPU" "$OUT/connbench" connect "$addr" "$port" "$CONNS"
	fi | sed 's/.*p50=\([0-9.]*\).*/\1/'
}
median() { printf '%s\n' "$@" | sort -g | sed -n "$((($# + 1) / 2))p"; }

RES=$OUT/results.txt
: >"$RES"
: >"$OUT/rounds.txt"
printf '%-8s %10s %10s %10s %12s %10s   %s\n' services direct ebpf ipt-nft ipt-legacy nft \
	"load: ebpf-prog iptnft iptleg nft (ms)" | tee -a "$RES"
for n in $COUNTS; do
	# eBPF: program N-1 dummies + the measured frontend (dpbench puts it last)
	d=$((n > 0 ? n - 1 : 0))
	t0=$(now_ms); "$OUT/dpbench" "$PIN" "$d" 0 >"$OUT/dpbench-$n.txt"; t1=$(now_ms)
	ebpf_load=$((t1 - t0))
	gen_iptables "$n" >"$OUT/ipt-$n.rules"
	t0=$(now_ms); ip netns exec dpb-iptnft iptables-nft-restore <"$OUT/ipt-$n.rules"; t1=$(now_ms)
	iptnft_load=$((t1 - t0))
	t0=$(now_ms); ip netns exec dpb-iptleg iptables-legacy-restore <"$OUT/ipt-$n.rules"; t1=$(now_ms)
	iptleg_load=$((t1 - t0))
	gen_nft "$n" >"$OUT/nft-$n.nft"
	t0=$(now_ms)
	if timeout "$NFT_TIMEOUT" ip netns exec dpb-nft nft -f "$OUT/nft-$n.nft"; then
		t1=$(now_ms); nft_load=$((t1 - t0)); nft_ok=1
	else
		nft_load=">${NFT_TIMEOUT}000"; nft_ok=0
		ip netns exec dpb-nft nft delete table ip kp 2>/dev/null || true
	fi
	# rounds interleave the methods, so a burst of noise hits all of them alike
	D=() E=() I=() L=() F=()
	for ((r = 0; r < ROUNDS; r++)); do
		D+=("$(one_p50 dpb-direct "" 127.0.0.1 18081)")
		E+=("$(one_p50 dpb-ebpf cg 127.100.0.1 8080)")
		I+=("$(one_p50 dpb-iptnft "" 127.100.0.1 8080)")
		L+=("$(one_p50 dpb-iptleg "" 127.100.0.1 8080)")
		if ((nft_ok)); then F+=("$(one_p50 dpb-nft "" 127.100.0.1 8080)"); fi
	done
	echo "n=$n direct ${D[*]} | ebpf ${E[*]} | ipt-nft ${I[*]} | ipt-legacy ${L[*]} | nft ${F[*]:-}" >>"$OUT/rounds.txt"
	direct=$(median "${D[@]}") ebpf=$(median "${E[@]}") iptnft=$(median "${I[@]}") iptleg=$(median "${L[@]}")
	if ((nft_ok)); then nft=$(median "${F[@]}"); else nft="n/a"; fi
	printf '%-8s %10s %10s %10s %12s %10s   %s %s %s %s\n' "$n" "$direct" "$ebpf" "$iptnft" "$iptleg" "$nft" \
		"$ebpf_load" "$iptnft_load" "$iptleg_load" "$nft_load" | tee -a "$RES"
	ip netns exec dpb-iptnft iptables-nft -t nat -F; ip netns exec dpb-iptnft iptables-nft -t nat -X
	ip netns exec dpb-iptleg iptables-legacy -t nat -F; ip netns exec dpb-iptleg iptables-legacy -t nat -X
	ip netns exec dpb-nft nft delete table ip kp 2>/dev/null || true
	rm -f "$OUT/ipt-$n.rules" "$OUT/nft-$n.nft"
done

# reprogramming: 10,000 services programmed, then every table changed at once
"$OUT/dpbench" "$PIN" 10000 0 >/dev/null
for r in 1 2 3; do
	"$OUT/dpbench" "$PIN" 10000 $((r % 2)) | tee -a "$OUT/reprogram.txt"
done | sed 's/^/reprogram 10000 (every table changes): /' | tee -a "$RES"
echo "split check (eBPF counters for the measured frontend):" | tee -a "$RES"
"$GW" datapath stats --pin-dir "$PIN" | grep -A2 '^127\.100\.0\.1:8080' | tee -a "$RES"
