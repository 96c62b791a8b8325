/*
 * store: see store.h.
 *
 * Per kind, one entry per object, reachable from a name map (ns + name) and listed
 * in four kinds of plain arrays: all objects of the kind, per namespace, and (for
 * routes) per hostname and per parent Gateway. The arrays hold the json_t pointers
 * themselves so the view can hand them out without copying; each entry remembers its
 * position in every array so a replacement is a few pointer stores, not a search.
 *
 * Every array removes by moving its last element into the hole (store_remove, and a
 * replacement whose hostnames or parents changed), so each carries a parallel owner
 * array: the moved entry's remembered position is fixed in O(1) (kind and namespace
 * arrays) or O(its hostnames) / O(its parents) (the reference arrays).
 *
 * Every fallible step of an add (allocations, map inserts, array growth) happens
 * before the first visible change, so an out-of-memory add leaves the view as it
 * was; at worst an empty array or spare capacity stays behind, which no lookup can
 * tell from nothing.
 */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"
#include "jcopy.h"
#include "jparse.h"
#include "jv.h"
#include "jwrite.h"
#include "ptab.h"

#define NS_NAME_LABEL "kubernetes.io/metadata.name"
#define GAPI_GROUP "gateway.networking.k8s.io"

struct entry;

struct plist {
	const json_t **objs;    /* borrowed-from-entry pointers: &obj1 or an owned array */
	struct entry **owners;  /* owners[i] holds objs[i]: &owner1 or an owned array
				 * (NULL in the by-name index) */
	size_t n, cap;
	/* Room for the first element in the list itself: most lists of the hostname
	 * index hold one route (hostnames are mostly unique), and two arrays of their
	 * own would triple what each costs. */
	const json_t *obj1;
	struct entry *owner1;
};

/* The reference indexes of routes: what a route names, each a map to lists. */
enum ref {
	REF_HOST,               /* spec.hostnames entry, or "*" for none */
	REF_PARENT,             /* name key of a Gateway named in spec.parentRefs */
	REF_MAX
};

struct refpos {
	struct plist *list;     /* a list of one reference index holding this entry */
	size_t pos;             /* where in it */
};

struct refs {
	struct refpos *v;       /* owned; one per distinct list */
	size_t n;
};

struct entry {
	json_t *obj;            /* owned reference; NULL for a compact route */
	char *text;             /* compact route (owned): its name, a NUL, its compact JSON */
	size_t text_len;        /* all of text, without the final NUL */
	struct plist *ns_list;
	size_t ns_pos, kind_pos;
	struct refs refs[REF_MAX];  /* routes only */
};

struct kindidx {
	struct hmap by_name;    /* name key -> struct entry * (owned) */
	struct hmap by_ns;      /* namespace -> struct plist * (owned) */
	/* REF_HOST: hostname or "*"; REF_PARENT: a Gateway's name key; each ->
	 * struct plist * (owned, tracked) */
	struct hmap by_ref[REF_MAX];
	struct plist all;
	/* metadata.name -> struct plist * (owned): built on the first list_name and
	 * dropped by the next add, so adds stay O(1) and lookups O(result) */
	struct hmap by_bare_name;
	bool bare_valid;
};

struct store {
	struct kindidx k[KIND_MAX];
	struct hmap ns_labels;  /* namespace -> json_t * (owned reference), a cache */
	char *default_ns;       /* owned */
	/* taken around the lazy fills on read (store_set_lock); NULL: single reader */
	void (*lock)(void *ud);
	void (*unlock)(void *ud);
	void *lock_ud;
	uint64_t gen;           /* view generation: new on every change (see view.h) */
	bool compact;           /* routes kept as text (store_set_compact_routes) */
};

/* the depth of a route written to text and parsed back (slim routes are ~6 deep) */
#define TEXT_DEPTH 512

static bool compact_kind(const struct store *s, enum kind k)
{
	return s->compact && kind_is_route(k);
}

/* Generations come from one counter for every store, so a store freed and another
 * allocated at its address never answer the same number. */
static uint64_t next_generation(void)
{
	static uint64_t counter;

	return __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
}

static void fill_begin(const struct store *s)
{
	if (s->lock != NULL)
		s->lock(s->lock_ud);
}

static void fill_end(const struct store *s)
{
	if (s->unlock != NULL)
		s->unlock(s->lock_ud);
}

static bool cluster_scoped(enum kind k)
{
	return k == KIND_NAMESPACE || k == KIND_GATEWAYCLASS;
}

static struct kindidx *kidx(struct store *s, enum kind k)
{
	if ((int)k <= KIND_OTHER || k >= KIND_MAX)
		return NULL;
	return &s->k[k];
}

static const char *norm_ns(const struct store *s, enum kind k, const char *ns)
{
	if (cluster_scoped(k))
		return "";
	return ns != NULL && *ns != '\0' ? ns : s->default_ns;
}

/*
 * The name map key. The namespace's length leads, so no namespace or name, however
 * malformed (an invalid object may hold a '/'), can make two keys collide. Written
 * to buf when it fits, else to the heap: callers free the result when it is not buf.
 */
