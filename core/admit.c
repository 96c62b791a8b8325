/* admit: one object against the cluster view (see admit.h). */
#include "admit.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "engine.h"
#include "err.h"
#include "findings.h"
#include "hmap.h"
#include "jv.h"
#include "overlay.h"

#define CONFLICT_MAX_DEFAULT 4096

/* the route being admitted first, then the view's routes it may conflict with */
struct routes {
	json_t *self;
	enum kind kind;
	const json_t **other;
	size_t n, cap, max;
	struct hmap seen;   /* pointer keys of the routes already in other */
	bool nomem;
};

static void ptr_key(const void *p, char *buf, size_t len)
{
	snprintf(buf, len, "%p", p);
}

static bool same_object(const json_t *a, const json_t *b)
{
	const json_t *ma = jv_obj(a, "metadata"), *mb = jv_obj(b, "metadata");
	const char *na = jv_str(ma, "name"), *nb = jv_str(mb, "name");
	const char *sa = jv_str(ma, "namespace"), *sb = jv_str(mb, "namespace");

	return na && nb && strcmp(na, nb) == 0 && strcmp(sa ? sa : "default", sb ? sb : "default") == 0;
}

static void add_candidates(struct routes *r, const struct view *v, const char *hostname)
{
	const json_t *const *list;
	size_t n = view_list_hostname(v, r->kind, hostname, &list);

	for (size_t i = 0; i < n && r->n < r->max; i++) {
		char key[32];

		if (list[i] == r->self || same_object(list[i], r->self))
			continue;
		ptr_key(list[i], key, sizeof(key));
		if (hmap_has(&r->seen, key))
			continue;
		if (r->n == r->cap) {
			size_t ncap = r->cap ? r->cap * 2 : 16;
			const json_t **no = realloc(r->other, ncap * sizeof(*no));

			if (no == NULL) {
				r->nomem = true;
				return;
			}
			r->other = no;
			r->cap = ncap;
		}
		if (hmap_put(&r->seen, key, NULL, NULL) != 0) {
			r->nomem = true;
			return;
		}
		r->other[r->n++] = list[i];
	}
}

/* The routes that could share a (listener, effective hostname) with the admitted one:
 * those naming one of its hostnames, those naming none (they take the listener's),
 * and, when it names none itself, those naming a hostname of one of its parents'
 * listeners. */
static void find_candidates(struct routes *r, const struct view *v)
{
	const json_t *spec = jv_obj(r->self, "spec");
	const json_t *hosts = jv_arr(spec, "hostnames");
	const json_t *x;
	size_t i;

	add_candidates(r, v, "*");
	json_array_foreach(hosts, i, x)
		if (json_is_string(x))
			add_candidates(r, v, json_string_value(x));
	if (jv_size(hosts) > 0)
		return;
	json_array_foreach(jv_arr(spec, "parentRefs"), i, x) {
		const char *ns = jv_str(x, "namespace");
		const json_t *gw, *l;
		size_t j;

		if (jv_str(x, "name") == NULL)
			continue;
		if (ns == NULL)
			ns = jv_str(jv_obj(r->self, "metadata"), "namespace");
		gw = view_get(v, KIND_GATEWAY, ns, jv_str(x, "name"));
		json_array_foreach(jv_arr(jv_obj(gw, "spec"), "listeners"), j, l)
			if (jv_str(l, "hostname"))
				add_candidates(r, v, jv_str(l, "hostname"));
	}
}

static json_t *route_at(void *ud, size_t i, enum kind *ret_kind, size_t *ret_item)
{
	struct routes *r = ud;

	*ret_kind = r->kind;
	if (i == 0) {
		*ret_item = 0;
		return json_incref(r->self);
	}
	*ret_item = SIZE_MAX;
	/* the view's routes are borrowed; cluster releases what route_at returns */
	return json_incref((json_t *)r->other[i - 1]);
}

static int admit_route(const struct view *v, json_t *obj, enum kind k, const struct admit_opts *o,
		       struct findings *fs)
{
	struct routes r = { .self = obj, .kind = k, .max = o->conflict_max ? o->conflict_max : CONFLICT_MAX_DEFAULT };
	struct cluster_item item = { .kind = k, .obj = obj, .fs = fs };
	struct cluster_opts co = { .now = o->now, .strict = o->strict, .route_at = route_at, .ud = &r };
	int rc;

	/* not pruned: one route's matches are keyed once by the conflict index anyway */
	hmap_init(&r.seen);
	find_candidates(&r, v);
	co.nroutes = 1 + r.n;
	rc = cluster_evaluate(v, &item, 1, &co);
	if (rc == 0 && r.nomem)
		rc = ERR_NOMEM;
	free(r.other);
	hmap_release(&r.seen, NULL);
	return rc;
}

/* the view's routes of each kind that name the Gateway being admitted in a parentRef */
static const enum kind gw_route_kinds[] = { KIND_HTTPROUTE, KIND_GRPCROUTE, KIND_TCPROUTE, KIND_UDPROUTE };
#define GW_ROUTE_KINDS (sizeof(gw_route_kinds) / sizeof(gw_route_kinds[0]))

struct gw_routes {
	const json_t *const *list[GW_ROUTE_KINDS];  /* borrowed from the view */
	size_t n[GW_ROUTE_KINDS];
};

static json_t *gw_route_at(void *ud, size_t i, enum kind *ret_kind, size_t *ret_item)
{
	struct gw_routes *g = ud;
	size_t ki = 0;

	while (i >= g->n[ki]) {
		i -= g->n[ki];
		ki++;
	}
	*ret_kind = gw_route_kinds[ki];
	*ret_item = SIZE_MAX;
	/* the view's routes are borrowed; cluster releases what route_at returns */
	return json_incref((json_t *)g->list[ki][i]);
}

