/*
 * conflict: see conflict.h.
 *
 * Every string a claim is made of (listener, effective hostname, canonical match key)
 * is interned in one table, so a claim is the triple of their canonical pointers plus
 * the kind's tag: the claims tables (one per listener) hash and compare pointers, never
 * text, and each distinct string is stored once however many routes repeat it. Claims
 * live in slabs (never moved, freed at once); route records in a vector indexed by
 * route id. A claim holds the winner so far; a route's refs list every claim it
 * offered (a route that was overtaken and offers the same claim again gets a second
 * ref, removed when reporting).
 */
#include "conflict.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "findings.h"
#include "hmap.h"
#include "hostname.h"
#include "jv.h"
#include "ptab.h"
#include "route_int.h"

struct conflict_route;

/* one (kind, listener, hostname, match) and the route that wins it so far */
struct conflict_claim {
	const char *listener, *host, *mkey; /* interned (conflict_index.strings) */
	const struct conflict_route *win;
	uint32_t win_rule, win_idx;
	bool win_implicit;          /* the winner's match is an implicit gRPC catch-all */
	bool grpc;
	char tag;                   /* H, G, or T/U (TCPRoute/UDPRoute: the whole listener
				     * is the claim) */
};

/* a claim a route offered, and where its match is */
struct conflict_ref {
	const struct conflict_claim *claim;
	uint32_t rule, idx;
	bool implicit;              /* an implicit gRPC catch-all (a rule without matches) */
};

/* one match of the route being added */
struct cached_match {
	const char *key;            /* interned canonical key */
	const json_t *m;            /* the match; NULL: an implicit gRPC catch-all */
	uint32_t rule, idx;
};

struct conflict_route {
	size_t id;
	char *name;                 /* owned: "namespace/name" */
	char *created;              /* owned metadata.creationTimestamp; NULL = newest */
	struct conflict_ref *refs;  /* owned */
	size_t nrefs, cap;
};

#define SLAB_CLAIMS 1024

struct claim_slab {
	struct claim_slab *next;
	size_t used;
	struct conflict_claim v[SLAB_CLAIMS];
};

struct conflict_index {
	struct hmap strings;        /* interned strings (values unused) */
	struct hmap listeners;      /* listener -> struct ptab of its claims (struct
				     * conflict_claim); the hash in each slot keeps probes off
				     * the claims. A table per listener stays small and in cache
				     * while the routes of one namespace, which mostly share
				     * listeners, are added; one table for all claims was a
				     * cache miss per claim from 40k routes on */
	struct claim_slab *slabs;   /* owned; the claims themselves */
	struct conflict_route **routes; /* owned, indexed by route id; NULL: not seen */
	size_t nroutes;
	/* the matches of the last route added: a route attached to several listeners is
	 * added once per listener, and its matches do not depend on the listener */
	size_t cache_rid;
	bool cache_valid;
	struct cached_match *cache; /* owned, in rule/match order */
	size_t cache_n, cache_cap;
};

/* ---- index ---- */

struct conflict_index *conflict_new(void)
{
	struct conflict_index *ci = calloc(1, sizeof(*ci));

	if (ci == NULL)
		return NULL;
	hmap_init(&ci->strings);
	hmap_init(&ci->listeners);
	return ci;
}

static void route_free(struct conflict_route *r)
{
	if (r == NULL)
		return;
	free(r->name);
	free(r->created);
	free(r->refs);
	free(r);
}

static void claims_free(void *p)
{
	ptab_release(p);
	free(p);
}

void conflict_free(struct conflict_index *ci)
{
	if (ci == NULL)
		return;
	while (ci->slabs != NULL) {
		struct claim_slab *next = ci->slabs->next;

		free(ci->slabs);
		ci->slabs = next;
	}
	hmap_release(&ci->listeners, claims_free);
	for (size_t i = 0; i < ci->nroutes; i++)
		route_free(ci->routes[i]);
	free(ci->routes);
	free(ci->cache);
	hmap_release(&ci->strings, NULL);
	free(ci);
}