static char *name_key(char *buf, size_t bufsz, const char *ns, const char *name)
{
	size_t need = strlen(ns) + strlen(name) + 24;
	char *p = buf;

	if (need > bufsz) {
		p = malloc(need);
		if (p == NULL)
			return NULL;
	}
	{
		/* "<len(ns)>:<ns>/<name>" (hot: every lookup by name) */
		size_t nl = strlen(ns), ml = strlen(name), d = 0, x = nl;
		char digits[24];

		do {
			digits[d++] = (char)('0' + x % 10);
			x /= 10;
		} while (x > 0);
		for (size_t i = 0; i < d; i++)
			p[i] = digits[d - 1 - i];
		p[d] = ':';
		memcpy(p + d + 1, ns, nl);
		p[d + 1 + nl] = '/';
		memcpy(p + d + 2 + nl, name, ml + 1);
	}
	return p;
}

/* An empty list with room for one, in place; a tracked list has owners, and a
 * non-NULL owners is what marks it tracked. */
static void plist_init(struct plist *l, bool tracked)
{
	*l = (struct plist){ .objs = &l->obj1, .owners = tracked ? &l->owner1 : NULL, .cap = 1 };
}

static struct plist *plist_new(bool tracked)
{
	struct plist *l = malloc(sizeof(*l));

	if (l != NULL)
		plist_init(l, tracked);
	return l;
}

/* the arrays of l, not l itself */
static void plist_release(struct plist *l)
{
	if (l->objs != &l->obj1)
		free(l->objs);
	if (l->owners != &l->owner1)
		free(l->owners);
}

static void plist_free(void *p)
{
	struct plist *l = p;

	if (l == NULL)
		return;
	plist_release(l);
	free(l);
}

/* a at n elements of size sz moved to an array of ncap (from the list's own slot, or
 * grown); NULL on ENOMEM, and a is then unchanged */
static void *grow_array(void *a, const void *inline_slot, size_t n, size_t ncap, size_t sz)
{
	void *nv;

	if (a != inline_slot)
		return realloc(a, ncap * sz);
	nv = malloc(ncap * sz);
	if (nv != NULL)
		memcpy(nv, a, n * sz);
	return nv;
}

static int plist_reserve(struct plist *l, size_t need)
{
	size_t ncap;
	void *nv;

	if (need <= l->cap)
		return 0;
	ncap = l->cap < 4 ? 4 : l->cap * 2;
	if (ncap < need)
		ncap = need;
	if (ncap > SIZE_MAX / sizeof(void *))
		return ERR_NOMEM;
	/* cap stays until both arrays have grown: a failure leaves one array larger than
	 * cap says, which is harmless */
	nv = grow_array(l->objs, &l->obj1, l->n, ncap, sizeof(*l->objs));
	if (nv == NULL)
		return ERR_NOMEM;
	l->objs = nv;
	if (l->owners != NULL) {
		nv = grow_array(l->owners, &l->owner1, l->n, ncap, sizeof(*l->owners));
		if (nv == NULL)
			return ERR_NOMEM;
		l->owners = nv;
	}
	l->cap = ncap;
	return 0;
}

/* The list under key in m, created (tracked or not) when missing. */
static struct plist *plist_at(struct hmap *m, const char *key, bool tracked)
{
	struct plist *l = hmap_get(m, key);

	if (l != NULL)
		return l;
	l = plist_new(tracked);
	if (l == NULL)
		return NULL;
	if (hmap_put(m, key, l, NULL) < 0) {
		plist_free(l);
		return NULL;
	}
	return l;
}

/*
 * A route's membership of a reference index is planned, then committed. The plan
 * holds the list for each reference (each with room for one more) and the refpos
 * array the entry will own.
 */
struct refplan {
	struct plist **targets;
	size_t n, cap;
	struct refpos *refs;
};

static void refplan_free(struct refplan *p)
{
	free(p->targets);
	free(p->refs);
	p->targets = NULL;
	p->refs = NULL;
	p->n = 0;
}

static int refplan_init(struct refplan *p, size_t cap)
{
	p->n = 0;
	p->cap = cap ? cap : 1;
	p->targets = malloc(p->cap * sizeof(*p->targets));
	p->refs = malloc(p->cap * sizeof(*p->refs));
	if (p->targets == NULL || p->refs == NULL) {
		refplan_free(p);
		return ERR_NOMEM;
	}
	return 0;
}

/* Plan membership of the list under key in m; at most p->cap calls. */
static int refplan_add(struct refplan *p, struct hmap *m, const char *key)
{
	struct plist *l = plist_at(m, key, true);

	if (l == NULL || plist_reserve(l, l->n + 1) < 0)
		return ERR_NOMEM;
	p->targets[p->n++] = l;
	return 0;
}

