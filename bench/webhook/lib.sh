# bench/webhook/lib.sh: shell functions the webhook benchmarks share (sourced).

# wait_serving LOG [STEPS]: wait, at most STEPS (default 100) times 0.2 s, until the
# gatewarden serve that writes LOG logs that it serves; on time-out print LOG and fail.
wait_serving() {
	local log=$1 steps=${2:-100}

	for _ in $(seq "$steps"); do
		grep -q '"msg":"serving"' "$log" 2>/dev/null && return 0
		sleep 0.2
	done
	cat "$log" >&2
	return 1
}

# need_inputs SCRIPT [CMD[=PACKAGE]...]: exit 2, naming SCRIPT, unless the inputs
# run.sh makes are in $OUT and every CMD is on PATH (PACKAGE: its Debian package, when
# the names differ).
need_inputs() {
	local who=$1 f t
	shift
	for f in tls.crt tls.key state.yaml validate.json post.lua nginx.conf; do
		[[ -s $OUT/$f ]] || { echo "$who: $OUT/$f missing: run bench/webhook/run.sh once first" >&2; exit 2; }
	done
	for t in "$@"; do
		command -v "${t%%=*}" >/dev/null || { echo "$who: ${t%%=*} missing (apt-get install ${t#*=})" >&2; exit 2; }
	done
}
