#!/usr/bin/env bash
# The command line as a user runs it: exit codes, output format, bad input.
# usage: run.sh PATH/TO/gatewarden   (run from tests/)
set -u
GW=$1
D=data/cli
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
pass=0
fail=0

t() { # t NAME EXPECTED_EXIT CMD... ; stdout in $TMP/out, stderr in $TMP/err
	local name=$1 want=$2
	shift 2
	"$@" >"$TMP/out" 2>"$TMP/err"
	local got=$?
	if [[ $got -ne $want ]]; then
		echo "FAIL $name: exit $got, want $want"
		sed 's/^/  out: /' "$TMP/out" | head -20
		sed 's/^/  err: /' "$TMP/err" | head -20
		fail=$((fail + 1))
		return 1
	fi
	pass=$((pass + 1))
	return 0
}

has() { # has NAME FILE REGEX
	if grep -q -E -- "$3" "$2"; then
		pass=$((pass + 1))
	else
		echo "FAIL $1: no line matching /$3/ in $(basename "$2"):"
		sed 's/^/  | /' "$2" | head -20
		fail=$((fail + 1))
	fi
}

t valid 0 "$GW" check $D/valid.yaml
has valid-summary "$TMP/out" '^1 objects checked \(1 Gateway, 0 HTTPRoute, 0 GRPCRoute\) in 1 files: 1 allowed, 0 denied'

t invalid 1 "$GW" check $D/invalid.yaml
has invalid-line "$TMP/out" '^data/cli/invalid.yaml:15: Gateway infra/bad-port: error: spec.listeners\[0\].port: Invalid value: 0: should be greater than or equal to 1 \[GW-LST-PORT\]$'
has invalid-summary "$TMP/out" '2 objects checked .* 1 allowed, 1 denied'

t malformed 2 "$GW" check $D/malformed.yaml
has malformed-msg "$TMP/err" '^data/cli/malformed.yaml: error: line [0-9]+, column [0-9]+: '

t missing 2 "$GW" check $D/does-not-exist.yaml $D/valid.yaml
has missing-msg "$TMP/err" 'does-not-exist.yaml: error: cannot open: No such file or directory'
has missing-still-checks "$TMP/out" '^1 objects checked'

printf "x: " >"$TMP/deep.yaml"
for _ in $(seq 1 10000); do printf '[' >>"$TMP/deep.yaml"; done
t deep 2 "$GW" check "$TMP/deep.yaml"
has deep-msg "$TMP/err" 'nesting deeper than 100 levels'

printf '\x00\x01\xff\xfe\x80garbage\x00\xc3\x28' >"$TMP/garbage.yaml"
t garbage 2 "$GW" check "$TMP/garbage.yaml"
has garbage-msg "$TMP/err" 'garbage.yaml: error: '

# non-string mapping keys become their JSON text (this crashed check: the text was
# freed with free() while it lived in the document's region)
t scalar-keys 0 "$GW" check -o json $D/scalar-keys.yaml
has scalar-keys-names "$TMP/out" '"allowed": ?true'

# a string with a NUL in a route: kept as a tree, not as text (cli/check.c), on one
# thread and on two (the pass parses routes ahead on a second thread from 64 routes on)
t nul-string 0 "$GW" check $D/nul-string.yaml
has nul-string-backend "$TMP/out" 'Service a/s does not exist.*XO-BACKEND-MISSING'
for i in $(seq 1 70); do
	sed "s/name: r,/name: r$i,/" $D/nul-string.yaml
	echo ---
done >"$TMP/nul-70.yaml"
t nul-string-70 0 "$GW" check "$TMP/nul-70.yaml"
has nul-string-70-summary "$TMP/out" '^70 objects checked .* 70 allowed, 0 denied; 0 errors, 210 warnings'

