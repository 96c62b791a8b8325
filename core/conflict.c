/*
 * conflict: see conflict.h.
 *
 * Claims are grouped by listener, then by (kind tag, effective hostname): a group
 * holds the claims of every match offered for that hostname on that listener. Most
 * hostnames belong to one route, and a group that one route alone has offered to
 * holds no claims at all: it names that route (solo), whose matches are kept with the
 * route record. A second route expands it: the solo route's claims are made then, as
 * if it had offered them on arrival (their winner and their order in its report are
 * the same), and the group is an ordinary table of claims from then on. From 40,000
 * routes on, the claims were most of the memory the cluster pass allocated, and
 * clearing that memory a quarter of its time, for tables that nearly all held one
 * route.
 *
 * Listeners and canonical match keys are interned (few distinct strings: a claim's
 * key compares by pointer); hostnames are not (nearly all distinct, one table of all
 * of them was a cache miss per offer): each group keeps a copy of its own. Claims and
 * groups live in slabs, hostnames in text chunks (never moved, freed at once); route
 * records in a vector indexed by route id. A claim holds the winner so far; a route's
 * refs list every claim it offered, each with its place (seq) among the route's
 * offers, which orders its report (a route that was overtaken and offers the same
 * claim again gets a second ref, removed when reporting).
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
	const char *listener, *mkey; /* interned (conflict_index.strings) */
	const char *host;           /* its group's copy */
	const struct conflict_route *win;
	uint32_t win_rule, win_idx;
	bool win_implicit;          /* the winner's match is an implicit gRPC catch-all */
	char tag;                   /* H, G (GRPCRoute), or T/U (TCPRoute/UDPRoute: the whole listener
				     * is the claim) */
};

/* a claim a route offered, and where its match is */
struct conflict_ref {
	const struct conflict_claim *claim;
	uint32_t rule, idx;
	uint32_t seq;               /* the offer's place among the route's offers */
	bool implicit;              /* an implicit gRPC catch-all (a rule without matches) */
};

/* one match of a route, as it offers it on every listener */
struct route_match {
	const char *key;            /* interned canonical key */
	uint32_t rule, idx;
	bool implicit;              /* an implicit gRPC catch-all, or a TCPRoute/UDPRoute's
				     * whole-listener claim */
};

struct conflict_route {
	size_t id;
	char *name;                 /* owned: "namespace/name" */
	char *created;              /* owned metadata.creationTimestamp; NULL = newest */
	struct conflict_ref *refs;  /* owned */
	size_t nrefs, cap;
	struct route_match *matches; /* owned; made when a group with another route in it
				     * first needs them (most routes never meet another) */
	size_t nmatches;
	bool has_matches;
	json_t *rules;              /* a reference to the route's spec.rules until then;
				     * NULL with a source (conflict_set_source) */
	char tag;                   /* the index's tag of its kind; 0 until first registered */
	uint32_t nslots;            /* the matches it may offer (some may get no key): the
				     * step between its offers of one match on one listener */
	uint32_t nseq;              /* offers so far: the seq of the next one */
};

/* the claims of one (kind tag, effective hostname) on one listener */
struct group {
	const char *listener;       /* interned */
	const char *host;           /* owned copy (conflict_index.text) */
	uint64_t hhash;             /* hmap_hash(host) */
	char tag;
	/* while one route alone has offered here: that route, the seq of its offer of its
	 * first match here and the step between its matches' offers; NULL once expanded */
	const struct conflict_route *solo;
	uint32_t solo_seq, solo_step;
	struct ptab *claims;        /* owned, once expanded: mkey -> struct conflict_claim */
};

/* Slabs and text chunks start small and double up to these: an index for one
 * reviewed route holds a few claims, one for a whole tree hundreds of thousands (a
 * review's 120 KiB of first slabs, freed at once, kept the webhook's heap growing). */
#define SLAB_ITEMS 1024
#define SLAB_ITEMS_FIRST 16

/* items of one type, handed out in order and freed all at once */
struct slab {
	struct slab *next;
	size_t used, cap;
	_Alignas(16) unsigned char v[];
};