/* The hostname lists of a route: one per spec.hostnames string, or "*" for none. */
static int hostplan_make(struct kindidx *ki, const json_t *obj, struct refplan *ret)
{
	const json_t *hosts = jv_arr(jv_obj(obj, "spec"), "hostnames");
	json_t *h;
	size_t i;

	if (refplan_init(ret, jv_size(hosts)) < 0)
		return ERR_NOMEM;
	json_array_foreach(hosts, i, h) {
		if (json_is_string(h) && refplan_add(ret, &ki->by_ref[REF_HOST], json_string_value(h)) < 0)
			goto out_nomem;
	}
	if (ret->n == 0 && refplan_add(ret, &ki->by_ref[REF_HOST], "*") < 0)
		goto out_nomem;
	return 0;

out_nomem:
	refplan_free(ret);
	return ERR_NOMEM;
}

/*
 * The parent lists of a route in namespace ns: one per parentRef that may name a
 * Gateway (group gateway.networking.k8s.io or unset, kind Gateway or unset), keyed
 * like the Gateway itself; an unset or empty namespace is the route's.
 */
static int parentplan_make(struct kindidx *ki, const json_t *obj, const char *ns, struct refplan *ret)
{
	const json_t *prefs = jv_arr(jv_obj(obj, "spec"), "parentRefs");
	json_t *ref;
	size_t i;

	if (refplan_init(ret, jv_size(prefs)) < 0)
		return ERR_NOMEM;
	json_array_foreach(prefs, i, ref) {
		const char *g = jv_str(ref, "group"), *k = jv_str(ref, "kind");
		const char *name = jv_str(ref, "name"), *gns = jv_str(ref, "namespace");
		char buf[320], *key;
		int rc;

		if ((g != NULL && strcmp(g, GAPI_GROUP) != 0) || (k != NULL && strcmp(k, "Gateway") != 0) ||
		    name == NULL || *name == '\0')
			continue;
		key = name_key(buf, sizeof(buf), gns != NULL && *gns != '\0' ? gns : ns, name);
		if (key == NULL)
			goto out_nomem;
		rc = refplan_add(ret, &ki->by_ref[REF_PARENT], key);
		if (key != buf)
			free(key);
		if (rc < 0)
			goto out_nomem;
	}
	return 0;

out_nomem:
	refplan_free(ret);
	return ERR_NOMEM;
}

/* Both plans of a route (ns: its normalised namespace), or neither. */
static int plans_make(struct kindidx *ki, const json_t *obj, const char *ns, struct refplan plans[REF_MAX])
{
	if (hostplan_make(ki, obj, &plans[REF_HOST]) < 0)
		return ERR_NOMEM;
	if (parentplan_make(ki, obj, ns, &plans[REF_PARENT]) < 0) {
		refplan_free(&plans[REF_HOST]);
		return ERR_NOMEM;
	}
	return 0;
}

/* Cannot fail: the plan reserved the room. Takes the plan's refs array. */
static void refplan_commit(struct refplan *p, struct entry *e, enum ref r)
{
	struct refs *rs = &e->refs[r];

	rs->v = p->refs;
	rs->n = 0;
	for (size_t i = 0; i < p->n; i++) {
		struct plist *l = p->targets[i];

		/*
		 * A reference listed twice must not list the route twice. This entry's
		 * appends are the only ones happening now, so if l already has it, it
		 * is l's last element.
		 */
		if (l->n > 0 && l->owners[l->n - 1] == e)
			continue;
		l->objs[l->n] = e->obj;
		l->owners[l->n] = e;
		rs->v[rs->n++] = (struct refpos){ l, l->n };
		l->n++;
	}
	p->refs = NULL;
	refplan_free(p);
}

/* True when the plan would put e in exactly the lists, in the order, it is in. */
static bool refplan_same(const struct refplan *p, const struct entry *e, enum ref r)
{
	const struct refs *rs = &e->refs[r];

	if (p->n != rs->n)
		return false;
	for (size_t i = 0; i < p->n; i++)
		if (p->targets[i] != rs->v[i].list)
			return false;
	return true;
}

static void ref_unlink(struct entry *e, enum ref r)
{
	struct refs *rs = &e->refs[r];

	for (size_t i = 0; i < rs->n; i++) {
		struct plist *l = rs->v[i].list;
		size_t pos = rs->v[i].pos, last = l->n - 1;

		if (pos != last) {
			struct entry *moved = l->owners[last];
			struct refs *ms = &moved->refs[r];

			l->objs[pos] = l->objs[last];
			l->owners[pos] = moved;
			for (size_t j = 0; j < ms->n; j++) {
				if (ms->v[j].list == l && ms->v[j].pos == last) {
					ms->v[j].pos = pos;
					break;
				}
			}
		}
		l->n--;
	}
	free(rs->v);
	rs->v = NULL;
	rs->n = 0;
}

/* e keeps text (taken) when there is one, else a reference to obj; returns what the
 * lists hold for e (NULL for text) */
static json_t *entry_hold(struct entry *e, json_t *obj, char *text, size_t text_len)
{
	e->text = text;
	e->text_len = text_len;
	e->obj = text != NULL ? NULL : json_incref(obj);
	return e->obj;
}

