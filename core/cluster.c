/*
 * cluster: see cluster.h. The applied items are found from the view's route lists by
 * pointer (an hmap keyed by the object's address), so routes already in the cluster
 * and routes being applied go through the same loop; only the applied ones keep their
 * findings.
 */
#include "cluster.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach.h"
#include "conflict.h"
#include "err.h"
#include "findings.h"
#include "gwstatus.h"
#include "hmap.h"
#include "jv.h"
#include "route_int.h"

#define LISTENERS_MAX 64

/* what the pass keeps for each Gateway routes attach to: found once, not per route */
struct counts {
	size_t attached[LISTENERS_MAX];
	const json_t *listeners;    /* the Gateway's spec.listeners (borrowed from the view) */
	struct conflict_listener *cl[LISTENERS_MAX]; /* made on first use */
};

struct run {
	const struct view *v;
	const struct cluster_opts *o;
	struct cluster_item *items;
	size_t n;
	struct hmap by_ptr;     /* "%p" of an applied object -> item index + 1 */
	struct hmap counts;     /* "ns/name" of a Gateway -> struct counts */
	struct conflict_index *ci;
	size_t *item_rid;       /* route id of each applied route item (SIZE_MAX if none) */
	size_t next_rid;
	struct attach_result *scratch;
	struct gwstatus *status;  /* reused for every Gateway (it is large) */
};

static void ptr_key(const void *p, char *buf, size_t bufsz)
{
	snprintf(buf, bufsz, "%p", p);
}

static struct counts *counts_for(struct run *r, const char *gw)
{
	struct counts *c = hmap_get(&r->counts, gw);

	if (c != NULL)
		return c;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	if (hmap_put(&r->counts, gw, c, NULL) != 0) {
		free(c);
		return NULL;
	}
	return c;
}

/* "ns/name" -> the Gateway in the view */
static const json_t *gateway_of(const struct view *v, const char *key)
{
	char ns[256];
	const char *slash = strchr(key, '/');
	size_t nl;

	if (slash == NULL || (nl = (size_t)(slash - key)) >= sizeof(ns))
		return NULL;
	memcpy(ns, key, nl);
	ns[nl] = '\0';
	return view_get(v, KIND_GATEWAY, ns, slash + 1);
}

/* Count the route on every listener it attached to and index its matches there. */
static int record_attachment(struct run *r, size_t rid, enum kind k, const json_t *route,
			     const struct attach_parent *p)
{
	struct counts *c = hmap_get(&r->counts, p->gateway);
	const json_t *gw;

	if (c == NULL) {
		if ((gw = gateway_of(r->v, p->gateway)) == NULL)
			return 0;
		if ((c = counts_for(r, p->gateway)) == NULL)
			return ERR_NOMEM;
		c->listeners = jv_arr(jv_obj(gw, "spec"), "listeners");
	}
	for (size_t i = 0; i < jv_size(c->listeners) && i < LISTENERS_MAX; i++) {
		const json_t *l = json_array_get(c->listeners, i);
		int rc;

		if (!(p->listeners & ((uint64_t)1 << i)))
			continue;
		c->attached[i]++;
		if (c->cl[i] == NULL) {
			char key[600];

			snprintf(key, sizeof(key), "%s/%s", p->gateway, jv_str(l, "name") ? jv_str(l, "name") : "");
			if ((c->cl[i] = conflict_listener(r->ci, key)) == NULL)
				return ERR_NOMEM;
		}
		rc = conflict_add_on(r->ci, rid, k, route, c->cl[i], jv_str(l, "hostname"));
		if (rc < 0)
			return rc;
	}
	return 0;
}

static void report_unattached(const json_t *route, const struct attach_result *res, struct findings *fs)
{
	size_t nrefs = jv_size(jv_arr(jv_obj(route, "spec"), "parentRefs"));

	for (size_t i = 0; i < res->nparents; i++)
		if (res->parents[i].accepted)
			return;
	if (nrefs == 0)
		return;
	findings_add(fs, "XO-ROUTE-UNATTACHED", "spec.parentRefs",
		     "the route attaches to no listener of its %zu parent%s, so it serves no traffic; the findings on spec.parentRefs say why",
		     nrefs, nrefs == 1 ? "" : "s");
}