#define TEXT_CHUNK (64 * 1024)
#define TEXT_CHUNK_FIRST 1024

struct text_chunk {
	struct text_chunk *next;
	size_t used, size;
	char text[];
};

struct conflict_index {
	struct hmap strings;        /* interned listeners and match keys (values unused) */
	struct hmap listeners;      /* listener -> struct conflict_listener. A groups table
				     * per listener stays small and in cache while the routes
				     * of one namespace, which mostly share listeners, are
				     * added; one table for all was a cache miss per offer
				     * from 40k routes on */
	struct slab *claim_slabs;   /* owned: the claims (struct conflict_claim) */
	struct slab *group_slabs;   /* owned: the groups (struct group) */
	struct text_chunk *text;    /* owned: the groups' hostnames */
	struct conflict_route **routes; /* owned, indexed by route id; NULL: not seen */
	size_t nroutes;
	json_t *(*fetch)(void *ud, size_t route_id); /* conflict_set_source, or NULL */
	void *fetch_ud;
};

/* a listener's groups (conflict_listener) */
struct conflict_listener {
	const char *name;           /* interned */
	struct ptab groups;         /* (tag, hostname) -> struct group */
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
	free(r->matches);
	json_decref(r->rules);
	free(r);
}

static void ptab_free(void *p)
{
	if (p == NULL)
		return;
	ptab_release(p);
	free(p);
}

static void listener_free(void *p)
{
	struct conflict_listener *l = p;

	ptab_release(&l->groups);
	free(l);
}

