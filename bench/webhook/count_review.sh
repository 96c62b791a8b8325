#!/usr/bin/env bash
# bench/webhook/count_review.sh: instructions per admission review in the engine alone
# (webhook_review without HTTP or TLS, bench/webhook/reviewloop.c), counted by callgrind
# so that the VM's drifting speed does not move them. One column per build, side by side:
#
#   bash bench/webhook/count_review.sh                          # bench/out/webhook/build
#   BUILDS="/tmp/build-old /tmp/build-new" bash bench/webhook/count_review.sh
#
# Each build is a CMake build directory of this tree (RelWithDebInfo, as run.sh makes
# it); reviewloop is compiled against its static libraries with the headers of this
# checkout, so compare builds of commits whose headers agree. Rows: the HTTPRoute CREATE
# on /validate and /mutate (review.py validate), the same route's UPDATE as Flux's
# server-side apply sends it (review.py update), and the Service CREATE on /mutate
# under run.sh's policy. Needs valgrind and run.sh's state.yaml and policy.yaml (run
# run.sh once). N=300 reviews per row (the first one, which fills caches, included).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=bench/out/webhook
BUILDS=${BUILDS:-$OUT/build}
N=${N:-300}
for f in state.yaml policy.yaml; do
	[ -s "$OUT/$f" ] || { echo "count_review.sh: $OUT/$f missing: run bench/webhook/run.sh once" >&2; exit 2; }
done
command -v valgrind >/dev/null || { echo "count_review.sh: needs valgrind (apt-get install valgrind)" >&2; exit 2; }
python3 bench/webhook/review.py validate "$OUT/validate.json"
python3 bench/webhook/review.py update "$OUT/update.json"
python3 bench/webhook/review.py service "$OUT/service.json"

libs=$(pkg-config --libs jansson yaml-0.1 libmicrohttpd gnutls openssl)
header="| review |"
rows=("| HTTPRoute CREATE, /validate |" "| HTTPRoute UPDATE (Flux), /validate |"
	"| HTTPRoute CREATE, /mutate |" "| Service CREATE, /mutate (policy) |")
args=("validate.json validate" "update.json validate" "validate.json mutate" "service.json mutate")
i=0
for b in $BUILDS; do
	exe=$OUT/reviewloop.$i
	# shellcheck disable=SC2086
	cc -O2 -g -o "$exe" bench/webhook/reviewloop.c -Icore -Icommon -Iwebhook -Icli \
		"$b/webhook/libgw_webhook.a" "$b/cli/libgw_io.a" "$b/common/libgw_common.a" \
		"$b/certs/libgw_certs.a" "$b/core/libgw_core.a" $libs -lpthread -lm
	header="$header $b |"
	for r in 0 1 2 3; do
		read -r body ep <<<"${args[$r]}"
		pol=()
		[ "$ep" = mutate ] && [ "$body" = service.json ] && pol=("$OUT/policy.yaml")
		valgrind --tool=callgrind --toggle-collect=webhook_review --callgrind-out-file="$OUT/cg.review" \
			"$exe" "$OUT/state.yaml" "$OUT/$body" "$N" "$ep" "${pol[@]}" >/dev/null 2>"$OUT/cg.review.log"
		total=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$OUT/cg.review.log")
		rows[r]="${rows[$r]} $((total / N)) |"
	done
	i=$((i + 1))
done
echo "$header"
echo "|---|$(for _ in $BUILDS; do printf -- '---:|'; done)"
printf '%s\n' "${rows[@]}"
