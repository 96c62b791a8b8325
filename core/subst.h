/*
 * subst: Flux post-build variable substitution on text. `${NAME}` becomes the value of
 * NAME; `${NAME:=default}` and `${NAME:-default}` use the default when NAME is unset;
 * `$${NAME}` is an escape for a literal `${NAME}`; an unset NAME without a default is
 * left exactly as written (the API server would then reject the field, as in a cluster).
 * Pure.
 */
#ifndef CORE_SUBST_H
#define CORE_SUBST_H

#include <stddef.h>

struct err;

#define SUBST_MAX_VARS 128

struct subst_vars {
	size_t n;
	struct {
		const char *name;  /* borrowed */
		const char *value; /* borrowed */
	} v[SUBST_MAX_VARS];
};

void subst_init(struct subst_vars *vars);
/* Record "NAME=VALUE" (borrowed: spec must outlive vars; it is split in place).
 * NAME must match [A-Za-z_][A-Za-z0-9_]*. Returns 0 or ERR_INVALID/ERR_LIMIT. */
int subst_add(struct subst_vars *vars, char *spec, struct err *err);
/* Substitute in (len bytes) into out (outcap bytes, NUL-terminated when it fits).
 * Returns the length of the full result; when it is >= outcap the output was cut and
 * the caller retries with a larger buffer (snprintf convention). */
size_t subst_apply(const struct subst_vars *vars, const char *in, size_t len, char *out, size_t outcap);

#endif