/* Resolve one route's parents (or take the caller's result, ahead), count it on the
 * listeners it attached to, and hand an applied route's status to the caller. item is
 * its applied index + 1, or 0. */
static int route_one(struct run *r, enum kind k, const json_t *route, size_t item,
		     const struct attach_result *ahead)
{
	const struct attach_result *res;
	struct findings scratch;
	struct findings *fs;
	size_t rid = r->next_rid++;
	int rc = 0;

	/* made on first use, as the status below: a caller that attaches ahead never
	 * needs it, and 26 KiB malloc'd and freed per review kept a server's heap growing */
	if (ahead == NULL && r->scratch == NULL && (r->scratch = malloc(sizeof(*r->scratch))) == NULL)
		return ERR_NOMEM;
	res = ahead != NULL ? ahead : r->scratch;

	findings_init(&scratch, NULL);
	fs = item ? r->items[item - 1].fs : &scratch;
	if (ahead == NULL)
		rc = attach_check_route(r->v, k, route, r->o->strict, fs, r->scratch);
	for (size_t p = 0; rc == 0 && p < res->nparents; p++)
		if (res->parents[p].accepted)
			rc = record_attachment(r, rid, k, route, &res->parents[p]);
	if (item) {
		r->item_rid[item - 1] = rid;
		report_unattached(route, res, fs);
		if (r->o->on_route)
			r->o->on_route(r->o->ud, item - 1, route, res);
	}
	findings_release(&scratch);
	return rc;
}

