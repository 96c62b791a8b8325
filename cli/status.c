/*
 * status: see status.h. A status is one block: the struct, its array of parents or
 * listeners (with each listener's kinds as pointers), then the strings. A parent's
 * parentRef is kept as compact JSON text in the block, read back only for -o json:
 * check parses each route for the pass and frees it after, and a reference into the
 * route kept its parentRef's nodes alive, scattered over the heap.
 */
#include "status.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attach.h"
#include "gwstatus.h"
#include "jwrite.h"
#include "yamldoc.h"

struct sparent {
	const char *parent_ref;    /* compact JSON (jwrite) in the block, or NULL */
	size_t parent_ref_len;
	const char *gateway;       /* "ns/name", in the block */
	const char *message;       /* in the block */
	const char *reason;        /* literal, or NULL */
	const char *refs_reason;   /* literal, or NULL */
	bool accepted, resolved_refs;
};

struct scond {
	const char *type, *status, *reason; /* literals */
	const char *message;       /* in the block */
};

struct slistener {
	const char *name;          /* in the block */
	size_t attached;
	const char **kinds;        /* nkinds pointers, in the block */
	size_t nkinds;
	struct scond conds[GWSTATUS_CONDS];
	size_t nconds;
};

struct status {
	bool gateway;              /* listeners, else parents */
	size_t n;
	struct sparent *parents;
	struct slistener *listeners;
};

/* copies s to *cur and advances it */
static const char *put(char **cur, const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = memcpy(*cur, s, n);

	*cur += n;
	return d;
}

struct status *status_from_route(const json_t *route, const struct attach_result *r)
{
	const json_t *refs = json_object_get(json_object_get(route, "spec"), "parentRefs");
	size_t bytes = sizeof(struct status) + r->nparents * sizeof(struct sparent);
	size_t ref_at[ATTACH_PARENTS_MAX + 1];
	/* jwrite's default of 64 refused a parentRef nested 80 levels */
	struct jwbuf refs_text = { .max_depth = YAMLDOC_TEXT_DEPTH };
	struct status *st;
	char *cur, *text;
	size_t text_len;

	/* the parents' parentRefs written one after the other: parent i's is
	 * [ref_at[i], ref_at[i + 1]), empty when the route has none at that index */
	for (size_t i = 0; i < r->nparents; i++) {
		const json_t *ref = json_array_get(refs, r->parents[i].index);

		ref_at[i] = refs_text.n;
		if (ref != NULL)
			jwrite_value(&refs_text, ref);
		bytes += strlen(r->parents[i].gateway) + strlen(r->parents[i].message) + 2;
	}
	ref_at[r->nparents] = refs_text.n;
	text = jwrite_finish(&refs_text, &text_len);
	if (text == NULL)
		return NULL;
	st = malloc(bytes + text_len);
	if (st == NULL) {
		free(text);
		return NULL;
	}
	st->gateway = false;
	st->n = r->nparents;
	st->parents = (struct sparent *)(st + 1);
	st->listeners = NULL;
	cur = (char *)(st->parents + r->nparents);
	memcpy(cur, text, text_len);
	for (size_t i = 0; i < r->nparents; i++) {
		st->parents[i].parent_ref = ref_at[i + 1] > ref_at[i] ? cur + ref_at[i] : NULL;
		st->parents[i].parent_ref_len = ref_at[i + 1] - ref_at[i];
	}
	cur += text_len;
	free(text);
	for (size_t i = 0; i < r->nparents; i++) {
		const struct attach_parent *p = &r->parents[i];
		struct sparent *s = &st->parents[i];

		s->gateway = put(&cur, p->gateway);
		s->message = put(&cur, p->message);
		s->reason = p->reason;
		s->refs_reason = p->refs_reason;
		s->accepted = p->accepted;
		s->resolved_refs = p->resolved_refs;
	}
	return st;
}

struct status *status_from_gateway(const struct gwstatus *g)
{
	size_t bytes = sizeof(struct status) + g->nlisteners * sizeof(struct slistener);
	struct status *st;
	const char **kinds;
	char *cur;