/*
 * The Gateway's cross-object findings read only the routes attached to it (listener
 * counts; conflicts are reported for routes alone), and a route attaches only to a
 * Gateway a parentRef names, so the routes the view lists by parent stand in for all
 * of them: a pass over its routes rather than the cluster's.
 */
static int admit_gateway(const struct view *v, json_t *obj, const struct admit_opts *o, struct findings *fs)
{
	const json_t *meta = jv_obj(obj, "metadata");
	struct cluster_item item = { .kind = KIND_GATEWAY, .obj = obj };
	struct cluster_opts co = { .now = o->now, .strict = o->strict, .route_at = gw_route_at };
	struct gw_routes g;
	struct findings cross;
	int rc;

	for (size_t ki = 0; ki < GW_ROUTE_KINDS; ki++) {
		g.n[ki] = view_list_parent(v, gw_route_kinds[ki], jv_str(meta, "namespace"), jv_str(meta, "name"),
					   &g.list[ki]);
		co.nroutes += g.n[ki];
	}
	co.ud = &g;
	findings_init(&cross, fs->cfg);
	item.fs = &cross;
	rc = cluster_evaluate(v, &item, 1, &co);
	/* a new Gateway has no routes yet: that is not worth a warning at admission */
	for (size_t i = 0; i < cross.n; i++) {
		struct finding *f = &cross.v[i];

		if (strcmp(f->rule, "XO-GATEWAY-UNUSED") == 0)
			continue;
		findings_add_sev(fs, f->sev, f->rule, f->field, "%s", f->message);
	}
	if (cross.nomem)
		rc = ERR_NOMEM;
	findings_release(&cross);
	return rc;
}

int admit_single(json_t *obj, struct findings *fs, enum kind *ret_kind)
{
	return engine_check_object(obj, fs, ret_kind);
}

int admit_cross(const struct view *v, json_t *obj, enum kind k, const struct admit_opts *o, struct findings *fs)
{
	struct overlay ov;
	struct view ovv;
	int rc = 0;

	if (!kind_is_validated(k) || o->no_cross)
		return 0;
	overlay_init(&ov, v, k, obj);
	overlay_view(&ov, &ovv);
	if (kind_is_route(k))
		rc = admit_route(&ovv, obj, k, o, fs);
	else if (k == KIND_GATEWAY)
		rc = admit_gateway(&ovv, obj, o, fs);
	if (rc == 0 && (ov.nomem || fs->nomem || view_failed(v)))
		rc = ERR_NOMEM;
	overlay_release(&ov);
	return rc;
}

int admit_object(const struct view *v, json_t *obj, const struct admit_opts *o, struct findings *fs,
		 enum kind *ret_kind)
{
	int rc = admit_single(obj, fs, ret_kind);

	if (rc != 0)
		return rc;
	return admit_cross(v, obj, *ret_kind, o, fs);
}

/* keep only the members of obj named in keep */
static int keep_only(json_t *obj, const char *const *keep, size_t n)
{
	json_t *slim;

	if (!json_is_object(obj))
		return 0;
	slim = json_object();
	if (slim == NULL)
		return ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_object_get(obj, keep[i]);

		if (v != NULL && json_object_set(slim, keep[i], v) != 0) {
			json_decref(slim);
			return ERR_NOMEM;
		}
	}
	json_object_clear(obj);
	json_object_update(obj, slim);
	json_decref(slim);
	return 0;
}

int admit_slim(enum kind k, json_t *obj)
{
	json_t *meta = jv_obj(obj, "metadata");
	int rc = 0;

	json_object_del(obj, "status");
	if (meta != NULL) {
		json_object_del(meta, "managedFields");
		json_object_del(jv_obj(meta, "annotations"), "kubectl.kubernetes.io/last-applied-configuration");
		if (jv_obj(meta, "annotations") != NULL && json_object_size(jv_obj(meta, "annotations")) == 0)
			json_object_del(meta, "annotations");
	}
	if (kind_is_route(k)) {
		/* resourceVersion: a watch cache tells a repeated event by it */
		json_t *rv = json_incref(json_object_get(meta, "resourceVersion")), *rule;
		size_t i;

		rc = cluster_prune_route(obj);
		if (rc == 0 && rv != NULL && json_object_set(jv_obj(obj, "metadata"), "resourceVersion", rv) != 0)
			rc = ERR_NOMEM;
		json_decref(rv);
		json_array_foreach(jv_arr(jv_obj(obj, "spec"), "rules"), i, rule) {
			json_object_del(rule, "backendRefs");
			json_object_del(rule, "filters");
		}
	} else if (k == KIND_SERVICE) {
		/* resourceVersion: a watch cache tells a repeated event by it */
		static const char *const meta_keep[] = { "name", "namespace", "resourceVersion" };
		static const char *const spec_keep[] = { "type", "ports", "clusterIP", "externalName" };
		json_t *port;
		size_t i;

		rc = keep_only(meta, meta_keep, 3);
		if (rc == 0)
			rc = keep_only(jv_obj(obj, "spec"), spec_keep, 4);
		json_array_foreach(jv_arr(jv_obj(obj, "spec"), "ports"), i, port) {
			json_object_del(port, "nodePort");
			json_object_del(port, "targetPort");
		}
	} else if (k == KIND_NAMESPACE) {
		static const char *const meta_keep[] = { "name", "labels", "resourceVersion" };

		json_object_del(obj, "spec");
		rc = keep_only(meta, meta_keep, 3);
	}
	return rc;
}