static int view_route_pass(struct run *r, enum kind k)
{
	const json_t *const *routes;
	size_t n = view_list_kind(r->v, k, &routes);

	for (size_t i = 0; i < n; i++) {
		char key[32];
		int rc;

		ptr_key(routes[i], key, sizeof(key));
		rc = route_one(r, k, routes[i], (size_t)(uintptr_t)hmap_get(&r->by_ptr, key), NULL);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int source_route_pass(struct run *r)
{
	for (size_t i = 0; i < r->o->nroutes; i++) {
		enum kind k;
		size_t item;
		json_t *route = r->o->route_at(r->o->ud, i, &k, &item);
		const struct attach_result *ahead = NULL;
		int rc;

		if (route == NULL)
			return ERR_NOMEM;
		if (r->o->attached != NULL && (ahead = r->o->attached(r->o->ud, i)) == NULL) {
			json_decref(route);
			return ERR_NOMEM;
		}
		rc = route_one(r, k, route, item == SIZE_MAX || item >= r->n ? 0 : item + 1, ahead);
		json_decref(route);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int gateway_item(struct run *r, size_t i)
{
	struct cluster_item *it = &r->items[i];
	const json_t *meta = jv_obj(it->obj, "metadata");
	char key[600];
	struct counts *c;
	struct gwstatus *st;
	size_t total = 0;
	int rc;

	snprintf(key, sizeof(key), "%s/%s", jv_str(meta, "namespace") ? jv_str(meta, "namespace") : "default",
		 jv_str(meta, "name") ? jv_str(meta, "name") : "");
	c = hmap_get(&r->counts, key);
	/* 150 KiB: only a run that evaluates a Gateway makes it */
	if (r->status == NULL && (r->status = malloc(sizeof(*r->status))) == NULL)
		return ERR_NOMEM;
	st = r->status;
	attach_check_gateway(r->v, it->obj, r->o->strict, it->fs);
	rc = gwstatus_gateway(r->v, it->obj, r->o->now, c ? c->attached : NULL, r->o->strict, it->fs, st);
	if (rc == 0 && r->o->on_gateway)
		r->o->on_gateway(r->o->ud, i, st);
	for (size_t l = 0; c && l < LISTENERS_MAX; l++)
		total += c->attached[l];
	if (rc == 0 && total == 0)
		findings_add(it->fs, "XO-GATEWAY-UNUSED", "spec.listeners",
			     "no route attaches to any listener of this Gateway, so its load balancer serves nothing");
	return rc;
}

static void free_counts(void *p)
{
	free(p);
}

/* conflict_set_source: the route the pass gave id route_id, asked for again. The
 * route pass numbers the routes in the order route_at gives them, so the id is the
 * route_at index. */
static json_t *conflict_fetch(void *ud, size_t route_id)
{
	const struct run *r = ud;
	enum kind k;
	size_t item;

	return r->o->route_at(r->o->ud, route_id, &k, &item);
}

int cluster_evaluate(const struct view *v, struct cluster_item *items, size_t n, const struct cluster_opts *o)
{
	struct run r = { .v = v, .o = o, .items = items, .n = n };
	int rc = 0;

	hmap_init(&r.by_ptr);
	hmap_init(&r.counts);
	r.ci = conflict_new();
	r.item_rid = malloc((n ? n : 1) * sizeof(size_t));
	if (r.ci == NULL || r.item_rid == NULL)
		rc = ERR_NOMEM;
	/* routes from route_at may be made for the call (check parses them from text):
	 * the index asks for one again rather than keep its rules */
	if (rc == 0 && o->route_at != NULL)
		conflict_set_source(r.ci, conflict_fetch, &r);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		char key[32];

		r.item_rid[i] = SIZE_MAX;
		if (items[i].obj == NULL)
			continue;
		ptr_key(items[i].obj, key, sizeof(key));
		if (hmap_put(&r.by_ptr, key, (void *)(uintptr_t)(i + 1), NULL) != 0)
			rc = ERR_NOMEM;
	}
	if (rc == 0 && o->route_at != NULL)
		rc = source_route_pass(&r);
	if (rc == 0 && o->route_at == NULL)
		rc = view_route_pass(&r, KIND_HTTPROUTE);
	if (rc == 0 && o->route_at == NULL)
		rc = view_route_pass(&r, KIND_GRPCROUTE);
	if (rc == 0 && o->route_at == NULL)
		rc = view_route_pass(&r, KIND_TCPROUTE);
	if (rc == 0 && o->route_at == NULL)
		rc = view_route_pass(&r, KIND_UDPROUTE);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (kind_is_route(items[i].kind) && r.item_rid[i] != SIZE_MAX)
			conflict_report(r.ci, r.item_rid[i], items[i].fs);
		else if (items[i].kind == KIND_GATEWAY)
			rc = gateway_item(&r, i);
	}
	conflict_free(r.ci);
	free(r.item_rid);
	free(r.scratch);
	free(r.status);
	hmap_release(&r.by_ptr, NULL);
	hmap_release(&r.counts, free_counts);
	return rc;
}

static int prune_filters(json_t *filters)
{
	size_t i;
	json_t *f;

	json_array_foreach(filters, i, f) {
		if (!json_is_object(f) || jv_streq(f, "type", "RequestMirror"))
			continue;
		if (json_array_set_new(filters, i, json_null()) != 0)
			return ERR_NOMEM;
	}
	return 0;
}

int cluster_prune_route(json_t *route)
{
	static const char *const keep_meta[] = { "name", "namespace", "creationTimestamp" };
	json_t *meta = jv_obj(route, "metadata"), *slim, *rule;
	size_t i;
	int rc = 0;

	json_object_del(route, "status");
	if (meta != NULL) {
		slim = json_object();
		if (slim == NULL)
			return ERR_NOMEM;
		for (size_t k = 0; k < sizeof(keep_meta) / sizeof(keep_meta[0]); k++)
			if (json_object_get(meta, keep_meta[k]) != NULL)
				json_object_set(slim, keep_meta[k], json_object_get(meta, keep_meta[k]));
		if (json_object_set_new(route, "metadata", slim) != 0)
			return ERR_NOMEM;
	}
	json_array_foreach(jv_arr(jv_obj(route, "spec"), "rules"), i, rule) {
		json_t *b, *m;
		size_t j;

		/* the conflict index only needs each match's canonical key: keep that */
		json_array_foreach(jv_arr(rule, "matches"), j, m) {
			char *key;

			if (!json_is_object(m) || route_match_key(m, &key) != 0 || key == NULL)
				continue;
			rc |= json_array_set_new(jv_arr(rule, "matches"), j, json_string(key)) ? ERR_NOMEM : 0;
			free(key);
		}
		json_object_del(rule, "timeouts");
		rc |= prune_filters(jv_arr(rule, "filters"));
		json_array_foreach(jv_arr(rule, "backendRefs"), j, b)
			rc |= prune_filters(jv_arr(b, "filters"));
	}
	return rc ? ERR_NOMEM : 0;
}