static const struct conflict_route *route_find(const struct conflict_index *ci, size_t id)
{
	return id < ci->nroutes ? ci->routes[id] : NULL;
}

static char *route_name(const json_t *route)
{
	const json_t *meta = jv_obj(route, "metadata");
	const char *ns = jv_str(meta, "namespace");
	const char *name = jv_str(meta, "name");
	size_t nl, ml;
	char *s;

	if (ns == NULL || ns[0] == '\0')
		ns = "default";
	if (name == NULL)
		name = "";
	nl = strlen(ns);
	ml = strlen(name);
	s = malloc(nl + ml + 2);
	if (s != NULL) {
		memcpy(s, ns, nl);
		s[nl] = '/';
		memcpy(s + nl + 1, name, ml + 1);
	}
	return s;
}

/* make ci->routes[id] addressable; 0 or ERR_NOMEM */
static int routes_reserve(struct conflict_index *ci, size_t id)
{
	size_t n = ci->nroutes ? ci->nroutes : 64;
	struct conflict_route **v;

	if (id < ci->nroutes)
		return 0;
	while (n <= id) {
		if (n > SIZE_MAX / 2 / sizeof(*v))
			return ERR_NOMEM;
		n *= 2;
	}
	v = realloc(ci->routes, n * sizeof(*v));
	if (v == NULL)
		return ERR_NOMEM;
	memset(v + ci->nroutes, 0, (n - ci->nroutes) * sizeof(*v));
	ci->routes = v;
	ci->nroutes = n;
	return 0;
}

/* the record of route_id, created from route on first sight; NULL on ENOMEM */
static struct conflict_route *route_get(struct conflict_index *ci, size_t id, const json_t *route)
{
	struct conflict_route *r;
	const char *created;

	if (routes_reserve(ci, id) != 0)
		return NULL;
	if (ci->routes[id] != NULL)
		return ci->routes[id];
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->id = id;
	r->name = route_name(route);
	created = jv_str(jv_obj(route, "metadata"), "creationTimestamp");
	/* copied: the route object may be freed right after conflict_add */
	r->created = created != NULL && created[0] != '\0' ? strdup(created) : NULL;
	if (r->name == NULL || (created != NULL && created[0] != '\0' && r->created == NULL)) {
		route_free(r);
		return NULL;
	}
	ci->routes[id] = r;
	return r;
}

static int ref_add(struct conflict_route *r, const struct conflict_claim *c, const json_t *m,
		   size_t rule, size_t idx)
{
	if (r->nrefs == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 4;
		struct conflict_ref *v = realloc(r->refs, cap * sizeof(*v));

		if (v == NULL)
			return ERR_NOMEM;
		r->refs = v;
		r->cap = cap;
	}
	r->refs[r->nrefs++] = (struct conflict_ref){ c, (uint32_t)rule, (uint32_t)idx, m == NULL };
	return 0;
}

/* ---- precedence ---- */

/* <0 when a was created before b; a missing timestamp is the newest */
static int created_cmp(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == NULL) - (b == NULL);
	return strcmp(a, b);
}

/* true when a takes precedence over b */
static bool route_before(const struct conflict_route *a, const struct conflict_route *b)
{
	int c = created_cmp(a->created, b->created);

	if (c == 0)
		c = strcmp(a->name, b->name);
	if (c == 0)
		return a->id < b->id;
	return c < 0;
}

/* ---- the claims table ---- */

static uint64_t claim_hash(char tag, const char *listener, const char *host, const char *mkey)
{
	uint64_t h = (uint64_t)(unsigned char)tag;

	h = (h ^ (uint64_t)(uintptr_t)listener) * 0x9e3779b97f4a7c15ULL;
	h = (h ^ (h >> 29) ^ (uint64_t)(uintptr_t)host) * 0xbf58476d1ce4e5b9ULL;
	h = (h ^ (h >> 31) ^ (uint64_t)(uintptr_t)mkey) * 0x94d049bb133111ebULL;
	return h ^ (h >> 32);
}

/* the slot of the claim (tag, listener, host, mkey), or the empty slot where it would
 * go; the table must have room (ptab_reserve) */