/* text: the compact form of obj to keep instead of obj (taken on success), or NULL */
static int replace(struct kindidx *ki, enum kind k, const char *ns, struct entry *e, json_t *obj,
		   char *text, size_t text_len)
{
	struct refplan plans[REF_MAX];
	json_t *old = e->obj;
	char *old_text = e->text;

	if (kind_is_route(k) && plans_make(ki, obj, ns, plans) < 0)
		return ERR_NOMEM;
	obj = entry_hold(e, obj, text, text_len);
	ki->all.objs[e->kind_pos] = obj;
	e->ns_list->objs[e->ns_pos] = obj;
	for (int r = 0; kind_is_route(k) && r < REF_MAX; r++) {
		struct refs *rs = &e->refs[r];

		if (refplan_same(&plans[r], e, r)) {
			/* the usual case (the applied version of a state object): keep places */
			for (size_t i = 0; i < rs->n; i++)
				rs->v[i].list->objs[rs->v[i].pos] = obj;
			refplan_free(&plans[r]);
		} else {
			ref_unlink(e, r);
			refplan_commit(&plans[r], e, r);
		}
	}
	json_decref(old);
	free(old_text);
	return 0;
}

/* text as for replace */
static int insert(struct kindidx *ki, enum kind k, const char *ns, const char *key, json_t *obj, char *text,
		  size_t text_len)
{
	struct refplan plans[REF_MAX];
	struct plist *nsl;
	struct entry *e;

	nsl = plist_at(&ki->by_ns, ns, true);
	if (nsl == NULL || plist_reserve(nsl, nsl->n + 1) < 0 ||
	    plist_reserve(&ki->all, ki->all.n + 1) < 0)
		return ERR_NOMEM;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return ERR_NOMEM;
	if (kind_is_route(k) && plans_make(ki, obj, ns, plans) < 0)
		goto out_free_entry;
	if (hmap_put(&ki->by_name, key, e, NULL) < 0)
		goto out_free_plans;

	obj = entry_hold(e, obj, text, text_len);
	e->ns_list = nsl;
	e->ns_pos = nsl->n;
	nsl->owners[nsl->n] = e;
	nsl->objs[nsl->n++] = obj;
	e->kind_pos = ki->all.n;
	ki->all.owners[ki->all.n] = e;
	ki->all.objs[ki->all.n++] = obj;
	for (int r = 0; kind_is_route(k) && r < REF_MAX; r++)
		refplan_commit(&plans[r], e, r);
	return 0;

out_free_plans:
	if (kind_is_route(k)) {
		refplan_free(&plans[REF_HOST]);
		refplan_free(&plans[REF_PARENT]);
	}
out_free_entry:
	free(e);
	return ERR_NOMEM;
}

/* A compact route's text: its name, a NUL, then obj as compact JSON. ERR_LIMIT for
 * an object nested deeper than TEXT_DEPTH (not kept), else ERR_NOMEM. */
static int to_text(const json_t *obj, const char *name, char **ret, size_t *ret_len)
{
	struct jwbuf b = { .max_depth = TEXT_DEPTH };
	char *shrunk;

	jwrite_raw(&b, name, strlen(name) + 1);
	jwrite_value(&b, obj);
	*ret = jwrite_finish(&b, ret_len);
	if (*ret == NULL)
		return b.too_deep ? ERR_LIMIT : ERR_NOMEM;
	/* the buffer grew by doubling: give the slack back, it is kept for long */
	shrunk = realloc(*ret, *ret_len + 1);
	if (shrunk != NULL)
		*ret = shrunk;
	return 0;
}

bool store_keeps(enum kind k, const json_t *obj)
{
	if ((int)k <= KIND_OTHER || k >= KIND_MAX)
		return false;
	/* listeners only ever reference TLS Secrets; the rest is noise (and secrets) */
	return k != KIND_SECRET || jv_streq(obj, "type", "kubernetes.io/tls");
}

int store_add(struct store *s, json_t *obj, struct err *err)
{
	enum kind k = kind_classify(jv_str(obj, "apiVersion"), jv_str(obj, "kind"), NULL);
	const json_t *meta = jv_obj(obj, "metadata");
	const char *name = jv_str(meta, "name");
	struct kindidx *ki = kidx(s, k);
	char buf[320], *key, *text = NULL;
	size_t text_len = 0;
	struct entry *e;
	const char *ns;
	void *old;
	int r;

	s->gen = next_generation();
	if (ki == NULL)
		return 0;
	ki->bare_valid = false; /* the by-name index is rebuilt on the next list_name */
	if (!store_keeps(k, obj))
		return 0;
	if (name == NULL || *name == '\0')
		return err_set(err, ERR_INVALID, "%s without metadata.name cannot be part of the cluster state",
			       kind_name(k));
	ns = norm_ns(s, k, jv_str(meta, "namespace"));
	key = name_key(buf, sizeof(buf), ns, name);
	if (key == NULL)
		return err_set(err, ERR_NOMEM, "out of memory adding %s %s/%s", kind_name(k), ns, name);
	e = hmap_get(&ki->by_name, key);
	r = 0;
	if (compact_kind(s, k))
		r = to_text(obj, name, &text, &text_len);
	if (r == 0)
		r = e ? replace(ki, k, ns, e, obj, text, text_len) : insert(ki, k, ns, key, obj, text, text_len);
	if (key != buf)
		free(key);
	if (r < 0) {
		free(text);
		if (r == ERR_LIMIT)
			return err_set(err, r, "%s %s/%s nests deeper than %d levels; not kept", kind_name(k), ns,
				       name, TEXT_DEPTH);
		return err_set(err, r, "out of memory adding %s %s/%s", kind_name(k), ns, name);
	}
	/* the cached label set of this namespace is stale now */
	if (k == KIND_NAMESPACE && hmap_del(&s->ns_labels, name, &old))
		json_decref(old);
	return 0;
}