	for (size_t i = 0; i < g->nlisteners; i++) {
		const struct gwstatus_listener *l = &g->listeners[i];

		bytes += strlen(l->name) + 1 + l->nkinds * sizeof(char *);
		for (size_t k = 0; k < l->nkinds; k++)
			bytes += strlen(l->supported_kinds[k]) + 1;
		for (size_t c = 0; c < l->nconditions; c++)
			bytes += strlen(l->conditions[c].message) + 1;
	}
	st = malloc(bytes);
	if (st == NULL)
		return NULL;
	st->gateway = true;
	st->n = g->nlisteners;
	st->parents = NULL;
	st->listeners = (struct slistener *)(st + 1);
	kinds = (const char **)(st->listeners + g->nlisteners);
	for (size_t i = 0; i < g->nlisteners; i++)
		kinds += g->listeners[i].nkinds;
	cur = (char *)kinds;
	kinds = (const char **)(st->listeners + g->nlisteners);
	for (size_t i = 0; i < g->nlisteners; i++) {
		const struct gwstatus_listener *l = &g->listeners[i];
		struct slistener *s = &st->listeners[i];

		s->name = put(&cur, l->name);
		s->attached = l->attached_routes;
		s->kinds = kinds;
		s->nkinds = l->nkinds;
		for (size_t k = 0; k < l->nkinds; k++)
			*kinds++ = put(&cur, l->supported_kinds[k]);
		s->nconds = l->nconditions < GWSTATUS_CONDS ? l->nconditions : GWSTATUS_CONDS;
		for (size_t c = 0; c < s->nconds; c++) {
			const struct gwstatus_condition *cd = &l->conditions[c];

			s->conds[c] = (struct scond){ cd->type, cd->status, cd->reason, put(&cur, cd->message) };
		}
	}
	return st;
}

void status_free(struct status *st)
{
	free(st);
}

/* ---- JSON --------------------------------------------------------------------- */

/* o[key] = v (consumed); records the first failure in *ok */
static void set(json_t *o, const char *key, json_t *v, bool *ok)
{
	if (o == NULL || v == NULL || json_object_set_new_nocheck(o, key, v) != 0) {
		json_decref(v);
		*ok = false;
	}
}

static void push(json_t *arr, json_t *e, bool *ok)
{
	if (arr == NULL || e == NULL || json_array_append_new(arr, e) != 0)
		*ok = false;
}

static json_t *str_or_empty(const char *s)
{
	return json_string(s != NULL ? s : "");
}

static json_t *parent_json(const struct sparent *p, bool *ok)
{
	json_t *e = json_object();

	/* jwrite's text of a value jansson held: JSON_ALLOW_NUL reads a NUL in a string
	 * (YAML's "\0") back as jansson had it */
	set(e, "parentRef", p->parent_ref != NULL ? json_loadb(p->parent_ref, p->parent_ref_len, JSON_ALLOW_NUL, NULL) :
		json_null(), ok);
	set(e, "gateway", json_string(p->gateway), ok);
	set(e, "accepted", json_boolean(p->accepted), ok);
	set(e, "reason", str_or_empty(p->reason), ok);
	set(e, "resolvedRefs", json_boolean(p->resolved_refs), ok);
	set(e, "refsReason", str_or_empty(p->refs_reason), ok);
	set(e, "message", json_string(p->message), ok);
	return e;
}

static json_t *listener_json(const struct slistener *l, bool *ok)
{
	json_t *e = json_object(), *kinds = json_array(), *conds = json_array();

	if (kinds == NULL || conds == NULL)
		*ok = false;
	for (size_t k = 0; *ok && k < l->nkinds; k++) {
		json_t *kind = json_object();

		set(kind, "group", json_string("gateway.networking.k8s.io"), ok);
		set(kind, "kind", json_string(l->kinds[k]), ok);
		push(kinds, kind, ok);
	}
	for (size_t c = 0; *ok && c < l->nconds; c++) {
		const struct scond *cd = &l->conds[c];
		json_t *ce = json_object();

		set(ce, "type", json_string(cd->type), ok);
		set(ce, "status", json_string(cd->status), ok);
		set(ce, "reason", json_string(cd->reason), ok);
		set(ce, "message", json_string(cd->message), ok);
		push(conds, ce, ok);
	}
	set(e, "name", json_string(l->name), ok);
	set(e, "attachedRoutes", json_integer((json_int_t)l->attached), ok);
	set(e, "supportedKinds", kinds, ok);
	set(e, "conditions", conds, ok);
	return e;
}

json_t *status_json(const struct status *st)
{
	json_t *arr = json_array();
	bool ok = arr != NULL;

	for (size_t i = 0; ok && i < st->n; i++)
		push(arr, st->gateway ? listener_json(&st->listeners[i], &ok) : parent_json(&st->parents[i], &ok),
		     &ok);
	if (!ok) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

/* ---- text --------------------------------------------------------------------- */

void status_text(const struct status *st, FILE *out, const char *prefix)
{
	for (size_t i = 0; i < st->n; i++) {
		if (st->gateway) {
			const struct slistener *l = &st->listeners[i];
			const char *bad = NULL;

			for (size_t c = 0; c < l->nconds; c++)
				if (strcmp(l->conds[c].type, "Programmed") == 0 && strcmp(l->conds[c].status, "True") != 0)
					bad = l->conds[c].reason;
			fprintf(out, "%s: note: listener %s: %zu route(s) attached, %s\n", prefix, l->name, l->attached,
				bad ? bad : "programmed");
		} else {
			const struct sparent *p = &st->parents[i];

			fprintf(out, "%s: note: parent %s: %s: %s\n", prefix, p->gateway,
				p->accepted ? "Accepted" : p->reason ? p->reason : "", p->message);
		}
	}
}