static size_t claim_slot(const struct ptab *t, uint64_t h, char tag, const char *listener,
			 const char *host, const char *mkey)
{
	size_t i;

	for (i = ptab_home(t, h); t->v[i].p != NULL; i = ptab_next(t, i)) {
		const struct conflict_claim *c = t->v[i].p;

		if (t->v[i].hash == h && c->tag == tag && c->listener == listener && c->host == host &&
		    c->mkey == mkey)
			return i;
	}
	return i;
}

/* a new claim from the slabs, or NULL on ENOMEM */
static struct conflict_claim *claim_alloc(struct conflict_index *ci)
{
	if (ci->slabs == NULL || ci->slabs->used == SLAB_CLAIMS) {
		struct claim_slab *s = malloc(sizeof(*s));

		if (s == NULL)
			return NULL;
		s->next = ci->slabs;
		s->used = 0;
		ci->slabs = s;
	}
	return &ci->slabs->v[ci->slabs->used++];
}

/* ---- registering ---- */

/* the state of one conflict_add call */
struct adder {
	struct conflict_index *ci;
	struct conflict_route *r;
	bool grpc;
	char tag;                   /* see conflict_claim.tag */
	const char *listener;       /* interned */
	struct ptab *claims;        /* the listener's */
};

/* what route hostname h becomes on a listener with hostname lh (NULL = any): itself
 * when the listener's covers it, else the listener's; NULL when they do not meet */
static const char *effective_host(const char *h, const char *lh)
{
	if (!hostname_intersect(h, lh))
		return NULL;
	if (hostname_covers(lh, h))
		return h;
	return lh != NULL ? lh : "*";
}

/* the route's effective hostnames on the listener into *ret (malloc'd, interned
 * strings); returns how many, or (size_t)-1 on ENOMEM */
static size_t effective_hosts(struct conflict_index *ci, const json_t *route, const char *lh,
			      const char ***ret)
{
	const json_t *hosts = jv_arr(jv_obj(route, "spec"), "hostnames");
	size_t n = 0, cap = jv_size(hosts) ? jv_size(hosts) : 1;
	const char **v = malloc(cap * sizeof(*v));

	*ret = v;
	if (v == NULL)
		return (size_t)-1;
	for (size_t i = 0; i < jv_size(hosts); i++) {
		const json_t *h = json_array_get(hosts, i);
		const char *e = json_is_string(h) ? effective_host(json_string_value(h), lh) : NULL;

		if (e != NULL && (v[n++] = hmap_intern(&ci->strings, e)) == NULL)
			return (size_t)-1;
	}
	if (jv_size(hosts) == 0 && (v[n++] = hmap_intern(&ci->strings, lh != NULL ? lh : "*")) == NULL)
		return (size_t)-1;
	return n;
}

static void claim_win(struct conflict_claim *c, const struct conflict_route *r, const json_t *m,
		      size_t rule, size_t idx)
{
	c->win = r;
	c->win_implicit = m == NULL;
	c->win_rule = (uint32_t)rule;
	c->win_idx = (uint32_t)idx;
}

/* route a->r offers match m (rule, idx) for host (interned), whose interned canonical
 * key is mkey: take the claim or contest it (hot: one per match and hostname) */
static int offer(struct adder *a, const char *host, const char *mkey, const json_t *m, size_t rule,
		 size_t idx)
{
	struct conflict_index *ci = a->ci;
	uint64_t h = claim_hash(a->tag, a->listener, host, mkey);
	struct conflict_claim *c;
	size_t i;

	if (ptab_reserve(a->claims) != 0)
		return ERR_NOMEM;
	i = claim_slot(a->claims, h, a->tag, a->listener, host, mkey);
	c = a->claims->v[i].p;
	if (c == NULL) {
		c = claim_alloc(ci);
		if (c == NULL)
			return ERR_NOMEM;
		*c = (struct conflict_claim){ .listener = a->listener, .host = host, .mkey = mkey,
					      .grpc = a->grpc, .tag = a->tag };
		claim_win(c, a->r, m, rule, idx);
		a->claims->v[i] = (struct ptab_slot){ h, c };
		a->claims->n++;
	} else if (c->win == a->r) {
		return 0;           /* the route repeats its own match: WX-RULE-SHADOW */
	} else if (route_before(a->r, c->win)) {
		claim_win(c, a->r, m, rule, idx);
	}
	return ref_add(a->r, c, m, rule, idx);
}

