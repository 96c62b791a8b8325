/* findings: see findings.h. */
#include "findings.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void findings_init(struct findings *fs, const struct rules_config *cfg)
{
	memset(fs, 0, sizeof(*fs));
	fs->cfg = cfg;
}

void findings_release(struct findings *fs)
{
	for (size_t i = 0; i < fs->n; i++) {
		free(fs->v[i].field);
		free(fs->v[i].message);
	}
	free(fs->v);
	fs->v = NULL;
	fs->n = fs->cap = 0;
}

static __attribute__((format(printf, 5, 0))) void addv(struct findings *fs, enum severity sev, const char *rule,
							 const char *field, const char *fmt, va_list ap)
{
	enum rule_action act = rules_config_action(fs->cfg, rule);
	struct finding *f;
	char msg[1024];

	if (act == RULE_OFF)
		return;
	if (act == RULE_ERROR)
		sev = SEV_ERROR;
	else if (act == RULE_WARN)
		sev = SEV_WARNING;
	if (sev == SEV_ERROR)
		fs->nerrors++;
	else
		fs->nwarnings++;
	if (fs->n >= FINDINGS_MAX) {
		fs->dropped++;
		return;
	}
	if (fs->n == fs->cap) {
		size_t ncap = fs->cap ? fs->cap * 2 : 4;
		struct finding *nv = realloc(fs->v, ncap * sizeof(*nv));

		if (nv == NULL) {
			fs->nomem = true;
			fs->dropped++;
			return;
		}
		fs->v = nv;
		fs->cap = ncap;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	f = &fs->v[fs->n];
	f->rule = rule;
	f->sev = sev;
	f->field = strdup(field ? field : "");
	f->message = strdup(msg);
	if (f->field == NULL || f->message == NULL) {
		free(f->field);
		free(f->message);
		fs->nomem = true;
		fs->dropped++;
		return;
	}
	fs->n++;
}

void findings_add(struct findings *fs, const char *rule, const char *field, const char *fmt, ...)
{
	const struct rules_info *ri = rules_find(rule);
	va_list ap;

	va_start(ap, fmt);
	addv(fs, ri ? ri->severity : SEV_ERROR, ri ? ri->id : "INTERNAL", field, fmt, ap);
	va_end(ap);
}

void findings_add_sev(struct findings *fs, enum severity sev, const char *rule, const char *field,
		      const char *fmt, ...)
{
	const struct rules_info *ri = rules_find(rule);
	va_list ap;

	va_start(ap, fmt);
	addv(fs, sev, ri ? ri->id : "INTERNAL", field, fmt, ap);
	va_end(ap);
}

bool findings_has_rule(const struct findings *fs, const char *rule)
{
	for (size_t i = 0; i < fs->n; i++)
		if (strcmp(fs->v[i].rule, rule) == 0)
			return true;
	return false;
}

void findings_move(struct findings *dst, struct findings *src)
{
	for (size_t i = 0; i < src->n; i++) {
		struct finding *f = &src->v[i];

		if (dst->n >= FINDINGS_MAX || (dst->n == dst->cap && dst->cap >= FINDINGS_MAX)) {
			dst->dropped++;
			free(f->field);
			free(f->message);
			continue;
		}
		if (dst->n == dst->cap) {
			size_t ncap = dst->cap ? dst->cap * 2 : 4;
			struct finding *nv = realloc(dst->v, ncap * sizeof(*nv));

			if (nv == NULL) {
				dst->nomem = true;
				dst->dropped++;
				free(f->field);
				free(f->message);
				continue;
			}
			dst->v = nv;
			dst->cap = ncap;
		}
		dst->v[dst->n++] = *f;
	}
	dst->nerrors += src->nerrors;
	dst->nwarnings += src->nwarnings;
	dst->dropped += src->dropped;
	src->n = 0;
	src->nerrors = src->nwarnings = src->dropped = 0;
}