# a parentRef nested 80 levels deep (an unknown field, which the schema reports): its
# status keeps the parentRef as text, which once failed past 64 levels ("out of memory")
deep=$(printf '{a: %.0s' $(seq 80))1$(printf '}%.0s' $(seq 80))
cat >"$TMP/deep-ref.yaml" <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: c}
spec: {controllerName: example.com/gateway}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: a}
spec:
  gatewayClassName: c
  listeners: [{name: http, protocol: HTTP, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: a}
spec:
  parentRefs: [{name: gw, x: $deep}]
YAML
t deep-parent-ref 1 "$GW" check -o json "$TMP/deep-ref.yaml"
has deep-parent-ref-status "$TMP/out" '"parentRef": ?\{"name": ?"gw", ?"x": ?\{"a"'

t bomb 2 "$GW" check $D/bomb.yaml
has bomb-msg "$TMP/err" 'alias bomb'

t stdin 0 sh -c "cat $D/valid.yaml | \"$GW\" check -"
has stdin-summary "$TMP/out" '^1 objects checked'

t var-unset 1 "$GW" check $D/vars.yaml
has var-unset-msg "$TMP/out" 'spec.hostnames\[0\]: Invalid value: "echo.\$\{domain_name\}"'
t var-set 0 "$GW" check --var domain_name=example.com $D/vars.yaml
t var-bad 2 "$GW" check --var 1bad=x $D/vars.yaml
has var-bad-msg "$TMP/err" 'not a valid variable name'

t skipped 0 "$GW" check $D/skipped
has skipped-summary "$TMP/out" '^0 objects checked .*; 3 other objects skipped'

t json-list 1 "$GW" check -o json $D/list.json
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); o=d["objects"][0]; assert o["source"]=="data/cli/list.json:2", o["source"]; assert o["name"]=="from-json" and o["allowed"] is False; assert o["errors"][0]["rule"]=="SCHEMA-TYPE"; assert d["summary"]["denied"]==1' "$TMP/out"; then
	pass=$((pass + 1))
else
	echo "FAIL json-list: unexpected JSON"; cat "$TMP/out"; fail=$((fail + 1))
fi

t help 0 "$GW" check --help
has help-var "$TMP/out" '--var NAME=VALUE'
t bad-flag 2 "$GW" check --nope $D/valid.yaml
t no-path 2 "$GW" check
t bad-rule 2 "$GW" check --rule NOPE=off $D/valid.yaml
t rule-off 0 "$GW" check --rule GW-LST-PORT=off $D/invalid.yaml
t rule-warn 0 "$GW" check --rule GW-LST-PORT=warn $D/invalid.yaml
has rule-warn-line "$TMP/out" 'warning: spec.listeners\[0\].port: .* \[GW-LST-PORT\]$'
t unknown-cmd 2 "$GW" frobnicate
t rules-list 0 "$GW" rules
has rules-list-wx "$TMP/out" '^WX-PORT-PROTO-MIX +warning +single'

# cross-object checks against --state
X=data/cross
# the cluster pass attaches routes on a second thread from 64 routes on: 200 routes with
# conflicts, unattached parents and missing backends give the same report on one thread
python3 cli/many_routes.py 200 "$TMP/many.yaml"
t cross-threads 1 "$GW" check -o json --state $X/state.yaml "$TMP/many.yaml"
cp "$TMP/out" "$TMP/two.json"
t cross-one-thread 1 env GATEWARDEN_THREADS=1 "$GW" check -o json --state $X/state.yaml "$TMP/many.yaml"
if cmp -s "$TMP/out" "$TMP/two.json" && grep -q XO-MATCH-CONFLICT "$TMP/out" && grep -q XO-NS-NOT-ALLOWED "$TMP/out" &&
	grep -q XO-BACKEND-MISSING "$TMP/out" && grep -q '"accepted":true' "$TMP/out"; then
	pass=$((pass + 1))
else
	echo "FAIL cross-threads-same: the two-thread report differs from the one-thread one, or lacks findings"
	diff <(tr ',' '\n' <"$TMP/two.json") <(tr ',' '\n' <"$TMP/out") | head -20
	fail=$((fail + 1))