static void entry_free(void *p)
{
	struct entry *e = p;

	json_decref(e->obj);
	free(e->text);
	for (int r = 0; r < REF_MAX; r++)
		free(e->refs[r].v);
	free(e);
}

/* Move l's last element into pos; returns the entry that moved (or NULL). */
static struct entry *plist_take(struct plist *l, size_t pos)
{
	size_t last = l->n - 1;
	struct entry *moved = NULL;

	if (pos != last) {
		moved = l->owners[last];
		l->objs[pos] = l->objs[last];
		l->owners[pos] = moved;
	}
	l->n--;
	return moved;
}

int store_remove(struct store *s, enum kind k, const char *ns, const char *name)
{
	struct kindidx *ki = kidx(s, k);
	char buf[320], *key;
	struct entry *e, *moved;
	void *old;

	if (ki == NULL || name == NULL)
		return ERR_NOTFOUND;
	s->gen = next_generation();
	ns = norm_ns(s, k, ns);
	key = name_key(buf, sizeof(buf), ns, name);
	if (key == NULL)
		return ERR_NOMEM;
	e = hmap_get(&ki->by_name, key);
	if (e != NULL)
		hmap_del(&ki->by_name, key, NULL);
	if (key != buf)
		free(key);
	if (e == NULL)
		return ERR_NOTFOUND;
	ki->bare_valid = false;
	moved = plist_take(&ki->all, e->kind_pos);
	if (moved != NULL)
		moved->kind_pos = e->kind_pos;
	moved = plist_take(e->ns_list, e->ns_pos);
	if (moved != NULL)
		moved->ns_pos = e->ns_pos;
	for (int r = 0; r < REF_MAX; r++)
		ref_unlink(e, r);
	if (k == KIND_NAMESPACE && hmap_del(&s->ns_labels, name, &old))
		json_decref(old);
	entry_free(e);
	return 0;
}

static const json_t *v_get(void *ctx, enum kind k, const char *ns, const char *name)
{
	struct store *s = ctx;
	struct kindidx *ki = kidx(s, k);
	struct entry *e;
	char buf[320], *key;

	if (ki == NULL || name == NULL)
		return NULL;
	key = name_key(buf, sizeof(buf), norm_ns(s, k, ns), name);
	if (key == NULL)
		return NULL;
	e = hmap_get(&ki->by_name, key);
	if (key != buf)
		free(key);
	return e ? e->obj : NULL;  /* NULL for a compact route too */
}

static size_t list_of(const struct plist *l, const json_t *const **ret)
{
	if (l == NULL || l->n == 0) {
		*ret = NULL;
		return 0;
	}
	*ret = l->objs;
	return l->n;
}

/*
 * The lists behind the list calls, shared by the store's view and the readers'. A
 * compact kind's lists hold NULL objects: the store's view answers them with nothing,
 * a reader parses their owners' text.
 */
static const struct plist *ns_list(struct store *s, enum kind k, const char *ns)
{
	struct kindidx *ki = kidx(s, k);

	return ki ? hmap_get(&ki->by_ns, norm_ns(s, k, ns)) : NULL;
}

static const struct plist *kind_list(struct store *s, enum kind k)
{
	struct kindidx *ki = kidx(s, k);

	return ki ? &ki->all : NULL;
}

static const struct plist *hostname_list(struct store *s, enum kind k, const char *hostname)
{
	struct kindidx *ki = kidx(s, k);

	return ki ? hmap_get(&ki->by_ref[REF_HOST], hostname ? hostname : "*") : NULL;
}

static const struct plist *parent_list(struct store *s, enum kind k, const char *gw_ns, const char *gw_name)
{
	struct kindidx *ki = kidx(s, k);
	const struct plist *l;
	char buf[320], *key;

	if (ki == NULL || !kind_is_route(k) || gw_name == NULL)
		return NULL;
	key = name_key(buf, sizeof(buf), norm_ns(s, KIND_GATEWAY, gw_ns), gw_name);
	if (key == NULL)
		return NULL;
	l = hmap_get(&ki->by_ref[REF_PARENT], key);
	if (key != buf)
		free(key);
	return l;
}

static const struct plist *name_list(struct store *s, enum kind k, const char *name);

static size_t v_list_ns(void *ctx, enum kind k, const char *ns, const json_t *const **ret)
{
	return list_of(compact_kind(ctx, k) ? NULL : ns_list(ctx, k, ns), ret);
}

static size_t v_list_kind(void *ctx, enum kind k, const json_t *const **ret)
{
	return list_of(compact_kind(ctx, k) ? NULL : kind_list(ctx, k), ret);
}

