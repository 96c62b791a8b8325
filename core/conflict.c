/*
 * conflict: see conflict.h. The claims map is keyed by
 * "<H|G>|listener|hostname|matchkey"; listener names and hostnames cannot contain '|'
 * and the match key comes last, so keys are unambiguous. A claim holds the winner so
 * far; a route's refs list every claim it offered (a route that was overtaken and
 * offers the same claim again gets a second ref, removed when reporting).
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
#include "route_int.h"

struct conflict_route;

/* one (kind, listener, hostname, match) and the route that wins it so far */
struct conflict_claim {
	const struct conflict_route *win;
	bool win_implicit;          /* the winner's match is an implicit gRPC catch-all */
	size_t win_rule, win_idx;
	bool grpc;
	char tag;                   /* K of the key: H, G, or T/U (TCPRoute/UDPRoute: the
				     * whole listener is the claim) */
	/* the parts of the claim's key "K|listener|host|mkey", which the claims map owns
	 * (one copy of the text per claim) */
	const char *listener, *host, *mkey;
	int llen, hlen;
};

/* a claim a route offered, and where its match is */
struct conflict_ref {
	const struct conflict_claim *claim;
	bool implicit;              /* an implicit gRPC catch-all (a rule without matches) */
	size_t rule, idx;
};

struct conflict_route {
	size_t id;
	char *name;                 /* owned: "namespace/name" */
	char *created;              /* owned metadata.creationTimestamp; NULL = newest */
	struct conflict_ref *refs;  /* owned */
	size_t nrefs, cap;
};

struct conflict_index {
	struct hmap claims;         /* key -> struct conflict_claim (owned) */
	struct hmap routes;         /* "%zu" route_id -> struct conflict_route (owned) */
	/* the match keys of the last route added: a route attached to several listeners is
	 * added once per listener, and its keys do not depend on the listener */
	size_t cache_rid;
	bool cache_valid;
	char **cache_keys;          /* owned, in rule/match order; NULL entries: no key */
	size_t cache_n, cache_cap;
};

/* ---- index ---- */

struct conflict_index *conflict_new(void)
{
	struct conflict_index *ci = calloc(1, sizeof(*ci));

	if (ci == NULL)
		return NULL;
	hmap_init(&ci->claims);
	hmap_init(&ci->routes);
	return ci;
}

static void route_free(void *p)
{
	struct conflict_route *r = p;

	free(r->name);
	free(r->created);
	free(r->refs);
	free(r);
}

void conflict_free(struct conflict_index *ci)
{
	if (ci == NULL)
		return;
	hmap_release(&ci->claims, free);
	hmap_release(&ci->routes, route_free);
	for (size_t i = 0; i < ci->cache_n; i++)
		free(ci->cache_keys[i]);
	free(ci->cache_keys);
	free(ci);
}

static void id_key(size_t id, char *buf, size_t len)
{
	snprintf(buf, len, "%zu", id);
}

static const struct conflict_route *route_find(const struct conflict_index *ci, size_t id)
{
	char key[32];

	id_key(id, key, sizeof(key));
	return hmap_get(&ci->routes, key);
}

static char *route_name(const json_t *route)
{
	const json_t *meta = jv_obj(route, "metadata");
	const char *ns = jv_str(meta, "namespace");
	const char *name = jv_str(meta, "name");
	size_t len;
	char *s;

	if (ns == NULL || ns[0] == '\0')
		ns = "default";
	if (name == NULL)
		name = "";
	len = strlen(ns) + strlen(name) + 2;
	s = malloc(len);
	if (s != NULL)
		snprintf(s, len, "%s/%s", ns, name);
	return s;
}

/* the record of route_id, created from route on first sight; NULL on ENOMEM */
static struct conflict_route *route_get(struct conflict_index *ci, size_t id, const json_t *route)
{
	struct conflict_route *r;
	const char *created;
	char key[32];

