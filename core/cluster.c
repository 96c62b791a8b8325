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

#define LISTENERS_MAX 64

struct counts {
	size_t attached[LISTENERS_MAX];
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
	const json_t *gw = gateway_of(r->v, p->gateway);
	const json_t *listeners = jv_arr(jv_obj(gw, "spec"), "listeners");
	struct counts *c;

	if (gw == NULL || (c = counts_for(r, p->gateway)) == NULL)
		return gw == NULL ? 0 : ERR_NOMEM;
	for (size_t i = 0; i < jv_size(listeners) && i < LISTENERS_MAX; i++) {
		const json_t *l = json_array_get(listeners, i);
		char key[600];
		int rc;

		if (!(p->listeners & ((uint64_t)1 << i)))
			continue;
		c->attached[i]++;
		snprintf(key, sizeof(key), "%s/%s", p->gateway, jv_str(l, "name") ? jv_str(l, "name") : "");
		rc = conflict_add(r->ci, rid, k, route, key, jv_str(l, "hostname"));
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

static int route_pass(struct run *r, enum kind k)
{
	const json_t *const *routes;
	size_t n = view_list_kind(r->v, k, &routes);

	for (size_t i = 0; i < n; i++) {
		char key[32];
		size_t item;
		struct findings scratch;
		struct findings *fs;
		size_t rid = r->next_rid++;
		int rc;

		ptr_key(routes[i], key, sizeof(key));
		item = (size_t)(uintptr_t)hmap_get(&r->by_ptr, key);
		findings_init(&scratch, NULL);
		fs = item ? r->items[item - 1].fs : &scratch;
		memset(r->scratch, 0, sizeof(*r->scratch));
		rc = attach_check_route(r->v, k, routes[i], r->o->strict, fs, r->scratch);
		for (size_t p = 0; rc == 0 && p < r->scratch->nparents; p++)
			if (r->scratch->parents[p].accepted)
				rc = record_attachment(r, rid, k, routes[i], &r->scratch->parents[p]);
		if (item) {
			r->item_rid[item - 1] = rid;
			report_unattached(routes[i], r->scratch, fs);
			if (r->o->on_route)
				r->o->on_route(r->o->ud, item - 1, r->scratch);
		}
		findings_release(&scratch);
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
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return ERR_NOMEM;
	attach_check_gateway(r->v, it->obj, r->o->strict, it->fs);
	rc = gwstatus_gateway(r->v, it->obj, r->o->now, c ? c->attached : NULL, r->o->strict, it->fs, st);
	if (rc == 0 && r->o->on_gateway)
		r->o->on_gateway(r->o->ud, i, st);
	free(st);
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

int cluster_evaluate(const struct view *v, struct cluster_item *items, size_t n, const struct cluster_opts *o)
{
	struct run r = { .v = v, .o = o, .items = items, .n = n };
	int rc = 0;

	hmap_init(&r.by_ptr);
	hmap_init(&r.counts);
	r.ci = conflict_new();
	r.item_rid = malloc((n ? n : 1) * sizeof(size_t));
	r.scratch = malloc(sizeof(*r.scratch));
	if (r.ci == NULL || r.item_rid == NULL || r.scratch == NULL)
		rc = ERR_NOMEM;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		char key[32];

		r.item_rid[i] = SIZE_MAX;
		ptr_key(items[i].obj, key, sizeof(key));
		if (hmap_put(&r.by_ptr, key, (void *)(uintptr_t)(i + 1), NULL) != 0)
			rc = ERR_NOMEM;
	}
	if (rc == 0)
		rc = route_pass(&r, KIND_HTTPROUTE);
	if (rc == 0)
		rc = route_pass(&r, KIND_GRPCROUTE);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (kind_is_route(items[i].kind) && r.item_rid[i] != SIZE_MAX)
			conflict_report(r.ci, r.item_rid[i], items[i].fs);
		else if (items[i].kind == KIND_GATEWAY)
			rc = gateway_item(&r, i);
	}
	conflict_free(r.ci);
	free(r.item_rid);
	free(r.scratch);
	hmap_release(&r.by_ptr, NULL);
	hmap_release(&r.counts, free_counts);
	return rc;
}