static size_t v_list_hostname(void *ctx, enum kind k, const char *hostname, const json_t *const **ret)
{
	return list_of(compact_kind(ctx, k) ? NULL : hostname_list(ctx, k, hostname), ret);
}

static size_t v_list_parent(void *ctx, enum kind k, const char *gw_ns, const char *gw_name,
			    const json_t *const **ret)
{
	return list_of(compact_kind(ctx, k) ? NULL : parent_list(ctx, k, gw_ns, gw_name), ret);
}

static const json_t *namespace_labels_fill(struct store *s, const char *ns);

static const json_t *v_namespace_labels(void *ctx, const char *ns)
{
	struct store *s = ctx;
	const json_t *set;

	fill_begin(s);
	set = namespace_labels_fill(s, ns);
	fill_end(s);
	return set;
}

static const json_t *namespace_labels_fill(struct store *s, const char *ns)
{
	const json_t *nsobj, *labels;
	json_t *set, *val;

	if (ns == NULL || *ns == '\0')
		return NULL;
	set = hmap_get(&s->ns_labels, ns);
	if (set != NULL)
		return set;
	nsobj = v_get(s, KIND_NAMESPACE, "", ns);
	labels = jv_obj(jv_obj(nsobj, "metadata"), "labels");
	set = labels ? jcopy(labels) : json_object();
	if (set == NULL)
		return NULL;
	/* the API server sets this label on every namespace and users cannot change it */
	val = json_string(ns);
	if (json_object_set_new(set, NS_NAME_LABEL, val) < 0 || hmap_put(&s->ns_labels, ns, set, NULL) < 0) {
		json_decref(set);
		return NULL;
	}
	return set;
}

/* The by-name lists are tracked (owners kept) for compact kinds: readers parse the
 * owners. */
static int build_bare_names(struct kindidx *ki, bool compact)
{
	hmap_release(&ki->by_bare_name, plist_free);
	hmap_init(&ki->by_bare_name);
	for (size_t i = 0; i < ki->all.n; i++) {
		const struct entry *e = ki->all.owners[i];
		/* a compact route's text starts with its name */
		const char *name = e->text != NULL ? e->text : jv_str(jv_obj(e->obj, "metadata"), "name");
		struct plist *l;

		if (name == NULL)
			continue;
		l = hmap_get(&ki->by_bare_name, name);
		if (l == NULL) {
			l = plist_new(compact);
			if (l == NULL || hmap_put(&ki->by_bare_name, name, l, NULL) != 0) {
				free(l);
				return ERR_NOMEM;
			}
		}
		if (plist_reserve(l, l->n + 1) != 0)
			return ERR_NOMEM;
		if (l->owners != NULL)
			l->owners[l->n] = ki->all.owners[i];
		l->objs[l->n++] = ki->all.objs[i];
	}
	ki->bare_valid = true;
	return 0;
}

static const struct plist *name_list(struct store *s, enum kind k, const char *name)
{
	struct kindidx *ki = kidx(s, k);
	const struct plist *l = NULL;

	if (ki == NULL || name == NULL)
		return NULL;
	fill_begin(s);
	if (ki->bare_valid || build_bare_names(ki, compact_kind(s, k)) == 0)
		l = hmap_get(&ki->by_bare_name, name);
	fill_end(s);
	return l;
}

static size_t v_list_name(void *ctx, enum kind k, const char *name, const json_t *const **ret)
{
	return list_of(compact_kind(ctx, k) ? NULL : name_list(ctx, k, name), ret);
}

static uint64_t v_generation(void *ctx)
{
	return ((const struct store *)ctx)->gen;
}

static const struct view_ops store_ops = {
	.generation = v_generation,
	.get = v_get,
	.list_ns = v_list_ns,
	.list_kind = v_list_kind,
	.list_hostname = v_list_hostname,
	.list_parent = v_list_parent,
	.list_name = v_list_name,
	.namespace_labels = v_namespace_labels,
};