void conflict_free(struct conflict_index *ci)
{
	if (ci == NULL)
		return;
	while (ci->claim_slabs != NULL) {
		struct slab *next = ci->claim_slabs->next;

		free(ci->claim_slabs);
		ci->claim_slabs = next;
	}
	while (ci->group_slabs != NULL) {
		struct slab *next = ci->group_slabs->next;
		struct group *g = (struct group *)ci->group_slabs->v;

		for (size_t i = 0; i < ci->group_slabs->used; i++)
			ptab_free(g[i].claims);
		free(ci->group_slabs);
		ci->group_slabs = next;
	}
	while (ci->text != NULL) {
		struct text_chunk *next = ci->text->next;

		free(ci->text);
		ci->text = next;
	}
	hmap_release(&ci->listeners, listener_free);
	for (size_t i = 0; i < ci->nroutes; i++)
		route_free(ci->routes[i]);
	free(ci->routes);
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

static int ref_add(struct conflict_route *r, const struct conflict_claim *c, const struct route_match *rm,
		   uint32_t seq)
{
	if (r->nrefs == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 4;
		struct conflict_ref *v = realloc(r->refs, cap * sizeof(*v));

		if (v == NULL)
			return ERR_NOMEM;
		r->refs = v;
		r->cap = cap;
	}
	r->refs[r->nrefs++] = (struct conflict_ref){ c, rm->rule, rm->idx, seq, rm->implicit };
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

/* ---- storage ---- */

static uint64_t mix(uint64_t h, uint64_t v)
{
	h = (h ^ v) * 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 29);
}

/* the next item (size bytes, zeroed) of the slabs *head, or NULL on ENOMEM */
static void *slab_take(struct slab **head, size_t size)
{
	unsigned char *p;

	if (*head == NULL || (*head)->used == (*head)->cap) {
		size_t cap = *head == NULL ? SLAB_ITEMS_FIRST
			     : (*head)->cap * 2 < SLAB_ITEMS ? (*head)->cap * 2 : SLAB_ITEMS;
		struct slab *s = malloc(sizeof(*s) + cap * size);

		if (s == NULL)
			return NULL;
		s->next = *head;
		s->used = 0;
		s->cap = cap;
		*head = s;
	}
	p = (*head)->v + size * (*head)->used++;
	memset(p, 0, size);
	return p;
}

static struct conflict_claim *claim_alloc(struct conflict_index *ci)
{
	return slab_take(&ci->claim_slabs, sizeof(struct conflict_claim));
}

static struct group *group_alloc(struct conflict_index *ci)
{
	return slab_take(&ci->group_slabs, sizeof(struct group));
}

/* a copy of s in the text chunks, or NULL on ENOMEM */
static const char *text_copy(struct conflict_index *ci, const char *s)
{
	size_t n = strlen(s) + 1;
	struct text_chunk *t = ci->text;

	if (t == NULL || t->size - t->used < n) {
		size_t size = t == NULL ? TEXT_CHUNK_FIRST : t->size * 2 < TEXT_CHUNK ? t->size * 2 : TEXT_CHUNK;

		if (size < n)
			size = n;

		t = malloc(sizeof(*t) + size);
		if (t == NULL)
			return NULL;
		t->next = ci->text;
		t->used = 0;
		t->size = size;
		ci->text = t;
	}
	memcpy(t->text + t->used, s, n);
	t->used += n;
	return t->text + t->used - n;
}

/* ---- registering ---- */

/* the state of one conflict_add call */
struct adder {
	struct conflict_index *ci;
	struct conflict_route *r;
	char tag;                   /* see conflict_claim.tag */
	const char *listener;       /* interned */
	struct ptab *groups;        /* the listener's */
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

/* the route's effective hostnames on the listener into *ret (malloc'd; borrowed from
 * the route, lh or literals); returns how many, or (size_t)-1 on ENOMEM */
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

static void claim_win(struct conflict_claim *c, const struct conflict_route *r, const struct route_match *rm)
{
	c->win = r;
	c->win_implicit = rm->implicit;
	c->win_rule = rm->rule;
	c->win_idx = rm->idx;
}

/* route r offers its match rm (offer number seq) in expanded group g: take the claim
 * or contest it (hot: one per match and hostname where two routes meet) */
static int offer(struct conflict_index *ci, struct group *g, struct conflict_route *r,
		 const struct route_match *rm, uint32_t seq)
{
	uint64_t h = mix(0x51ed27a3u, (uint64_t)(uintptr_t)rm->key);
	struct ptab *t = g->claims;
	struct conflict_claim *c;
	size_t i;

	if (ptab_reserve(t) != 0)
		return ERR_NOMEM;
	for (i = ptab_home(t, h); t->v[i].p != NULL; i = ptab_next(t, i))
		if (t->v[i].hash == h && ((struct conflict_claim *)t->v[i].p)->mkey == rm->key)
			break;
	c = t->v[i].p;
	if (c == NULL) {
		c = claim_alloc(ci);
		if (c == NULL)
			return ERR_NOMEM;
		*c = (struct conflict_claim){ .listener = g->listener, .host = g->host, .mkey = rm->key,
					      .tag = g->tag };
		claim_win(c, r, rm);
		t->v[i] = (struct ptab_slot){ h, c };
		t->n++;
	} else if (c->win == r) {
		return 0;           /* the route repeats its own match: WX-RULE-SHADOW */
	} else if (route_before(r, c->win)) {
		claim_win(c, r, rm);
	}
	return ref_add(r, c, rm, seq);
}

static int matches_fill(struct conflict_index *ci, struct conflict_route *r);

/* the first route's claims in g, made now that another route comes: as they would
 * have been made when it offered them */
static int expand(struct conflict_index *ci, struct group *g)
{
	struct conflict_route *solo = (struct conflict_route *)g->solo;
	int rc = matches_fill(ci, solo);

	if (rc != 0)
		return rc;
	g->claims = calloc(1, sizeof(*g->claims));
	if (g->claims == NULL)
		return ERR_NOMEM;
	ptab_init(g->claims);
	g->solo = NULL;
	for (size_t i = 0; rc == 0 && i < solo->nmatches; i++)
		rc = offer(ci, g, solo, &solo->matches[i], g->solo_seq + (uint32_t)i * g->solo_step);
	return rc;
}

/* the group (a->tag, host) of the listener, made on first use; NULL on ENOMEM */
static struct group *group_get(struct adder *a, const char *host, bool *made)
{
	uint64_t hh = hmap_hash(host), h = mix(mix((uint64_t)(unsigned char)a->tag, hh), 0x2545f491u);
	struct ptab *t = a->groups;
	struct group *g;
	size_t i;

	*made = false;
	if (ptab_reserve(t) != 0)
		return NULL;
	for (i = ptab_home(t, h); t->v[i].p != NULL; i = ptab_next(t, i)) {
		g = t->v[i].p;
		if (t->v[i].hash == h && g->tag == a->tag && g->hhash == hh && strcmp(g->host, host) == 0)
			return g;
	}
	g = group_alloc(a->ci);
	if (g == NULL || (g->host = text_copy(a->ci, host)) == NULL)
		return NULL;
	g->listener = a->listener;
	g->hhash = hh;
	g->tag = a->tag;
	t->v[i] = (struct ptab_slot){ h, g };
	t->n++;
	*made = true;
	return g;
}

/* route a->r offers its matches for host, the j-th of nhosts hostnames in this call */
static int offer_host(struct adder *a, const char *host, size_t j, size_t nhosts)
{
	struct conflict_route *r = a->r;
	uint32_t seq0 = r->nseq + (uint32_t)j;
	bool made;
	struct group *g = group_get(a, host, &made);
	int rc = 0;

	if (g == NULL)
		return ERR_NOMEM;
	if (made) {
		g->solo = r;
		g->solo_seq = seq0;
		g->solo_step = (uint32_t)nhosts;
		return 0;
	}
	if (g->solo == r)
		return 0;           /* all its own claims again */
	if (g->solo != NULL && (rc = expand(a->ci, g)) != 0)
		return rc;
	if ((rc = matches_fill(a->ci, r)) != 0)
		return rc;
	for (size_t i = 0; rc == 0 && i < r->nmatches; i++)
		rc = offer(a->ci, g, r, &r->matches[i], seq0 + (uint32_t)(i * nhosts));
	return rc;
}

static int match_push(struct conflict_route *r, size_t *cap, struct route_match m)
{
	if (r->nmatches == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4;
		struct route_match *v = realloc(r->matches, ncap * sizeof(*v));

		if (v == NULL)
			return ERR_NOMEM;
		r->matches = v;
		*cap = ncap;
	}
	r->matches[r->nmatches++] = m;
	return 0;
}

/* every match of the route that has a key, in rule/match order: keyed from the rules
 * it referenced at its first registration, once a group it offered to is contested */
static int matches_fill(struct conflict_index *ci, struct conflict_route *r)
{
	const json_t *rules = r->rules;
	json_t *tree = NULL;
	size_t cap = 0;
	int rc = 0;

	if (r->has_matches)
		return 0;
	r->nmatches = 0;
	if (r->tag == 'T' || r->tag == 'U') {
		/* no hostnames, no matches: the route claims the whole listener */
		const char *none = hmap_intern(&ci->strings, "");

		if (none == NULL || match_push(r, &cap, (struct route_match){ none, 0, 0, true }) != 0)
			return ERR_NOMEM;
		r->has_matches = true;
		return 0;
	}
	if (rules == NULL && ci->fetch != NULL) {
		if ((tree = ci->fetch(ci->fetch_ud, r->id)) == NULL)
			return ERR_NOMEM;
		rules = jv_arr(jv_obj(tree, "spec"), "rules");
	}
	for (size_t ri = 0; rc == 0 && ri < jv_size(rules); ri++) {
		const json_t *rule = json_array_get(rules, ri);
		size_t n = route_rule_nmatches(rule, r->tag == 'G');

		for (size_t k = 0; rc == 0 && k < n; k++) {
			const json_t *m = route_rule_match(rule, k);
			const char *key;
			char *text = NULL;

			/* cluster_prune_route leaves each match as its key string */
			if (json_is_string(m)) {
				key = hmap_intern(&ci->strings, json_string_value(m));
			} else {
				if (route_match_key(m, &text) != 0) {
					rc = ERR_NOMEM;
					break;
				}
				if (text == NULL)
					continue; /* no key: claims nothing */
				key = hmap_intern(&ci->strings, text);
				free(text);
			}
			if (key == NULL ||
			    match_push(r, &cap, (struct route_match){ key, (uint32_t)ri, (uint32_t)k, m == NULL }) != 0)
				rc = ERR_NOMEM;
		}
	}
	json_decref(tree);
	if (rc != 0)
		return rc;
	r->has_matches = true;
	json_decref(r->rules);
	r->rules = NULL;
	return 0;
}

/* At a route's first registration: how many matches it may offer, and a reference to
 * its rules to key them when needed, unless the index has a source to ask again
 * (TCPRoutes and UDPRoutes are keyed without their rules). */
static void matches_note(struct conflict_index *ci, struct conflict_route *r, const json_t *route, char tag)
{
	json_t *rules = jv_arr(jv_obj(route, "spec"), "rules");
	size_t n = 0;

	r->tag = tag;
	if (ci->fetch == NULL && tag != 'T' && tag != 'U')
		r->rules = json_incref(rules);
	for (size_t ri = 0; ri < jv_size(rules); ri++)
		n += route_rule_nmatches(json_array_get(rules, ri), tag == 'G');
	r->nslots = (uint32_t)n;
}

void conflict_set_source(struct conflict_index *ci, json_t *(*fetch)(void *ud, size_t route_id), void *ud)
{
	ci->fetch = fetch;
	ci->fetch_ud = ud;
}

struct conflict_listener *conflict_listener(struct conflict_index *ci, const char *listener)
{
	struct conflict_listener *l = hmap_get(&ci->listeners, listener);

	if (l != NULL)
		return l;
	l = malloc(sizeof(*l));
	if (l == NULL)
		return NULL;
	ptab_init(&l->groups);
	l->name = hmap_intern(&ci->strings, listener);
	if (l->name == NULL || hmap_put(&ci->listeners, listener, l, NULL) != 0) {
		free(l);
		return NULL;
	}
	return l;
}

int conflict_add(struct conflict_index *ci, size_t route_id, enum kind k, const json_t *route,
		 const char *listener, const char *listener_host)
{
	struct conflict_listener *l = conflict_listener(ci, listener);

	return l == NULL ? ERR_NOMEM : conflict_add_on(ci, route_id, k, route, l, listener_host);
}

int conflict_add_on(struct conflict_index *ci, size_t route_id, enum kind k, const json_t *route,
		    struct conflict_listener *l, const char *listener_host)
{
	struct adder a = { .ci = ci };
	const char **hosts;
	size_t nhosts;
	int rc = 0;

	switch (k) {
	case KIND_HTTPROUTE: a.tag = 'H'; break;
	case KIND_GRPCROUTE: a.tag = 'G'; break;
	case KIND_TCPROUTE: a.tag = 'T'; break;
	case KIND_UDPROUTE: a.tag = 'U'; break;
	default: return 0;
	}
	a.listener = l->name;
	a.groups = &l->groups;
	a.r = route_get(ci, route_id, route);
	if (a.r == NULL)
		return ERR_NOMEM;
	if (a.r->tag == 0)
		matches_note(ci, a.r, route, a.tag);
	if (a.tag == 'T' || a.tag == 'U') {
		rc = offer_host(&a, "*", 0, 1);
		a.r->nseq++;
		return rc;
	}
	if (listener_host != NULL && (listener_host[0] == '\0' || strcmp(listener_host, "*") == 0))
		listener_host = NULL;
	nhosts = effective_hosts(route, listener_host, &hosts);
	if (nhosts == (size_t)-1)
		return ERR_NOMEM;
	for (size_t j = 0; rc == 0 && j < nhosts; j++)
		rc = offer_host(&a, hosts[j], j, nhosts);
	a.r->nseq += (uint32_t)(a.r->nslots * nhosts);
	free(hosts);
	return rc;
}

/* ---- reporting ---- */

/* a lost claim and its place among the route's offers */
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
			v[n++] = (struct loss){ &r->refs[i], r->refs[i].seq };
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
	describe_match(match, sizeof(match), m, c->tag == 'G');
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
