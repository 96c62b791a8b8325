/*
 * report: see report.h. Text lines follow
 *   FILE:LINE: KIND NAMESPACE/NAME: error|warning: FIELD: MESSAGE [RULE-ID]
 * JSON follows the shape documented in docs/check.md.
 */
#include "report.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

void report_init(struct report *r, enum report_format fmt, FILE *out)
{
	memset(r, 0, sizeof(*r));
	r->format = fmt;
	r->out = out;
}

void report_release(struct report *r)
{
	for (size_t i = 0; i < r->nproblems; i++) {
		free(r->problems[i].source);
		free(r->problems[i].message);
	}
	free(r->problems);
	r->problems = NULL;
	r->nproblems = r->capproblems = 0;
}

void report_input_error(struct report *r, const char *source, const char *msg)
{
	if (r->format == REPORT_TEXT)
		fprintf(stderr, "%s: error: %s\n", source, msg);
	if (r->nproblems == r->capproblems) {
		size_t ncap = r->capproblems ? r->capproblems * 2 : 8;
		struct input_problem *np = realloc(r->problems, ncap * sizeof(*np));

		if (np == NULL)
			return;
		r->problems = np;
		r->capproblems = ncap;
	}
	r->problems[r->nproblems].source = strdup(source);
	r->problems[r->nproblems].message = strdup(msg);
	r->nproblems++;
}

bool report_obj_allowed(const struct report_obj *o)
{
	return o->fs.nerrors == 0;
}

void report_begin(struct report *r)
{
	if (r->format == REPORT_JSON)
		fputs("{\"objects\":[", r->out);
}

static json_t *findings_json(const struct findings *fs, enum severity sev)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < fs->n; i++) {
		const struct finding *f = &fs->v[i];

		if (f->sev != sev)
			continue;
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "rule", f->rule, "field", f->field,
						     "message", f->message));
	}
	return arr;
}

static void object_json(struct report *r, const struct report_obj *o)
{
	char src[4096];
	json_t *j;

	snprintf(src, sizeof(src), "%s:%d", o->source, o->line);
	j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:o, s:o}", "source", src, "apiVersion",
		      o->api_version ? o->api_version : "", "kind", kind_name(o->kind), "namespace", o->ns,
		      "name", o->name, "allowed", report_obj_allowed(o), "errors", findings_json(&o->fs, SEV_ERROR),
		      "warnings", findings_json(&o->fs, SEV_WARNING));
	if (j == NULL)
		return;
	if (o->fs.dropped)
		json_object_set_new(j, "omittedFindings", json_integer((json_int_t)o->fs.dropped));
	if (o->status != NULL)
		json_object_set_new(j, o->kind == KIND_GATEWAY ? "listeners" : "parents", status_json(o->status));
	if (o->policy)
		json_object_set(j, "policy", o->policy);
	if (r->nobjects_written++)
		fputc(',', r->out);
	json_dumpf(j, r->out, JSON_COMPACT);
	json_decref(j);
}

/* One note per route parent and per Gateway listener, after the findings. */
static void notes_text(struct report *r, const struct report_obj *o)
{
	char prefix[4608];

	if (o->status == NULL)
		return;
	snprintf(prefix, sizeof(prefix), "%s:%d: %s %s/%s", o->source, o->line, kind_name(o->kind), o->ns, o->name);
	status_text(o->status, r->out, prefix);
}

/* With --policy: the patches a Gateway and its generated Service would get. */
static void policy_text(struct report *r, const struct report_obj *o)
{
	static const char *const what[] = { "servicePatch", "gatewayPatch" };

	for (size_t i = 0; o->policy != NULL && i < 2; i++) {
		const json_t *p = json_object_get(o->policy, what[i]);
		char *s = json_array_size(p) > 0 ? json_dumps(p, JSON_COMPACT) : NULL;

		if (i == 0)
			fprintf(r->out, "%s:%d: %s %s/%s: note: Service %s: %s%s\n", o->source, o->line,
				kind_name(o->kind), o->ns, o->name,
				json_string_value(json_object_get(o->policy, "service")),
				s ? "patch " : "no patch", s ? s : "");
		else if (s != NULL)
			fprintf(r->out, "%s:%d: %s %s/%s: note: Gateway defaults: patch %s\n", o->source, o->line,
				kind_name(o->kind), o->ns, o->name, s);
		free(s);
	}
}

void report_object(struct report *r, const struct report_obj *o)
{
	if (r->format == REPORT_JSON) {
		object_json(r, o);
		return;
	}
	for (size_t i = 0; i < o->fs.n; i++) {
		const struct finding *f = &o->fs.v[i];

		fprintf(r->out, "%s:%d: %s %s/%s: %s: %s%s%s [%s]\n", o->source, o->line, kind_name(o->kind), o->ns,
			o->name, f->sev == SEV_ERROR ? "error" : "warning", f->field, f->field[0] ? ": " : "",
			f->message, f->rule);
	}
	if (o->fs.dropped)
		fprintf(r->out, "%s:%d: %s %s/%s: note: %zu more findings not shown\n", o->source, o->line,
			kind_name(o->kind), o->ns, o->name, o->fs.dropped);
	notes_text(r, o);
	policy_text(r, o);
	r->nobjects_written++;
}

void report_end(struct report *r, const struct report_summary *s)
{
	if (r->format == REPORT_JSON) {
		json_t *sum = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "objects", (json_int_t)s->objects,
					"allowed", (json_int_t)s->allowed, "denied", (json_int_t)s->denied, "errors",
					(json_int_t)s->errors, "warnings", (json_int_t)s->warnings, "skipped",
					(json_int_t)s->skipped, "context", (json_int_t)s->context, "files", (json_int_t)s->files, "inputErrors",
					(json_int_t)s->input_errors);
		json_t *probs = json_array();

		for (size_t i = 0; probs && i < r->nproblems; i++)
			json_array_append_new(probs, json_pack("{s:s?, s:s?}", "source", r->problems[i].source,
							       "message", r->problems[i].message));
		fputs("],\"summary\":", r->out);
		json_dumpf(sum, r->out, JSON_COMPACT);
		fputs(",\"inputErrors\":", r->out);
		json_dumpf(probs, r->out, JSON_COMPACT);
		fputs("}\n", r->out);
		json_decref(sum);
		json_decref(probs);
		return;
	}
	fprintf(r->out, "%lu objects checked (%lu Gateway, %lu HTTPRoute, %lu GRPCRoute", s->objects, s->by_kind[KIND_GATEWAY],
		s->by_kind[KIND_HTTPROUTE], s->by_kind[KIND_GRPCROUTE]);
	/* the experimental L4 routes only when there are some, so the usual line stays as it was */
	if (s->by_kind[KIND_TCPROUTE] || s->by_kind[KIND_UDPROUTE])
		fprintf(r->out, ", %lu TCPRoute, %lu UDPRoute", s->by_kind[KIND_TCPROUTE], s->by_kind[KIND_UDPROUTE]);
	fprintf(r->out, ") in %lu files: %lu allowed, %lu denied; %lu errors, %lu warnings", s->files,
		s->allowed, s->denied, s->errors, s->warnings);
	if (s->context)
		fprintf(r->out, "; %lu context objects", s->context);
	if (s->skipped)
		fprintf(r->out, "; %lu other objects skipped", s->skipped);
	if (s->input_errors)
		fprintf(r->out, "; %lu input errors", s->input_errors);
	fputc('\n', r->out);
}
