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
