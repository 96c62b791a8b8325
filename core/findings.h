/*
 * findings: the list of problems found in one object. Each finding has a rule id (a
 * string literal from the rules registry, borrowed), a severity, a field path and a
 * message (both owned by the list). The list is capped at FINDINGS_MAX entries; further
 * findings are counted in `dropped`. Rule overrides (`--rule ID=off|warn|error`) are
 * applied when a finding is added, so callers always add with the rule's natural
 * severity. Allocation failure is sticky (`nomem`) and never loses the count.
 */
#ifndef CORE_FINDINGS_H
#define CORE_FINDINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "rules.h"

#define FINDINGS_MAX 64

struct finding {
	const char *rule;   /* borrowed: rules registry id */
	enum severity sev;
	char *field;        /* owned; "" when the finding is about the whole object */
	char *message;      /* owned */
};

struct findings {
	struct finding *v;
	size_t n, cap;
	size_t dropped;                 /* findings beyond FINDINGS_MAX */
	size_t nerrors, nwarnings;      /* including dropped ones */
	bool nomem;
	const struct rules_config *cfg; /* borrowed, may be NULL */
};

void findings_init(struct findings *fs, const struct rules_config *cfg);
void findings_release(struct findings *fs);

/* Add a finding for rule `rule` with its registry severity. */
void findings_add(struct findings *fs, const char *rule, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Add with an explicit natural severity (for rules whose severity depends on context,
 * e.g. a missing reference is a warning unless --strict). Overrides still apply. */
void findings_add_sev(struct findings *fs, enum severity sev, const char *rule, const char *field,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

bool findings_has_rule(const struct findings *fs, const char *rule);
/* Move every finding of src to the end of dst (src is left empty). */
void findings_move(struct findings *dst, struct findings *src);

#endif