fi
# the cluster pass visits the routes grouped by namespace: the verdicts must not depend on
# the input's order (routes of two namespaces contesting the same matches, then the same
# documents reversed), object by object
python3 cli/many_routes.py 200 "$TMP/spread.yaml" spread
python3 cli/many_routes.py 200 "$TMP/reversed.yaml" reversed
t cross-spread 1 "$GW" check -o json --state $X/state.yaml "$TMP/spread.yaml"
cp "$TMP/out" "$TMP/spread.json"
t cross-reversed 1 "$GW" check -o json --state $X/state.yaml "$TMP/reversed.yaml"
if python3 - "$TMP/spread.json" "$TMP/out" <<'PY'; then
import json, sys

def by_name(path):
    objs = json.load(open(path))["objects"]
    for o in objs:
        del o["source"]
    return {(o["kind"], o["namespace"], o["name"]): o for o in objs}

a, b = by_name(sys.argv[1]), by_name(sys.argv[2])
lost = [o for o in a.values() if o["namespace"] == "tooling" and "XO-MATCH-CONFLICT" in json.dumps(o)]
sys.exit(0 if a == b and len(a) == 201 and lost else 1)
PY
	pass=$((pass + 1))
else
	echo "FAIL cross-order: the report of the reversed input differs object by object, or has no conflict in tooling"
	fail=$((fail + 1))
