/*
 * polsrc: the policy set `serve` uses, reloaded when its files change. Readers take a
 * reference for one review (polsrc_acquire / polsrc_release), so a reload never frees
 * a set in use. A reload that fails (bad YAML, unsupported Kyverno feature, unreadable
 * file) keeps the set in force and logs why.
 */
#ifndef WEBHOOK_POLSRC_H
#define WEBHOOK_POLSRC_H

#include <stddef.h>

#include "err.h"
#include "subst.h"

struct policy_set;
struct polsrc;

/* Load paths (borrowed, must outlive the polsrc) now; err names the first problem.
 * With reload_ms > 0 a thread re-reads them when a file under them changes. */
int polsrc_start(const char *const *paths, size_t npaths, const struct subst_vars *vars, unsigned reload_ms,
		 struct polsrc **ret, struct err *err);
/* The set in force (never NULL: an empty set when no paths), held until release
 * with the token acquire gave. */
const struct policy_set *polsrc_acquire(struct polsrc *p, void **ret_token);
void polsrc_release(struct polsrc *p, void *token);
/* Re-read now (SIGHUP). Returns 0 or the error that kept the old set. */
int polsrc_reload(struct polsrc *p, struct err *err);
size_t polsrc_count(struct polsrc *p);
void polsrc_stop(struct polsrc *p);

#endif
