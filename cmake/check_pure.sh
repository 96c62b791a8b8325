#!/bin/sh
# Fails when the core archive references a symbol outside the allow-list below: the
# allow-list is memory, string and number handling, character classes, jansson and the
# compiler's own runtime (stack protector, sanitizers and their coverage counters,
# fortify, the CPU feature flags __builtin_cpu_supports reads). Anything else (fopen,
# printf, time, clock_gettime, syslog, pthread_*, socket, getenv, ...) is I/O or state
# that core/ must not touch.
set -eu
lib="$1"
allowed='^(malloc|calloc|realloc|free|strdup|strndup|memcpy|memmove|memset|memcmp|memchr|memrchr|memmem|strlen|strnlen|strcmp|strncmp|strcasecmp|strncasecmp|strchr|strrchr|strstr|strspn|strcspn|strtol|strtoll|strtoul|strtoull|strtod|__errno_location|snprintf|vsnprintf|qsort|bsearch|tolower|toupper|abort|inet_pton|__ctype_b_loc|__ctype_tolower_loc|__ctype_toupper_loc|__stack_chk_fail|__assert_fail|__[a-z0-9_]*_chk|__isoc99_sscanf|__isoc23_strtol|__isoc23_strtoll|__isoc23_strtoul|__isoc23_strtoull|json_[a-z_0-9]*|jansson_[a-z_0-9]*|__asan_[A-Za-z0-9_]*|__tsan_[A-Za-z0-9_]*|__ubsan_[A-Za-z0-9_]*|__sanitizer_[A-Za-z0-9_]*|__sancov_[A-Za-z0-9_]*|__cpu_model|_GLOBAL_OFFSET_TABLE_)$'
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# symbols the archive defines itself are fine; archive member headers end in ':'
nm --defined-only -g "$lib" 2>/dev/null | awk 'NF==3 {print $3}' | sort -u > "$tmp/defined"
nm -u "$lib" 2>/dev/null | awk '$1=="U" {print $2}' | sed 's/@.*//' | sort -u > "$tmp/undefined"
# symbols with a core module prefix that no member defines yet are the linker's to
# report, not a purity problem
modules='^(check|schema|route|regex|hostname|pattern|path|rules|findings|engine|defaults|kind|jv|err|subst|store|attach|model|arena|hmap|labels|view|conflict|gwstatus|overlay|admit|jparse|lbplan|lbslots|jpatch|policy|jintern|b64|jwrite|ptab)_'
bad=$(comm -23 "$tmp/undefined" "$tmp/defined" | grep -v -E "$allowed" | grep -v -E "$modules" || true)
if [ -n "$bad" ]; then
  echo "core/ is not pure: it references" >&2
  echo "$bad" | sed 's/^/  /' >&2
  exit 1
fi