/* every match of route that has a key, in rule/match order, computed once per
 * route_id */
static int cache_fill(struct conflict_index *ci, size_t route_id, const json_t *route, bool grpc)
{
	const json_t *rules = jv_arr(jv_obj(route, "spec"), "rules");

	if (ci->cache_valid && ci->cache_rid == route_id)
		return 0;
	ci->cache_n = 0;
	ci->cache_valid = false;
	for (size_t r = 0; r < jv_size(rules); r++) {
		const json_t *rule = json_array_get(rules, r);
		size_t n = route_rule_nmatches(rule, grpc);

		for (size_t k = 0; k < n; k++) {
			const json_t *m = route_rule_match(rule, k);
			const char *key;
			char *text = NULL;

			if (ci->cache_n == ci->cache_cap) {
				size_t cap = ci->cache_cap ? ci->cache_cap * 2 : 16;
				struct cached_match *v = realloc(ci->cache, cap * sizeof(*v));

				if (v == NULL)
					return ERR_NOMEM;
				ci->cache = v;
				ci->cache_cap = cap;
			}
			/* cluster_prune_route leaves each match as its key string */
			if (json_is_string(m)) {
				key = hmap_intern(&ci->strings, json_string_value(m));
			} else {
				if (route_match_key(m, &text) != 0)
					return ERR_NOMEM;
				if (text == NULL)
					continue; /* no key: claims nothing */
				key = hmap_intern(&ci->strings, text);
				free(text);
			}
			if (key == NULL)
				return ERR_NOMEM;
			ci->cache[ci->cache_n++] = (struct cached_match){ key, m, (uint32_t)r, (uint32_t)k };
		}
	}
	ci->cache_rid = route_id;
	ci->cache_valid = true;
	return 0;
}

static int offer_rules(struct adder *a, const json_t *route, const char **hosts, size_t nhosts)
{
	int rc = cache_fill(a->ci, a->r->id, route, a->grpc);

	for (size_t i = 0; rc == 0 && i < a->ci->cache_n; i++) {
		const struct cached_match *cm = &a->ci->cache[i];

		for (size_t h = 0; rc == 0 && h < nhosts; h++)
			rc = offer(a, hosts[h], cm->key, cm->m, cm->rule, cm->idx);
	}
	return rc;
}

/* the claims table of listener, made on first use; NULL on ENOMEM */
static struct ptab *listener_claims(struct conflict_index *ci, const char *listener)
{
	struct ptab *t = hmap_get(&ci->listeners, listener);

	if (t != NULL)
		return t;
	t = malloc(sizeof(*t));
	if (t == NULL)
		return NULL;
	ptab_init(t);
	if (hmap_put(&ci->listeners, listener, t, NULL) != 0) {
		free(t);
		return NULL;
	}
	return t;
}

int conflict_add(struct conflict_index *ci, size_t route_id, enum kind k, const json_t *route,
		 const char *listener, const char *listener_host)
{
	struct adder a = { .ci = ci, .grpc = k == KIND_GRPCROUTE };
	const char **hosts;
	size_t nhosts;
	int rc;

	switch (k) {
	case KIND_HTTPROUTE: a.tag = 'H'; break;
	case KIND_GRPCROUTE: a.tag = 'G'; break;
	case KIND_TCPROUTE: a.tag = 'T'; break;
	case KIND_UDPROUTE: a.tag = 'U'; break;
	default: return 0;
	}
	a.listener = hmap_intern(&ci->strings, listener);
	a.claims = listener_claims(ci, listener);
	a.r = route_get(ci, route_id, route);
	if (a.listener == NULL || a.claims == NULL || a.r == NULL)
		return ERR_NOMEM;
	if (a.tag == 'T' || a.tag == 'U') {
		/* no hostnames, no matches: the route claims the whole listener */
		const char *any = hmap_intern(&ci->strings, "*"), *none = hmap_intern(&ci->strings, "");

		return any == NULL || none == NULL ? ERR_NOMEM : offer(&a, any, none, NULL, 0, 0);
	}
	if (listener_host != NULL && (listener_host[0] == '\0' || strcmp(listener_host, "*") == 0))
		listener_host = NULL;
	nhosts = effective_hosts(ci, route, listener_host, &hosts);
	rc = nhosts == (size_t)-1 ? ERR_NOMEM : offer_rules(&a, route, hosts, nhosts);
	free(hosts);
	return rc;
}

