/*
 * report: renders check results, as compiler-style text lines or as one JSON document
 * (written object by object, so the output is never built whole in memory).
 */
#ifndef CLI_REPORT_H
#define CLI_REPORT_H

#include <jansson.h>
#include <stdio.h>

#include "findings.h"
#include "kind.h"
#include "status.h"

struct report_obj {
	const char *source;      /* borrowed, interned file name */
	int line;
	enum kind kind;
	char *api_version;       /* owned */
	char *ns;                /* owned, never NULL */
	char *name;              /* owned, never NULL */
	struct findings fs;
	json_t *obj;             /* owned reference while the cluster is evaluated */
	struct status *status;   /* owned: routes: parents; Gateways: listeners; or NULL */
	json_t *policy;          /* owned: Gateways with --policy: {service, servicePatch,
				  * gatewayPatch} (cli/policyload.h); or NULL */
};

struct report_summary {
	unsigned long objects, allowed, denied, errors, warnings, skipped, context, input_errors, files;
	unsigned long by_kind[KIND_MAX];
};

enum report_format {
	REPORT_TEXT = 0,
	REPORT_JSON,
};

struct report {
	enum report_format format;
	FILE *out;
	unsigned long nobjects_written;
	struct input_problem {
		char *source;
		char *message;
	} *problems;
	size_t nproblems, capproblems;
};

void report_init(struct report *r, enum report_format fmt, FILE *out);
void report_release(struct report *r);
/* Remember an input problem; text mode also prints it to stderr at once. */
void report_input_error(struct report *r, const char *source, const char *msg);
void report_begin(struct report *r);
void report_object(struct report *r, const struct report_obj *o);
void report_end(struct report *r, const struct report_summary *s);
bool report_obj_allowed(const struct report_obj *o);

#endif
