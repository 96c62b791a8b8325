#!/usr/bin/env bash
# gatewarden's threads under ThreadSanitizer: check's scanner thread that reads ahead and
# its thread that attaches routes ahead of the cluster pass, serve's worker threads
# under concurrent reviews and /metrics, then reconcile's cache, leader-election and
# metrics threads (two replicas against the test API server). Any race report fails.
# usage: threads.sh PATH/TO/gatewarden-built-with-GW_TSAN   (run from tests/)
set -u
GW=$1
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export TSAN_OPTIONS="halt_on_error=1 exitcode=66"
fail=0
python3 cli/many_routes.py 200 "$TMP/few.yaml"
python3 cli/many_routes.py 3000 "$TMP/many.yaml"
for f in few many; do
	for threads in "" 1; do
		GATEWARDEN_THREADS=$threads "$GW" check -o json --state data/cross/state.yaml "$TMP/$f.yaml" \
			>"$TMP/out-$f$threads.json" 2>"$TMP/err"
		rc=$?
		if [[ $rc -ne 1 ]] || grep -q ThreadSanitizer "$TMP/err"; then
			echo "FAIL threads $f (GATEWARDEN_THREADS=$threads): exit $rc, want 1 (denied), and no race report"
			head -40 "$TMP/err"
			fail=$((fail + 1))
		fi
	done
	if ! cmp -s "$TMP/out-$f.json" "$TMP/out-${f}1.json"; then
		echo "FAIL threads $f: the two-thread report differs from the one-thread one"
		fail=$((fail + 1))
	fi
done

# serve's worker threads: concurrent reviews of every example, on /validate and /mutate,
# all reading one cluster view and one policy set
"$GW" certs generate --out "$TMP/certs" --dns localhost --ip 127.0.0.1 --days 1 >/dev/null 2>&1
# jansson.h's json_incref reads the count (to skip its static singletons) before its
# atomic increment; jansson documents reference counting as thread-safe
printf 'race:json_incref\n' >"$TMP/supp"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
TSAN_OPTIONS="halt_on_error=0 exitcode=66 suppressions=$TMP/supp" "$GW" serve --listen "127.0.0.1:$port" \
	--tls-cert "$TMP/certs/tls.crt" --tls-key "$TMP/certs/tls.key" --state ../examples/cluster-state \
	--state ../examples/guide --var domain_name=cloud.ogenki.io --policy ../policies/presets \
	>"$TMP/serve.log" 2>&1 &
spid=$!
for _ in $(seq 100); do # hang guard, not a timing threshold
	curl -s -o /dev/null --cacert "$TMP/certs/ca.crt" "https://127.0.0.1:$port/readyz" && break
	sleep 0.1
done
client() {
	for _ in $(seq 10); do
		for f in ../examples/admission/*.json; do
			for ep in validate mutate; do
				curl -s -o /dev/null -w '%{http_code}\n' --cacert "$TMP/certs/ca.crt" \
					-H 'Content-Type: application/json' --data-binary @"$f" "https://127.0.0.1:$port/$ep"
			done
		done
		curl -s -o /dev/null -w '%{http_code}\n' --cacert "$TMP/certs/ca.crt" "https://127.0.0.1:$port/metrics"
	done
}
pids=()
for c in 1 2 3 4 5 6; do
	client >"$TMP/codes.$c" &
	pids+=($!)
done
wait "${pids[@]}"
kill -TERM "$spid"
wait "$spid"
src=$?
ok=$(cat "$TMP"/codes.* | grep -c '^200$')
total=$(cat "$TMP"/codes.* | wc -l)
if [[ $src -ne 0 || $ok -ne $total || $total -eq 0 ]] || grep -q ThreadSanitizer "$TMP/serve.log"; then
	echo "FAIL threads serve: exit $src, $ok of $total answers 200; server log:"
	grep -v '"decision"' "$TMP/serve.log" | head -60
	fail=$((fail + 1))
else
	echo "threads serve: $total reviews from 6 clients, all answered 200, no race report"
fi

# reconcile: the test exits non-zero when a replica does not exit 0 (66: a race report)
if TSAN_OPTIONS="halt_on_error=0 exitcode=66 suppressions=$TMP/supp" \
	python3 apiserver/reconcile_test.py "$GW" >"$TMP/reconcile.log" 2>&1; then
	echo "threads reconcile: two replicas, leader election and metrics, no race report"
else
	echo "FAIL threads reconcile:"
	grep -v '^ok: ' "$TMP/reconcile.log" | head -120
	fail=$((fail + 1))
fi
echo "threads: $((6 - fail)) of 6 runs clean"
[[ $fail -eq 0 ]]