	id_key(id, key, sizeof(key));
	r = hmap_get(&ci->routes, key);
	if (r != NULL)
		return r;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->id = id;
	r->name = route_name(route);
	created = jv_str(jv_obj(route, "metadata"), "creationTimestamp");
	/* copied: the route object may be freed before the report (check streams routes) */
	r->created = created != NULL && created[0] != '\0' ? strdup(created) : NULL;
	if (r->name == NULL || (created != NULL && created[0] != '\0' && r->created == NULL) || hmap_put(&ci->routes, key, r, NULL) != 0) {
		route_free(r);
		return NULL;
	}
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
	r->refs[r->nrefs++] = (struct conflict_ref){ c, m == NULL, rule, idx };
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

/* ---- registering ---- */

/* the state of one conflict_add call */
struct adder {
	struct conflict_index *ci;
	struct conflict_route *r;
	bool grpc;
	char tag;                   /* see conflict_claim.tag */
	const char *listener;
	char *key;                  /* owned scratch buffer for claim keys */
	size_t keycap;
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

/* the route's effective hostnames on the listener into *ret (malloc'd, borrowed
 * strings); returns how many, or (size_t)-1 on ENOMEM */
static size_t effective_hosts(const json_t *route, const char *lh, const char ***ret)
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

		if (e != NULL)
			v[n++] = e;
	}
	if (jv_size(hosts) == 0)
		v[n++] = lh != NULL ? lh : "*";
	return n;
}

/* key: the map's copy of "K|listener|host|mkey" (build_key) */
static struct conflict_claim *claim_new(const struct adder *a, const char *key, const char *host)
{
	struct conflict_claim *c = malloc(sizeof(*c));

	if (c == NULL)
		return NULL;
	c->llen = (int)strlen(a->listener);
	c->hlen = (int)strlen(host);
	c->listener = key + 2;
	c->host = c->listener + c->llen + 1;
	c->mkey = c->host + c->hlen + 1;
	c->grpc = a->grpc;
	c->tag = a->tag;
	return c;
}

static void claim_win(struct conflict_claim *c, const struct conflict_route *r, const json_t *m,
		      size_t rule, size_t idx)
{
	c->win = r;
	c->win_implicit = m == NULL;
	c->win_rule = rule;
	c->win_idx = idx;
}

/* a->key = "<tag>|<listener>|<host>|<match key>" (hot: one per match and hostname) */
static int build_key(struct adder *a, const char *host, const char *mkey)
{
	size_t ll = strlen(a->listener), hl = strlen(host), ml = strlen(mkey);
	size_t need = ll + hl + ml + 6;
	char *p;

	if (need > a->keycap) {
		char *k = realloc(a->key, need);

		if (k == NULL)
			return ERR_NOMEM;
		a->key = k;
		a->keycap = need;
	}
	p = a->key;
	*p++ = a->tag;
	*p++ = '|';
	memcpy(p, a->listener, ll);
	p += ll;
	*p++ = '|';
	memcpy(p, host, hl);
	p += hl;
	*p++ = '|';
	memcpy(p, mkey, ml + 1);
	return 0;
}

/* route a->r offers match m (rule, idx) for host: take the claim or contest it */
static int offer(struct adder *a, const char *host, const char *mkey, const json_t *m, size_t rule,
		 size_t idx)
{
	struct conflict_claim *c;

	if (build_key(a, host, mkey) != 0)
		return ERR_NOMEM;
	c = hmap_get(&a->ci->claims, a->key);
	if (c == NULL) {
		if (hmap_put(&a->ci->claims, a->key, NULL, NULL) != 0)
			return ERR_NOMEM;
		c = claim_new(a, hmap_key(&a->ci->claims, a->key), host);
		if (c == NULL) {
			hmap_del(&a->ci->claims, a->key, NULL);
			return ERR_NOMEM;
		}
		hmap_put(&a->ci->claims, a->key, c, NULL); /* the key exists: no allocation */
		claim_win(c, a->r, m, rule, idx);
	} else if (c->win == a->r) {
		return 0;           /* the route repeats its own match: WX-RULE-SHADOW */
	} else if (route_before(a->r, c->win)) {
		claim_win(c, a->r, m, rule, idx);
	}
	return ref_add(a->r, c, m, rule, idx);
}

static void cache_clear(struct conflict_index *ci)
{
	for (size_t i = 0; i < ci->cache_n; i++)
		free(ci->cache_keys[i]);
	ci->cache_n = 0;
	ci->cache_valid = false;
}