fi
t cross-good 0 "$GW" check --state $X/state.yaml $X/good.yaml
has cross-good-note "$TMP/out" '^data/cross/good.yaml:1: HTTPRoute echo/echo-1: note: parent infrastructure/platform-public: Accepted'
t cross-redirect 1 "$GW" check --state $X/state.yaml $X/redirect.yaml
has cross-redirect-msg "$TMP/out" 'error: .*listener http .*infrastructure.* route is in namespace echo.* \[XO-NS-NOT-ALLOWED\]$'
t cross-missing 0 "$GW" check --state $X/state.yaml $X/missing-parent.yaml
has cross-missing-warn "$TMP/out" 'warning: spec.parentRefs\[0\].*echo/platform-public.* \[XO-PARENT-MISSING\]$'
has cross-missing-hint "$TMP/out" 'Gateway infrastructure/platform-public exists, but setting namespace: infrastructure is not enough: listener http .*admits only routes from namespace infrastructure'
t cross-missing-strict 1 "$GW" check --strict --state $X/state.yaml $X/missing-parent.yaml
has cross-missing-strict-err "$TMP/out" 'error: .*\[XO-PARENT-MISSING\]$'
t cross-wrong 1 "$GW" check --state $X/state.yaml $X/wrong.yaml
has cross-wrong-ns "$TMP/out" 'HTTPRoute tooling/tooling-route: error: .*\[XO-NS-NOT-ALLOWED\]$'
has cross-wrong-grant "$TMP/out" 'HTTPRoute tooling/tooling-route: error: .*\[XO-REFGRANT\]$'
has cross-wrong-port "$TMP/out" 'HTTPRoute echo/wrong-port: error: .*8080.*\[XO-BACKEND-PORT\]$'
has cross-wrong-host "$TMP/out" 'HTTPRoute echo/wrong-port: error: .*\[XO-HOST-NO-INTERSECT\]$'
# the same objects given as arguments are one apply: the Gateway gets its listener status
t cross-one-apply 1 "$GW" check -o json $X/state.yaml $X/good.yaml $X/redirect.yaml
if python3 - "$TMP/out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
by = {(o["kind"], o["name"]): o for o in d["objects"]}
gw = by[("Gateway", "platform-public")]
ls = {l["name"]: l for l in gw["listeners"]}
assert ls["https"]["attachedRoutes"] == 1, ls
assert ls["http"]["attachedRoutes"] == 0, ls
assert {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"} in ls["https"]["supportedKinds"]
p = by[("HTTPRoute", "echo-1")]["parents"][0]
assert p["accepted"] is True and p["gateway"] == "infrastructure/platform-public", p
r = by[("HTTPRoute", "echo-http-https-redirect")]["parents"][0]
assert r["accepted"] is False and r["reason"] == "NotAllowedByListeners", r
assert d["summary"]["context"] >= 4, d["summary"]
PY
then pass=$((pass + 1)); else echo "FAIL cross-one-apply: unexpected JSON"; fail=$((fail + 1)); fi

# a cert-manager Certificate promises its Secret; a plain missing Secret is a warning
t cross-certificate 0 "$GW" check --state $X/state.yaml $X/certificate.yaml
has cross-cert-missing "$TMP/out" 'Gateway infrastructure/no-certificate: warning: .*Secret infrastructure/other-tls does not exist.*\[XO-CERT-MISSING\]$'
if grep -q 'platform-private: warning: .*XO-CERT-MISSING' "$TMP/out"; then
	echo "FAIL cross-certificate: the Secret a Certificate will issue was reported missing"; fail=$((fail + 1))
else pass=$((pass + 1)); fi

# what check keeps it copies out of each document's region (cli/yamldoc.c): a List's
# items, a TLS Secret's certificate summary from --state, an Opaque Secret and an
# anchored document it drops; the verdicts are those of the objects themselves
t cross-kept 1 "$GW" check --state $X/kept-state.yaml $X/kept.yaml
has cross-kept-cert "$TMP/out" 'Gateway infra/gw: error: .*Secret infra/web-tls is not a usable TLS key pair: tls.crt holds no PEM certificate.*\[XO-CERT-MALFORMED\]$'
has cross-kept-route "$TMP/out" 'HTTPRoute app/r: note: parent infra/gw: Accepted: attached to listener https$'
has cross-kept-sum "$TMP/out" '^2 objects checked .* 1 allowed, 1 denied; 1 errors, 0 warnings; 2 context objects; 1 other objects skipped$'
# a match nested deeper than any valid one: the schema's finding, not "out of memory"
t cross-deep-match 1 "$GW" check $X/deep-match.yaml
has cross-deep-match-schema "$TMP/out" 'HTTPRoute app/deep: error: spec.rules\[0\].matches\[0\].extra: strict decoding error: unknown field .*\[SCHEMA-UNKNOWN\]$'
has cross-deep-match-sum "$TMP/out" '^2 objects checked .* 1 allowed, 1 denied; 1 errors, 0 warnings; 2 context objects$'

# a kustomization's namespace applies below it (the outer one wins), as kustomize does
t kustomize-ns 0 "$GW" check data/cli/kust
has kustomize-ns-gw "$TMP/out" '^data/cli/kust/gateway.yaml:1: Gateway team-a/web: note: listener http: 1 route\(s\) attached'
has kustomize-ns-route "$TMP/out" '^data/cli/kust/sub/route.yaml:2: HTTPRoute team-a/web: note: parent team-a/web: Accepted'

# --no-cross: each object alone, so the redirect route that never attaches passes
t no-cross 0 "$GW" check --no-cross $X/state.yaml $X/redirect.yaml
has no-cross-summary "$TMP/out" '^2 objects checked .*2 allowed, 0 denied; 0 errors, 0 warnings'
t no-cross-state 2 "$GW" check --no-cross --state $X/state.yaml $X/redirect.yaml
has no-cross-state-msg "$TMP/err" '--state and --strict need the cross-object checks'

# TCPRoute and UDPRoute (v1alpha2): single-object rules, attachment to TCP/UDP listeners,
# their status and the listeners' attachedRoutes
t l4-good 0 "$GW" check --state $X/l4-state.yaml $X/l4-good.yaml
has l4-good-tcp "$TMP/out" '^data/cross/l4-good.yaml:2: TCPRoute data/db: note: parent infrastructure/edge: Accepted: attached to listener postgres$'
has l4-good-udp "$TMP/out" 'UDPRoute data/dns: note: parent infrastructure/edge: Accepted: attached to listener dns$'
has l4-good-summary "$TMP/out" '^2 objects checked \(0 Gateway, 0 HTTPRoute, 0 GRPCRoute, 1 TCPRoute, 1 UDPRoute\) in 2 files: 2 allowed'
t l4-wrong 1 "$GW" check --state $X/l4-state.yaml $X/l4-wrong.yaml
has l4-wrong-kind "$TMP/out" 'UDPRoute data/udp-on-tcp: error: .*admits only TCPRoute \(the default of protocol TCP\).*\[XO-KIND-NOT-ALLOWED\]$'
has l4-wrong-http "$TMP/out" 'TCPRoute infrastructure/tcp-on-http: error: .*admits only HTTPRoute, GRPCRoute.*\[XO-KIND-NOT-ALLOWED\]$'
has l4-wrong-grant "$TMP/out" 'TCPRoute infrastructure/tcp-on-http: error: .*kind: TCPRoute, namespace: infrastructure.*\[XO-REFGRANT\]$'
has l4-wrong-section "$TMP/out" 'TCPRoute data/no-listener: error: .*no listener named mysql.*\[XO-PARENT-SECTION\]$'
has l4-wrong-port "$TMP/out" 'TCPRoute data/no-listener: error: .*no port 3306.*\[XO-BACKEND-PORT\]$'
t l4-one-apply 1 "$GW" check -o json $X/l4-state.yaml $X/l4-good.yaml $X/l4-wrong.yaml
if python3 - "$TMP/out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
by = {(o["kind"], o["name"]): o for o in d["objects"]}
ls = {l["name"]: l for l in by[("Gateway", "edge")]["listeners"]}
assert ls["postgres"]["attachedRoutes"] == 1 and ls["dns"]["attachedRoutes"] == 1, ls
assert ls["web"]["attachedRoutes"] == 0, ls
assert ls["postgres"]["supportedKinds"] == [{"group": "gateway.networking.k8s.io", "kind": "TCPRoute"}], ls
assert ls["dns"]["supportedKinds"] == [{"group": "gateway.networking.k8s.io", "kind": "UDPRoute"}], ls
p = by[("TCPRoute", "db")]["parents"][0]
assert p["accepted"] is True and p["resolvedRefs"] is True and p["gateway"] == "infrastructure/edge", p
p = by[("UDPRoute", "udp-on-tcp")]["parents"][0]
assert p["accepted"] is False and p["reason"] == "NotAllowedByListeners", p
p = by[("TCPRoute", "no-listener")]["parents"][0]
assert p["reason"] == "NoMatchingParent" and p["refsReason"] == "BackendNotFound", p
assert by[("UDPRoute", "dns")]["allowed"] is True
PY
then pass=$((pass + 1)); else echo "FAIL l4-one-apply: unexpected JSON"; fail=$((fail + 1)); fi
t l4-conflict 0 "$GW" check --state $X/l4-state.yaml $X/l4-good.yaml $X/l4-conflict.yaml
has l4-conflict-warn "$TMP/out" 'TCPRoute data/db-2: warning: spec.parentRefs: TCPRoute data/db is attached to listener infrastructure/edge/postgres too and wins .*\[XO-MATCH-CONFLICT\]$'
if grep -q 'TCPRoute data/db: warning' "$TMP/out"; then
	echo "FAIL l4-conflict: the older route was reported"; fail=$((fail + 1))
else pass=$((pass + 1)); fi
t l4-single 1 "$GW" check --no-cross data/rules/l4route/l4route.yaml
has l4-single-rule "$TMP/out" 'TCPRoute apps/tcp-l4-rule-name-unique-fail-1: error: spec.rules\[2\].name: .*\[L4-RULE-NAME-UNIQUE\]$'
has l4-single-version "$TMP/out" 'TCPRoute apps/meta-apiversion-fail-1: error: apiVersion: .*v1alpha2 \[META-APIVERSION\]$'

# --policy: the Service patch each Gateway would get, validation policies, Kyverno import
P=data/policy
t policy-check 0 "$GW" check --policy ../policies/presets $P/cli/tree.yaml
has policy-svc-patch "$TMP/out" 'Gateway infra/public: note: Service infra/cilium-gateway-public: patch \[.*"service.beta.kubernetes.io/aws-load-balancer-scheme":"internet-facing".*"external-dns.alpha.kubernetes.io/hostname":"api.example.com,shop.example.com".*\{"op":"add","path":"/spec/loadBalancerClass","value":"service.k8s.aws/nlb"\}\]$'
has policy-legacy-patch "$TMP/out" 'Gateway infra/legacy: note: Service infra/cilium-gateway-legacy: patch \[\{"op":"add","path":"/metadata/annotations","value":\{"external-dns.alpha.kubernetes.io/hostname":"api.example.com"\}\}\]$'
has policy-dns-overlap "$TMP/out" 'Gateway infra/public: warning: metadata.annotations: external-dns hostname api.example.com is also published for Gateway infra/legacy.*\[POL-DNS-OVERLAP\]$'
has policy-certmgr "$TMP/out" 'Gateway infra/public: warning: spec.listeners\[1\]: listener nohost has no hostname: cert-manager .*\[POL-CERTMGR-LISTENER\]$'
t policy-check-json 0 "$GW" check -o json --policy ../policies/presets $P/cli/tree.yaml
if python3 - "$TMP/out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
by = {(o["kind"], o["name"]): o for o in d["objects"]}
pol = by[("Gateway", "public")]["policy"]
assert pol["service"] == "infra/cilium-gateway-public", pol
ops = {p["path"]: p for p in pol["servicePatch"]}
assert ops["/spec/loadBalancerClass"]["value"] == "service.k8s.aws/nlb", ops
a = ops["/metadata/annotations"]["value"]
assert a["external-dns.alpha.kubernetes.io/hostname"] == "api.example.com,shop.example.com", a
assert a["service.beta.kubernetes.io/aws-load-balancer-scheme"] == "internet-facing", a
assert pol["gatewayPatch"] == [], pol
assert "policy" not in by[("HTTPRoute", "shop")]
PY
then pass=$((pass + 1)); else echo "FAIL policy-check-json: unexpected JSON"; fail=$((fail + 1)); fi
t policy-examples 1 "$GW" check --policy ../policies $P/cli/tree.yaml
has policy-host-owner "$TMP/out" 'HTTPRoute apps/shop: error: spec.hostnames\[0\]: hostname shop.example.com belongs to platform .*hostname-ownership.yaml.*not to namespace apps \[POL-HOST-OWNER\]$'
# the user's two Kyverno ClusterPolicies, unchanged, with Flux variables
t policy-kyverno 0 "$GW" check --policy $P/kyverno/policies --var cluster_name=mycluster-0 \
	--var domain_name=cloud.ogenki.io $P/kyverno/gateways
has policy-kyverno-private "$TMP/out" 'Gateway infrastructure/platform-private: note: Service infrastructure/cilium-gateway-platform-private: patch \[\{"op":"add","path":"/metadata/annotations","value":\{"external-dns.alpha.kubernetes.io/hostname":"gitops-mycluster-0.priv.cloud.ogenki.io,grafana-mycluster-0.priv.cloud.ogenki.io,harbor.priv.cloud.ogenki.io","service.beta.kubernetes.io/aws-load-balancer-scheme":"internal","service.beta.kubernetes.io/aws-load-balancer-backend-protocol":"tcp"\}\},\{"op":"add","path":"/spec/loadBalancerClass","value":"service.k8s.aws/nlb"\}\]$'
has policy-kyverno-public "$TMP/out" 'Service infrastructure/cilium-gateway-platform-public: patch .*"vector-cloudwatch-mycluster-0.cloud.ogenki.io".*"internet-facing"'
# bad policies: a clear error at start naming the file and the field, nothing checked
t policy-bad 2 "$GW" check --policy $P/bad.yaml $P/cli/tree.yaml
has policy-bad-msg "$TMP/err" 'bad.yaml:2: ServicePolicy typo: spec.service.loadBalancerClas is not supported'
[[ ! -s "$TMP/out" ]] && pass=$((pass + 1)) || { echo "FAIL policy-bad: output despite a bad policy"; fail=$((fail + 1)); }
t policy-kyverno-unsupported 2 "$GW" check --policy $P/cli/kyverno-unsupported.yaml $P/cli/tree.yaml
has policy-kyverno-unsupported-msg "$TMP/err" 'ClusterPolicy with-context: spec.rules\[0\]\.context is not supported'
t policy-missing 2 "$GW" check --policy $P/nope $P/cli/tree.yaml
has policy-missing-msg "$TMP/err" 'nope'
t policy-tree-is-not-policy 2 "$GW" check --policy $P/cli/tree.yaml $P/cli/tree.yaml
has policy-tree-msg "$TMP/err" 'GatewayClass cilium is not a policy'
t policy-no-cross 2 "$GW" check --no-cross --policy ../policies/presets $P/cli/tree.yaml

# docs/rules.md lists every rule id the code knows
for id in $("$GW" rules | awk '{print $1}'); do
	if grep -q -F "\`$id\`" ../docs/rules.md; then pass=$((pass + 1)); else
		echo "FAIL docs: $id missing from docs/rules.md"; fail=$((fail + 1)); fi
done

# GATEWARDEN_TIMING=1: one line of phase times on stderr, nothing on stdout changes
t timing 0 env GATEWARDEN_TIMING=1 "$GW" check $D/valid.yaml
has timing-line "$TMP/err" '^gatewarden check: timing: read [0-9.]+ s, cross-object pass [0-9.]+ s, policies [0-9.]+ s, report [0-9.]+ s, kept [0-9.]+ MiB$'
has timing-out "$TMP/out" '^1 objects checked'

# Huge pages (cli/hugepages.c): check re-executes itself with glibc.malloc.hugetlb=1, so
# glibc's heap is advised for transparent huge pages ("hg" in its VmFlags), also when
# the user already set another tunable; GATEWARDEN_HUGEPAGES=0 turns it off. check reads its input
# from a FIFO here, so the process is alive while its smaps is read.
heap_flags() { # heap_flags ENV...: the [heap] VmFlags of `check -` run with ENV
	local pid flags=""
	rm -f "$TMP/fifo" && mkfifo "$TMP/fifo"
	env "$@" "$GW" check - <"$TMP/fifo" >"$TMP/hp.out" 2>&1 &
	pid=$!
	exec 3>"$TMP/fifo"
	cat $D/valid.yaml >&3
	for _ in $(seq 1 50); do # until the document is read (the heap exists by then)
		flags=$(awk '/\[heap\]/ { h = 1 } h && /^VmFlags/ { print; exit }' /proc/$pid/smaps 2>/dev/null)
		[[ -n $flags ]] && grep -q "GLIBC_TUNABLES=.*hugetlb\|GATEWARDEN_HUGEPAGES=0" /proc/$pid/environ 2>/dev/null && break
		sleep 0.1
	done
	exec 3>&-
	wait $pid
	echo "$flags exit=$?"
}
thp=$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)
if [[ -n ${GW_SANITIZED:-} ]]; then
	echo "skip hugepages: the sanitizers' allocator is not glibc's"
elif [[ $thp != *"[madvise]"* && $thp != *"[always]"* ]]; then
	echo "skip hugepages: transparent huge pages are off here (${thp:-no sysfs})"
else
	hp=$(heap_flags GLIBC_TUNABLES=glibc.malloc.perturb=0)
	if [[ $hp == *" hg "*exit=0 ]]; then pass=$((pass + 1)); else
		echo "FAIL hugepages-on: heap not advised for huge pages: $hp"; fail=$((fail + 1)); fi
	has hugepages-output "$TMP/hp.out" '^1 objects checked'
	hp=$(heap_flags GATEWARDEN_HUGEPAGES=0)
	if [[ $hp == *VmFlags* && $hp != *" hg "* && $hp == *exit=0 ]]; then pass=$((pass + 1)); else
		echo "FAIL hugepages-off: GATEWARDEN_HUGEPAGES=0 still advised the heap: $hp"; fail=$((fail + 1)); fi
fi

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