/* ---- reporting ---- */

/* a lost claim and its place among the route's refs */
struct loss {
	const struct conflict_ref *ref;
	size_t pos;
};

static int loss_by_claim(const void *pa, const void *pb)
{
	const struct loss *a = pa, *b = pb;
	uintptr_t ca = (uintptr_t)a->ref->claim, cb = (uintptr_t)b->ref->claim;

	if (ca != cb)
		return ca < cb ? -1 : 1;
	return (a->pos > b->pos) - (a->pos < b->pos);
}

static int loss_by_pos(const void *pa, const void *pb)
{
	const struct loss *a = pa, *b = pb;

	return (a->pos > b->pos) - (a->pos < b->pos);
}

/* the claims r lost, each once (at its first ref), in registration order; returns
 * how many, or (size_t)-1 on ENOMEM */
static size_t collect_losses(const struct conflict_route *r, struct loss **ret)
{
	struct loss *v = malloc((r->nrefs ? r->nrefs : 1) * sizeof(*v));
	size_t n = 0, u = 0;

	*ret = v;
	if (v == NULL)
		return (size_t)-1;
	for (size_t i = 0; i < r->nrefs; i++)
		if (r->refs[i].claim->win != r)
			v[n++] = (struct loss){ &r->refs[i], i };
	qsort(v, n, sizeof(*v), loss_by_claim);
	for (size_t i = 0; i < n; i++)
		if (u == 0 || v[u - 1].ref->claim != v[i].ref->claim)
			v[u++] = v[i];
	qsort(v, u, sizeof(*v), loss_by_pos);
	return u;
}

/* append printf output to buf (len bytes) at *at, truncating quietly */
static void put(char *buf, size_t len, size_t *at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void put(char *buf, size_t len, size_t *at, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*at >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *at, len - *at, fmt, ap);
	va_end(ap);
	if (n > 0)
		*at = *at + (size_t)n < len ? *at + (size_t)n : len;
}

/* ", headers a, b" for a headers or queryParams list */
static void describe_names(char *buf, size_t len, size_t *at, const json_t *list, const char *what)
{
	for (size_t i = 0; i < jv_size(list); i++) {
		const char *name = jv_str(json_array_get(list, i), "name");

		put(buf, len, at, "%s%s", i ? ", " : what, name ? name : "?");
	}
}

static void describe_grpc(char *buf, size_t len, size_t *at, const json_t *m)
{
	const json_t *method = jv_obj(m, "method");

	if (method == NULL && jv_size(jv_arr(m, "headers")) == 0) {
		put(buf, len, at, "catch-all");
		return;
	}
	if (method != NULL) {
		const char *type = jv_str(method, "type"), *svc = jv_str(method, "service");
		const char *meth = jv_str(method, "method");

		put(buf, len, at, "method %s %s/%s", type ? type : "Exact", svc ? svc : "*",
		    meth ? meth : "*");
	} else {
		put(buf, len, at, "any method");
	}
	describe_names(buf, len, at, jv_arr(m, "headers"), ", headers ");
}

