/*
 * rules: the registry of every rule id the engine reports (ids from
 * spec/gateway-api-rules.md, plus the GR-* ids for GRPCRoute), with its default
 * severity and a one-line summary, and the per-run configuration that switches
 * rules off or changes their severity (`check --rule ID=off|warn|error`).
 * The registry is a constant table; pure.
 */
#ifndef CORE_RULES_H
#define CORE_RULES_H

#include <stdbool.h>
#include <stddef.h>

struct err;

enum severity {
	SEV_ERROR = 0,   /* the object is denied */
	SEV_WARNING = 1, /* allowed, reported as an admission warning */
};

enum rule_action {
	RULE_DEFAULT = 0,
	RULE_ERROR,
	RULE_WARN,
	RULE_OFF,
};

enum rule_scope {
	RULE_SINGLE = 0, /* decided from the object alone */
	RULE_CROSS,      /* needs other objects (XO-*) */
};

struct rules_info {
	const char *id;
	enum severity severity;
	enum rule_scope scope;
	const char *summary;
};

#define RULES_CONFIG_MAX 64

struct rules_config {
	size_t n;
	struct {
		const struct rules_info *rule;
		enum rule_action action;
	} v[RULES_CONFIG_MAX];
	bool strict; /* missing references (warn-when-missing rules) become errors */
};

/* The whole table; *ret_n receives its length. */
const struct rules_info *rules_all(size_t *ret_n);
/* Look a rule up by id; NULL when unknown. */
const struct rules_info *rules_find(const char *id);

void rules_config_init(struct rules_config *c);
/* Parse "ID=off|warn|error" and record it. Returns 0 or ERR_INVALID/ERR_LIMIT. */
int rules_config_set(struct rules_config *c, const char *spec, struct err *err);
/* The action configured for id (RULE_DEFAULT when none). */
enum rule_action rules_config_action(const struct rules_config *c, const char *id);

#endif