/* the keys of every match of route, in rule/match order, computed once per route_id */
static int cache_fill(struct conflict_index *ci, size_t route_id, const json_t *route, bool grpc)
{
	const json_t *rules = jv_arr(jv_obj(route, "spec"), "rules");

	if (ci->cache_valid && ci->cache_rid == route_id)
		return 0;
	cache_clear(ci);
	for (size_t r = 0; r < jv_size(rules); r++) {
		const json_t *rule = json_array_get(rules, r);

		for (size_t k = 0; k < route_rule_nmatches(rule, grpc); k++) {
			if (ci->cache_n == ci->cache_cap) {
				size_t cap = ci->cache_cap ? ci->cache_cap * 2 : 16;
				char **v = realloc(ci->cache_keys, cap * sizeof(*v));

				if (v == NULL)
					return ERR_NOMEM;
				ci->cache_keys = v;
				ci->cache_cap = cap;
			}
			const json_t *m = route_rule_match(rule, k);

			/* cluster_prune_route leaves each match as its key string */
			if (json_is_string(m))
				ci->cache_keys[ci->cache_n] = strdup(json_string_value(m));
			if (json_is_string(m) ? ci->cache_keys[ci->cache_n] == NULL
					      : route_match_key(m, &ci->cache_keys[ci->cache_n]) != 0)
				return ERR_NOMEM;
			ci->cache_n++;
		}
	}
	ci->cache_rid = route_id;
	ci->cache_valid = true;
	return 0;
}

static int offer_rules(struct adder *a, const json_t *route, const char **hosts, size_t nhosts)
{
	const json_t *rules = jv_arr(jv_obj(route, "spec"), "rules");
	size_t n = 0;
	int rc = cache_fill(a->ci, a->r->id, route, a->grpc);

	for (size_t r = 0; rc == 0 && r < jv_size(rules); r++) {
		const json_t *rule = json_array_get(rules, r);

		for (size_t k = 0; rc == 0 && k < route_rule_nmatches(rule, a->grpc); k++, n++) {
			const char *mkey = a->ci->cache_keys[n];

			for (size_t h = 0; rc == 0 && mkey != NULL && h < nhosts; h++)
				rc = offer(a, hosts[h], mkey, route_rule_match(rule, k), r, k);
		}
	}
	return rc;
}

int conflict_add(struct conflict_index *ci, size_t route_id, enum kind k, const json_t *route,
		 const char *listener, const char *listener_host)
{
	struct adder a = { .ci = ci, .grpc = k == KIND_GRPCROUTE, .listener = listener };
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
	if (a.tag == 'T' || a.tag == 'U') {
		/* no hostnames, no matches: the route claims the whole listener */
		a.r = route_get(ci, route_id, route);
		if (a.r == NULL)
			return ERR_NOMEM;
		rc = offer(&a, "*", "", NULL, 0, 0);
		free(a.key);
		return rc;
	}
	if (listener_host != NULL && (listener_host[0] == '\0' || strcmp(listener_host, "*") == 0))
		listener_host = NULL;
	a.r = route_get(ci, route_id, route);
	if (a.r == NULL)
		return ERR_NOMEM;
	nhosts = effective_hosts(route, listener_host, &hosts);
	if (nhosts == (size_t)-1)
		return ERR_NOMEM;
	rc = offer_rules(&a, route, hosts, nhosts);
	free(hosts);
	free(a.key);
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
			     "%s %s is attached to listener %.*s too and wins (%s): a %s listener sends all its connections to one route, so this route gets no traffic there; attach it to another listener (sectionName or port) or remove one of the two routes",
			     c->tag == 'T' ? "TCPRoute" : "UDPRoute", c->win->name, c->llen, c->listener, why,
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
		     "route %s claims hostname %.*s with the same match (%s) at its %s on listener %.*s and wins (%s), so this match gets no traffic for that hostname there; change this match or the route's hostnames, or remove the match from one of the two routes",
		     c->win->name, c->hlen, c->host, match, wfield, c->llen, c->listener, why);
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