static void describe_http(char *buf, size_t len, size_t *at, const json_t *m)
{
	const json_t *path = jv_obj(m, "path");
	const char *type = jv_str(path, "type"), *value = jv_str(path, "value");
	const char *method = jv_str(m, "method");

	put(buf, len, at, "path %s %s", type ? type : "PathPrefix", value ? value : "/");
	if (method != NULL)
		put(buf, len, at, ", method %s", method);
	describe_names(buf, len, at, jv_arr(m, "headers"), ", headers ");
	describe_names(buf, len, at, jv_arr(m, "queryParams"), ", query params ");
}

/* a short human description of match m: "path Exact /a, method GET, headers x-a" */
static void describe_match(char *buf, size_t len, const json_t *m, bool grpc)
{
	size_t at = 0;

	buf[0] = '\0';
	if (grpc)
		describe_grpc(buf, len, &at, m);
	else
		describe_http(buf, len, &at, m);
}

static void match_field(char *buf, size_t len, bool implicit, size_t rule, size_t idx)
{
	if (implicit)
		snprintf(buf, len, "spec.rules[%zu]", rule);
	else
		snprintf(buf, len, "spec.rules[%zu].matches[%zu]", rule, idx);
}

/* why the claim's winner w beats r */
static void describe_why(char *buf, size_t len, const struct conflict_route *w,
			 const struct conflict_route *r)
{
	if (created_cmp(w->created, r->created) == 0)
		snprintf(buf, len, "both have %s%s, and %s comes first by namespace/name",
			 w->created ? "creationTimestamp " : "no creationTimestamp",
			 w->created ? w->created : "", w->name);
	else if (r->created == NULL)
		snprintf(buf, len, "it was created at %s and this route has no creationTimestamp yet, so it counts as newer",
			 w->created);
	else
		snprintf(buf, len, "it is older: created at %s, this route at %s", w->created, r->created);
}

static void report_loss(const struct conflict_route *r, const struct conflict_ref *ref,
			struct findings *fs)
{
	const struct conflict_claim *c = ref->claim;
	char field[64], wfield[64], match[256], why[256];
	json_t *m;

	if (c->tag == 'T' || c->tag == 'U') {
		describe_why(why, sizeof(why), c->win, r);
		findings_add(fs, "XO-MATCH-CONFLICT", "spec.parentRefs",
			     "%s %s is attached to listener %s too and wins (%s): a %s listener sends all its connections to one route, so this route gets no traffic there; attach it to another listener (sectionName or port) or remove one of the two routes",
			     c->tag == 'T' ? "TCPRoute" : "UDPRoute", c->win->name, c->listener, why,
			     c->tag == 'T' ? "TCP" : "UDP");
		return;
	}
	m = json_loads(c->mkey, 0, NULL);

	match_field(field, sizeof(field), ref->implicit, ref->rule, ref->idx);
	match_field(wfield, sizeof(wfield), c->win_implicit, c->win_rule, c->win_idx);
	describe_match(match, sizeof(match), m, c->grpc);
	json_decref(m);
	describe_why(why, sizeof(why), c->win, r);
	findings_add(fs, "XO-MATCH-CONFLICT", field,
		     "route %s claims hostname %s with the same match (%s) at its %s on listener %s and wins (%s), so this match gets no traffic for that hostname there; change this match or the route's hostnames, or remove the match from one of the two routes",
		     c->win->name, c->host, match, wfield, c->listener, why);
}

void conflict_report(const struct conflict_index *ci, size_t route_id, struct findings *fs)
{
	const struct conflict_route *r = route_find(ci, route_id);
	struct loss *v;
	size_t n;

	if (r == NULL)
		return;
	n = collect_losses(r, &v);
	if (n == (size_t)-1) {
		fs->nomem = true;
		return;
	}
	for (size_t i = 0; i < n && i < CONFLICT_REPORT_MAX; i++)
		report_loss(r, v[i].ref, fs);
	if (n > CONFLICT_REPORT_MAX)
		findings_add(fs, "XO-MATCH-CONFLICT", "spec.rules",
			     "and %zu more matches of this route that other routes on the same listener and hostname win (only the first %d are listed)",
			     n - CONFLICT_REPORT_MAX, CONFLICT_REPORT_MAX);
	free(v);
}