struct store *store_new(void)
{
	struct store *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->gen = next_generation();
	for (int k = 0; k < KIND_MAX; k++) {
		hmap_init(&s->k[k].by_name);
		hmap_init(&s->k[k].by_ns);
		for (int r = 0; r < REF_MAX; r++)
			hmap_init(&s->k[k].by_ref[r]);
	}
	for (int k = 0; k < KIND_MAX; k++)
		plist_init(&s->k[k].all, true);
	hmap_init(&s->ns_labels);
	s->default_ns = strdup("default");
	if (s->default_ns == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

static void json_free(void *p)
{
	json_decref(p);
}

void store_free(struct store *s)
{
	if (s == NULL)
		return;
	for (int k = 0; k < KIND_MAX; k++) {
		struct kindidx *ki = &s->k[k];

		hmap_release(&ki->by_name, entry_free);
		hmap_release(&ki->by_ns, plist_free);
		for (int r = 0; r < REF_MAX; r++)
			hmap_release(&ki->by_ref[r], plist_free);
		hmap_release(&ki->by_bare_name, plist_free);
		plist_release(&ki->all);
	}
	hmap_release(&s->ns_labels, json_free);
	free(s->default_ns);
	free(s);
}

int store_set_default_namespace(struct store *s, const char *ns)
{
	char *copy = strdup(ns);

	if (copy == NULL)
		return ERR_NOMEM;
	free(s->default_ns);
	s->default_ns = copy;
	return 0;
}

void store_set_lock(struct store *s, void (*lock)(void *ud), void (*unlock)(void *ud), void *ud)
{
	s->lock = lock;
	s->unlock = unlock;
	s->lock_ud = ud;
}

void store_view(struct store *s, struct view *ret)
{
	ret->ops = &store_ops;
	ret->ctx = s;
}

size_t store_count(const struct store *s, enum kind k)
{
	if ((int)k <= KIND_OTHER || k >= KIND_MAX)
		return 0;
	return s->k[k].all.n;
}

/* e's tree replaced by its text in every list that holds it */
static int entry_to_text(struct kindidx *ki, struct entry *e)
{
	const char *name = jv_str(jv_obj(e->obj, "metadata"), "name");
	int rc;

	if (e->text != NULL || name == NULL)
		return 0;
	rc = to_text(e->obj, name, &e->text, &e->text_len);
	if (rc != 0)
		return rc;
	ki->all.objs[e->kind_pos] = NULL;
	e->ns_list->objs[e->ns_pos] = NULL;
	for (int r = 0; r < REF_MAX; r++)
		for (size_t i = 0; i < e->refs[r].n; i++)
			e->refs[r].v[i].list->objs[e->refs[r].v[i].pos] = NULL;
	json_decref(e->obj);
	e->obj = NULL;
	return 0;
}

int store_set_compact_routes(struct store *s)
{
	s->compact = true;
	s->gen = next_generation();
	for (int k = 0; k < KIND_MAX; k++) {
		struct kindidx *ki = &s->k[k];

		if (!kind_is_route((enum kind)k))
			continue;
		ki->bare_valid = false; /* rebuilt with owners */
		/* a route too deep for text (ERR_LIMIT) stays a tree; readers take both */
		for (size_t i = 0; i < ki->all.n; i++)
			if (entry_to_text(ki, ki->all.owners[i]) == ERR_NOMEM)
				return ERR_NOMEM;
	}
	return 0;
}

bool store_keeps_text(const struct store *s, enum kind k)
{
	return compact_kind(s, k);
}

/* ---- readers ---- */

struct store_reader {
	struct store *s;
	/* parsed compact routes: slot hash = entry_hash(entry) (a bijection, so equal
	 * hashes are the same entry), slot p = the parsed object (owned reference) */
	struct ptab parsed;
	const json_t ***arrays;  /* lists handed out since the reset (owned) */
	size_t narrays, caparrays;
	bool nomem;
};

/* A bijective mix of the entry's address: the hash is the key itself. */
static uint64_t entry_hash(const struct entry *e)
{
	uint64_t x = (uint64_t)(uintptr_t)e * 0x9e3779b97f4a7c15ULL;

	return x ^ (x >> 29);
}

/* The object of e: the store's tree, or its text parsed once per reader. */
static const json_t *reader_obj(struct store_reader *r, const struct entry *e)
{
	uint64_t h;
	size_t i;
	size_t name_len;
	json_t *obj;
	struct err err;

	if (e->text == NULL)
		return e->obj;
	h = entry_hash(e);
	for (i = r->parsed.cap ? ptab_home(&r->parsed, h) : 0; r->parsed.cap && r->parsed.v[i].p != NULL;
	     i = ptab_next(&r->parsed, i))
		if (r->parsed.v[i].hash == h)
			return r->parsed.v[i].p;
	if (ptab_reserve(&r->parsed) != 0) {
		r->nomem = true;
		return NULL;
	}
	name_len = strlen(e->text) + 1;
	err_init(&err);
	obj = jparse(e->text + name_len, e->text_len - name_len, TEXT_DEPTH, &err);
	if (obj == NULL) {
		/* the store wrote this text itself: only memory can be short */
		r->nomem = true;
		return NULL;
	}
	for (i = ptab_home(&r->parsed, h); r->parsed.v[i].p != NULL; i = ptab_next(&r->parsed, i))
		;
	r->parsed.v[i] = (struct ptab_slot){ h, obj };
	r->parsed.n++;
	return obj;
}

/* l's objects (of kind k), parsed where compact, in an array the reader keeps until
 * the reset */
static size_t reader_list(struct store_reader *r, enum kind k, const struct plist *l, const json_t *const **ret)
{
	const json_t **v;

	*ret = NULL;
	if (r->nomem)
		return 0;
	if (l == NULL || l->n == 0 || !compact_kind(r->s, k)) /* trees: the store's own array */
		return list_of(l, ret);
	if (r->narrays == r->caparrays) {
		size_t ncap = r->caparrays ? r->caparrays * 2 : 8;
		const json_t ***na = realloc(r->arrays, ncap * sizeof(*na));

		if (na == NULL) {
			r->nomem = true;
			return 0;
		}
		r->arrays = na;
		r->caparrays = ncap;
	}
	v = malloc(l->n * sizeof(*v));
	if (v == NULL) {
		r->nomem = true;
		return 0;
	}
	r->arrays[r->narrays++] = v;
	for (size_t i = 0; i < l->n; i++) {
		v[i] = reader_obj(r, l->owners[i]);
		if (v[i] == NULL)
			return 0;
	}
	*ret = v;
	return l->n;
}

static const json_t *rd_get(void *ctx, enum kind k, const char *ns, const char *name)
{
	struct store_reader *r = ctx;
	struct kindidx *ki = kidx(r->s, k);
	struct entry *e;
	char buf[320], *key;

	if (r->nomem || ki == NULL || name == NULL)
		return NULL;
	key = name_key(buf, sizeof(buf), norm_ns(r->s, k, ns), name);
	if (key == NULL) {
		r->nomem = true;
		return NULL;
	}
	e = hmap_get(&ki->by_name, key);
	if (key != buf)
		free(key);
	return e != NULL ? reader_obj(r, e) : NULL;
}

static size_t rd_list_ns(void *ctx, enum kind k, const char *ns, const json_t *const **ret)
{
	struct store_reader *r = ctx;

	return reader_list(r, k, ns_list(r->s, k, ns), ret);
}

static size_t rd_list_kind(void *ctx, enum kind k, const json_t *const **ret)
{
	struct store_reader *r = ctx;

	return reader_list(r, k, kind_list(r->s, k), ret);
}

static size_t rd_list_hostname(void *ctx, enum kind k, const char *hostname, const json_t *const **ret)
{
	struct store_reader *r = ctx;

	return reader_list(r, k, hostname_list(r->s, k, hostname), ret);
}

static size_t rd_list_parent(void *ctx, enum kind k, const char *gw_ns, const char *gw_name,
			     const json_t *const **ret)
{
	struct store_reader *r = ctx;

	return reader_list(r, k, parent_list(r->s, k, gw_ns, gw_name), ret);
}

static size_t rd_list_name(void *ctx, enum kind k, const char *name, const json_t *const **ret)
{
	struct store_reader *r = ctx;

	return reader_list(r, k, name_list(r->s, k, name), ret);
}

static const json_t *rd_namespace_labels(void *ctx, const char *ns)
{
	struct store_reader *r = ctx;

	return v_namespace_labels(r->s, ns);
}

static uint64_t rd_generation(void *ctx)
{
	return v_generation(((struct store_reader *)ctx)->s);
}

static bool rd_failed(void *ctx)
{
	return ((struct store_reader *)ctx)->nomem;
}

static const struct view_ops reader_ops = {
	.generation = rd_generation,
	.get = rd_get,
	.list_ns = rd_list_ns,
	.list_kind = rd_list_kind,
	.list_hostname = rd_list_hostname,
	.list_parent = rd_list_parent,
	.list_name = rd_list_name,
	.namespace_labels = rd_namespace_labels,
	.failed = rd_failed,
};

/* the view of a reader that could not be made: nothing, and failed */
static const json_t *none_get(void *ctx, enum kind k, const char *ns, const char *name)
{
	(void)ctx, (void)k, (void)ns, (void)name;
	return NULL;
}

static size_t none_list(void *ctx, enum kind k, const char *a, const json_t *const **ret)
{
	(void)ctx, (void)k, (void)a;
	*ret = NULL;
	return 0;
}

static size_t none_list_kind(void *ctx, enum kind k, const json_t *const **ret)
{
	return none_list(ctx, k, NULL, ret);
}

static size_t none_list_parent(void *ctx, enum kind k, const char *gw_ns, const char *gw_name,
			       const json_t *const **ret)
{
	(void)gw_ns;
	return none_list(ctx, k, gw_name, ret);
}

static const json_t *none_namespace_labels(void *ctx, const char *ns)
{
	(void)ctx, (void)ns;
	return NULL;
}

static bool none_failed(void *ctx)
{
	(void)ctx;
	return true;
}

static const struct view_ops none_ops = {
	.get = none_get,
	.list_ns = none_list,
	.list_kind = none_list_kind,
	.list_hostname = none_list,
	.list_parent = none_list_parent,
	.list_name = none_list,
	.namespace_labels = none_namespace_labels,
	.failed = none_failed,
};

struct store_reader *store_reader_new(struct store *s)
{
	struct store_reader *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->s = s;
	ptab_init(&r->parsed);
	return r;
}

void store_reader_view(struct store_reader *r, struct view *ret)
{
	ret->ops = r != NULL ? &reader_ops : &none_ops;
	ret->ctx = r;
}

void store_reader_reset(struct store_reader *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->parsed.cap && r->parsed.n > 0; i++) {
		if (r->parsed.v[i].p != NULL) {
			json_decref(r->parsed.v[i].p);
			r->parsed.v[i] = (struct ptab_slot){ 0, NULL };
			r->parsed.n--;
		}
	}
	for (size_t i = 0; i < r->narrays; i++)
		free(r->arrays[i]);
	r->narrays = 0;
	r->nomem = false;
}

void store_reader_free(struct store_reader *r)
{
	if (r == NULL)
		return;
	store_reader_reset(r);
	ptab_release(&r->parsed);
	free(r->arrays);
	free(r);
}
