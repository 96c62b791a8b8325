/*
 * check: reads the --state paths (what the cluster already holds) and the argument
 * paths (what is being applied), evaluates each applied Gateway API object alone with
 * the engine as it is read, puts every Gateway API and context object into one indexed
 * store, and then evaluates the applied objects against the store and each other
 * (cluster_evaluate). Kinds gatewarden does not use are dropped as soon as they are
 * parsed; TLS Secrets are reduced to a certificate summary (no key material is kept).
 */
#include "check.h"

#include <errno.h>
#include <stdint.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attach.h"
#include "cluster.h"
#include "defaults.h"
#include "engine.h"
#include "err.h"
#include "findings.h"
#include "gwstatus.h"
#include "hmap.h"
#include "input.h"
#include "jarena.h"
#include "jcopy.h"
#include "jparse.h"
#include "jwrite.h"
#include "jv.h"
#include "kind.h"
#include "policyload.h"
#include "report.h"
#include "rules.h"
#include "sanitize.h"
#include "store.h"
#include "subst.h"
#include "tlsinfo.h"

#define CHECK_MAX_STATE 64

/*
 * A route kept between reading and the cluster pass, pruned to what the cross-object
 * checks read (cluster_prune_route: its matches become their canonical keys) and
 * written as compact JSON. On the bench's tree (bench/gen.py) a route's text is about
 * 1.5 KB where its tree took 7.1 KiB: the memory kept for tree-10k went from 86.9 to
 * 27.7 MiB, so a large tree no longer spends its time having fresh pages cleared, and
 * reading doubles with the input. The pass parses the text again (route_tree) for each
 * route it takes. The round trip (jwrite, jparse) changes one thing an evaluation could
 * see: a real without fraction (port 80.0) comes back as the integer (80); the schema
 * has already reported it as not an integer.
 */
struct route_src {
	char *text;      /* the pruned route (jwrite), in the keep area (jarena_keep_alloc) */
	size_t len;
	json_t *obj;     /* owned reference: the pruned tree instead of text, for a route
			  * nested too deep to write (YAMLDOC_TEXT_DEPTH); NULL otherwise */
	size_t group;    /* its namespace's number, in order of first appearance */
	enum kind kind;
	size_t item;     /* index of its report_obj, or SIZE_MAX for --state routes */
};

struct check {
	struct rules_config rules;
	struct subst_vars vars;
	const char *default_ns;
	const char *state[CHECK_MAX_STATE];
	size_t nstate;
	const char *policy_paths[POLICYLOAD_MAX_PATHS]; /* --policy */
	size_t npolicy;
	struct policy_set *policies;
	long long now;
	bool applying;            /* reading arguments (true) or --state (false) */
	bool no_cross;            /* --no-cross: each object alone, no cluster view */
	struct store *store;
	struct report rep;
	struct report_summary sum;
	struct report_obj *objs;
	size_t nobjs, capobjs;
	char **sources;           /* interned file names */
	size_t nsources, capsources;
	int fatal;                /* ERR_NOMEM seen */
	unsigned bad_docs;        /* documents that are not objects */
	const struct input_ctx *in; /* the walk, for the namespace a kustomization sets */
	struct route_src *routes;
	size_t nroutes, caproutes;
	struct hmap route_keys;   /* "kind/ns/name" -> index + 1 into routes */
	struct hmap route_groups; /* namespace -> its group's number + 1 (route_src.group) */
	size_t ngroups;
	size_t *order;            /* during the cluster pass: routes by namespace (route_order) */
	struct ahead *ahead;      /* during the cluster pass: the attaching thread */
};

static const char *intern_source(struct check *c, const char *source)
{
	if (c->nsources > 0 && strcmp(c->sources[c->nsources - 1], source) == 0)
		return c->sources[c->nsources - 1];
	if (c->nsources == c->capsources) {
		size_t ncap = c->capsources ? c->capsources * 2 : 16;
		char **ns = realloc(c->sources, ncap * sizeof(*ns));

		if (ns == NULL)
			return NULL;
		c->sources = ns;
		c->capsources = ncap;
	}
	c->sources[c->nsources] = strdup(source);
	if (c->sources[c->nsources] == NULL)
		return NULL;
	return c->sources[c->nsources++];
}

static struct report_obj *new_obj(struct check *c)
{
	if (c->nobjs == c->capobjs) {
		size_t ncap = c->capobjs ? c->capobjs * 2 : 64;
		struct report_obj *no = realloc(c->objs, ncap * sizeof(*no));

		if (no == NULL)
			return NULL;
		c->objs = no;
		c->capobjs = ncap;
	}
	memset(&c->objs[c->nobjs], 0, sizeof(c->objs[0]));
	return &c->objs[c->nobjs++];
}

static void on_input_error(void *ud, const char *source, const char *msg)
{
	struct check *c = ud;

	report_input_error(&c->rep, source, msg);
}

static char *dup_or(const char *s, const char *fallback)
{
	return strdup(s ? s : fallback);
}

static bool cluster_scoped(enum kind k)
{
	return k == KIND_GATEWAYCLASS || k == KIND_NAMESPACE;
}

/* As kubectl apply does: an object without a namespace lands in -n; and as kustomize
 * does, a kustomization's namespace replaces whatever the object says. */
static int set_namespace(struct check *c, enum kind k, json_t *obj)
{
	json_t *meta = jv_obj(obj, "metadata");
	const char *forced = c->in != NULL ? c->in->namespace : NULL;

	if (cluster_scoped(k) || (forced == NULL && jv_str(meta, "namespace") != NULL))
		return 0;
	if (meta == NULL) {
		if (json_object_get(obj, "metadata") != NULL)
			return 0; /* metadata of the wrong type: the schema pass reports it */
		if (json_object_set_new(obj, "metadata", json_object()) != 0)
			return ERR_NOMEM;
		meta = jv_obj(obj, "metadata");
	}
	return json_object_set_new(meta, "namespace", json_string(forced ? forced : c->default_ns)) == 0 ? 0 : ERR_NOMEM;
}

static int record(struct check *c, const char *source, int line, enum kind k, json_t *obj)
{
	const json_t *meta = jv_obj(obj, "metadata");
	struct report_obj *o = new_obj(c);
	enum kind checked;

	if (o == NULL)
		return ERR_NOMEM;
	o->source = intern_source(c, source);
	o->line = line;
	o->kind = k;
	o->api_version = dup_or(jv_str(obj, "apiVersion"), "");
	o->ns = dup_or(jv_str(meta, "namespace"), c->default_ns);
	o->name = dup_or(jv_str(meta, "name"), "<unnamed>");
	o->obj = kind_is_route(k) || c->no_cross ? NULL : json_incref(obj);
	findings_init(&o->fs, &c->rules);
	if (o->source == NULL || o->api_version == NULL || o->ns == NULL || o->name == NULL)
		return ERR_NOMEM;
	return engine_check_object(obj, &o->fs, &checked);
}

/* A copy of obj in the keep area (jarena.h) for an object kept until the pass: its
 * nodes lie side by side there, so the pass reads a few adjacent cache lines per
 * object instead of blocks scattered over the heap, and the document's tree goes back
 * to the heap for the next document. NULL when out of memory. */
static json_t *keep_copy(json_t *obj)
{
	json_t *copy;

	jarena_keep_begin();
	copy = jcopy(obj);
	jarena_keep_end();
	return copy;
}

/* the route as text in the keep area (ret->text), or as a tree there (ret->obj) when
 * the text would not read back the same: nested too deep, or a string with a NUL in
 * it (YAML's "\0"), which jwrite escapes as \u0000 and jparse refuses, as jansson
 * does (a string holding the six characters \u0000 takes this way too, harmlessly);
 * 0 or ERR_NOMEM */
static int route_keep_text(json_t *route, struct route_src *ret)
{
	struct jwbuf b = { .max_depth = YAMLDOC_TEXT_DEPTH };
	bool too_deep;
	char *text;
	size_t len;

	jwrite_value(&b, route);
	too_deep = b.too_deep;
	text = jwrite_finish(&b, &len);
	if (text == NULL && !too_deep)
		return ERR_NOMEM;
	if (text == NULL || memmem(text, len, "\\u0000", 6) != NULL) {
		free(text);
		ret->obj = keep_copy(route);
		return ret->obj != NULL ? 0 : ERR_NOMEM;
	}
	ret->text = jarena_keep_alloc(len + 1);
	if (ret->text != NULL) {
		memcpy(ret->text, text, len + 1);
		ret->len = len;
	}
	free(text);
	return ret->text != NULL ? 0 : ERR_NOMEM;
}

static void route_src_release(struct route_src *src)
{
	jarena_keep_free(src->text);
	json_decref(src->obj);
}

/* A new reference to src's tree: parsed from its text (a tree of the caller's own),
 * or its kept tree; NULL when out of memory. */
static json_t *route_tree(const struct route_src *src)
{
	struct err err;

	if (src->obj != NULL)
		return json_incref(src->obj);
	err_init(&err);
	/* jwrite wrote it: parsing fails only for memory */
	return jparse(src->text, src->len, YAMLDOC_TEXT_DEPTH, &err);
}

/* Keep a route for the cluster pass; a later object with the same kind, namespace
 * and name replaces an earlier one, as a second apply would. */
static int keep_route(struct check *c, enum kind k, json_t *doc_obj, size_t item)
{
	const json_t *meta;
	const char *ns;
	struct route_src src = { .kind = k, .item = item };
	char key[600];
	size_t at;
	int rc;

	if (cluster_prune_route(doc_obj) != 0)
		return ERR_NOMEM;
	meta = jv_obj(doc_obj, "metadata"); /* after pruning: it replaces metadata */
	ns = jv_str(meta, "namespace") ? jv_str(meta, "namespace") : "";
	snprintf(key, sizeof(key), "%d/%s/%s", (int)k, ns, jv_str(meta, "name") ? jv_str(meta, "name") : "");
	src.group = (size_t)(uintptr_t)hmap_get(&c->route_groups, ns);
	if (src.group == 0) {
		src.group = ++c->ngroups;
		if (hmap_put(&c->route_groups, ns, (void *)(uintptr_t)src.group, NULL) != 0)
			return ERR_NOMEM;
	}
	src.group--;
	if ((rc = route_keep_text(doc_obj, &src)) != 0)
		return rc;
	at = (size_t)(uintptr_t)hmap_get(&c->route_keys, key);
	if (at != 0) {
		route_src_release(&c->routes[at - 1]);
		c->routes[at - 1] = src;
		return 0;
	}
	if (c->nroutes == c->caproutes) {
		size_t ncap = c->caproutes ? c->caproutes * 2 : 64;
		struct route_src *nr = realloc(c->routes, ncap * sizeof(*nr));

		if (nr == NULL) {
			route_src_release(&src);
			return ERR_NOMEM;
		}
		c->routes = nr;
		c->caproutes = ncap;
	}
	c->routes[c->nroutes] = src;
	c->nroutes++;
	return hmap_put(&c->route_keys, key, (void *)(uintptr_t)c->nroutes, NULL) == 0 ? 0 : ERR_NOMEM;
}

/* One object (a mapping) of either phase. Owns nothing: obj belongs to the document. */
static int take_object(struct check *c, const char *source, int line, json_t *obj)
{
	enum kind k = engine_classify(obj);
	struct err err;
	int rc;

	if (k == KIND_OTHER) {
		if (c->applying)
			c->sum.skipped++;
		return 0;
	}
	rc = set_namespace(c, k, obj);
	if (rc == 0 && c->no_cross)
		return kind_is_validated(k) && c->applying ? record(c, source, line, k, obj) : 0;
	if (rc == 0 && k == KIND_SECRET)
		rc = tlsinfo_annotate_secret(obj, NULL);
	if (rc == 0 && kind_is_validated(k))
		rc = c->applying ? record(c, source, line, k, obj) : defaults_apply(k, obj);
	else if (rc == 0 && c->applying)
		c->sum.context++;
	if (rc < 0)
		return rc;
	if (kind_is_route(k))
		return keep_route(c, k, obj, c->applying ? c->nobjs - 1 : SIZE_MAX);
	if (store_keeps(k, obj)) {
		struct report_obj *o = c->applying && kind_is_validated(k) ? &c->objs[c->nobjs - 1] : NULL;
		json_t *copy = keep_copy(obj);

		if (copy == NULL)
			return ERR_NOMEM;
		/* the report reads the same object as the store */
		if (o != NULL && o->obj == obj) {
			json_decref(o->obj);
			o->obj = json_incref(copy);
		}
		err_init(&err);
		/* objects the store refuses (no name) are reported by the engine already */
		rc = store_add(c->store, copy, &err);
		json_decref(copy);
		return rc == ERR_NOMEM ? rc : 0;
	}
	return 0;
}

static int on_doc(void *ud, const char *source, struct yamldoc *doc)
{
	struct check *c = ud;
	json_t *root = doc->root;
	int rc = 0;

	if (!json_is_object(root)) {
		char msg[128];

		snprintf(msg, sizeof(msg), "line %d: document is not a Kubernetes object (a mapping)", doc->line);
		report_input_error(&c->rep, source, msg);
		c->bad_docs++;
		json_decref(root);
		return 0;
	}
	if (jv_streq(root, "kind", "List") && jv_arr(root, "items")) {
		json_t *item;
		size_t i;

		json_array_foreach(jv_arr(root, "items"), i, item) {
			if (!json_is_object(item))
				continue;
			rc = take_object(c, source, yamldoc_line(doc, item, doc->line), item);
			if (rc < 0)
				break;
		}
	} else {
		rc = take_object(c, source, doc->line, root);
	}
	json_decref(root);
	if (rc == ERR_NOMEM)
		c->fatal = rc;
	return rc;
}

/* ---- statuses, kept with each object for the report (cli/status.h) ---- */

/* the status of item: st, or none when making it ran out of memory */
static void keep_status(struct check *c, size_t item, struct status *st)
{
	struct report_obj *o = &c->objs[item];

	if (st == NULL)
		c->fatal = ERR_NOMEM;
	status_free(o->status);
	o->status = st;
}

static void on_route(void *ud, size_t item, const json_t *route, const struct attach_result *r)
{
	keep_status(ud, item, status_from_route(route, r));
}

static void on_gateway(void *ud, size_t item, const struct gwstatus *s)
{
	keep_status(ud, item, status_from_gateway(s));
}

/*
 * The cluster pass takes the routes grouped by namespace (the namespaces in the order
 * they first appear), in input order within one.
 * Routes of one namespace look up the same Services, grants, namespace labels and
 * mostly the same Gateways, so consecutive routes find them in cache; a tree that
 * interleaves namespaces would otherwise make every lookup a miss once the view
 * outgrows the cache. The report does not depend on the order: each route's findings
 * and status are its own, and a conflict's winner is decided by age and name.
 */
static int route_order(struct check *c)
{
	size_t *next = calloc(c->ngroups + 1, sizeof(*next));

	c->order = malloc((c->nroutes ? c->nroutes : 1) * sizeof(*c->order));
	if (next == NULL || c->order == NULL) {
		free(next);
		return ERR_NOMEM;
	}
	/* a counting sort on the groups keep_route numbered: the groups in the order their
	 * namespaces first appear, each group's routes in input order; linear, where a
	 * comparison sort was not */
	for (size_t i = 0; i < c->nroutes; i++)
		next[c->routes[i].group + 1]++;
	for (size_t g = 1; g <= c->ngroups; g++)
		next[g] += next[g - 1];  /* next[g]: where group g's next route goes */
	for (size_t i = 0; i < c->nroutes; i++)
		c->order[next[c->routes[i].group]++] = i;
	free(next);
	return 0;
}

/*
 * The cluster pass on two threads. Attaching a route (attach_check_route: parents,
 * listeners, backends, grants) reads only the view, so a second thread attaches the
 * routes ahead, in order, into a small ring, while cluster_evaluate takes each result
 * (opts.attached), counts it, indexes its matches for conflicts and hands the status
 * over. The scanner thread is done by then, so this uses the core it leaves idle. The
 * results are the same as on one thread: the ring keeps the order, and each route's
 * findings are written by the worker before the pass reads them.
 *
 * Each thread parses each route's text into a tree of its own and frees it after the
 * route. Parsing twice costs less than sharing one tree: a tree made on one core and
 * read on the other moved between the two cores' caches with every route, and its
 * blocks, freed on the other thread, went back through the other malloc arena's lock
 * (the pass of tree-40k: 0.56 s against 0.72 s, medians of 5).
 *
 * A side that has to wait sleeps until the other is a batch further, not one route:
 * waking per route cost a context switch per route on each side (check of 40,000
 * routes: 8,000 to 23,000 voluntary switches in all and 1.3 to 1.5 s of system time
 * then; 1,000 to 1,900 and about 1 s now).
 */
#define AHEAD_SLOTS 256
#define AHEAD_BATCH 64        /* < AHEAD_SLOTS, or the two could wait for each other */
#define AHEAD_MIN_ROUTES 64   /* fewer routes: not worth a thread */

struct ahead {
	struct check *c;
	const struct view *v;
	pthread_mutex_t mu;
	pthread_cond_t cv_prod;     /* the worker waits for room */
	pthread_cond_t cv_cons;     /* the pass waits for results */
	pthread_mutex_t store_mu;   /* the store's lazy caches (store_set_lock) */
	size_t produced;            /* routes [0, produced) are ready */
	size_t consumed;            /* the pass is done with routes [0, consumed) */
	size_t prod_want;           /* while prod_waits: wake the worker at this consumed */
	size_t cons_want;           /* while cons_waits: wake the pass at this produced */
	bool prod_waits, cons_waits;
	bool stop;                  /* the pass ended early */
	int rc[AHEAD_SLOTS];
	struct attach_result res[AHEAD_SLOTS];
};

static void store_lock(void *ud)
{
	pthread_mutex_lock(&((struct ahead *)ud)->store_mu);
}

static void store_unlock(void *ud)
{
	pthread_mutex_unlock(&((struct ahead *)ud)->store_mu);
}

static void *ahead_main(void *arg)
{
	struct ahead *a = arg;
	struct check *c = a->c;

	for (size_t i = 0; i < c->nroutes; i++) {
		const struct route_src *src = &c->routes[c->order[i]];
		size_t slot = i % AHEAD_SLOTS;
		struct findings scratch, *fs;
		json_t *tree;
		int rc;

		pthread_mutex_lock(&a->mu);
		if (i - a->consumed >= AHEAD_SLOTS && !a->stop) {
			a->prod_want = i - AHEAD_SLOTS + AHEAD_BATCH;
			a->prod_waits = true;
			while (a->consumed < a->prod_want && !a->stop)
				pthread_cond_wait(&a->cv_prod, &a->mu);
			a->prod_waits = false;
		}
		if (a->stop) {
			pthread_mutex_unlock(&a->mu);
			break;
		}
		pthread_mutex_unlock(&a->mu);
		findings_init(&scratch, NULL);
		/* the same item the pass finds for this route (cluster_evaluate) */
		fs = src->item < c->nobjs ? &c->objs[src->item].fs : &scratch;
		tree = route_tree(src);
		rc = tree == NULL ? ERR_NOMEM : attach_check_route(a->v, src->kind, tree, c->rules.strict, fs, &a->res[slot]);
		json_decref(tree);
		findings_release(&scratch);
		pthread_mutex_lock(&a->mu);
		a->rc[slot] = rc;
		a->produced = i + 1;
		if (a->cons_waits && a->produced >= a->cons_want)
			pthread_cond_signal(&a->cv_cons);
		pthread_mutex_unlock(&a->mu);
	}
	return NULL;
}

static const struct attach_result *ahead_take(void *ud, size_t i)
{
	struct ahead *a = ((struct check *)ud)->ahead;
	int rc;

	pthread_mutex_lock(&a->mu);
	a->consumed = i;  /* done with every route before i: their slots are free */
	if (a->prod_waits && a->consumed >= a->prod_want)
		pthread_cond_signal(&a->cv_prod);
	if (a->produced <= i) {
		size_t n = a->c->nroutes;

		a->cons_want = i + AHEAD_BATCH < n ? i + AHEAD_BATCH : n;
		a->cons_waits = true;
		while (a->produced < a->cons_want)
			pthread_cond_wait(&a->cv_cons, &a->mu);
		a->cons_waits = false;
	}
	rc = a->rc[i % AHEAD_SLOTS];
	pthread_mutex_unlock(&a->mu);
	return rc == 0 ? &a->res[i % AHEAD_SLOTS] : NULL;
}

/* cluster_opts.route_at: route i's tree, the caller's to free; NULL when out of
 * memory */
static json_t *route_at(void *ud, size_t i, enum kind *ret_kind, size_t *ret_item)
{
	struct check *c = ud;
	const struct route_src *src = &c->routes[c->order[i]];

	*ret_kind = src->kind;
	*ret_item = src->item;
	return route_tree(src);
}

/* GATEWARDEN_THREADS=1: the whole cluster pass on this thread (tests compare the two) */
static bool one_thread(void)
{
	const char *t = getenv("GATEWARDEN_THREADS");

	return t != NULL && strcmp(t, "1") == 0;
}

static int evaluate_cluster(struct check *c)
{
	struct cluster_item *items = calloc(c->nobjs ? c->nobjs : 1, sizeof(*items));
	struct cluster_opts opts = {
		.now = c->now, .strict = c->rules.strict, .on_route = on_route, .on_gateway = on_gateway, .ud = c,
		.route_at = route_at, .nroutes = c->nroutes,
	};
	struct ahead *a = NULL;
	pthread_t th;
	struct view v;
	int rc;

	if (items == NULL || route_order(c) != 0) {
		free(items);
		return ERR_NOMEM;
	}
	for (size_t i = 0; i < c->nobjs; i++) {
		items[i].kind = c->objs[i].kind;
		items[i].obj = c->objs[i].obj;
		items[i].fs = &c->objs[i].fs;
	}
	store_view(c->store, &v);
	if (c->nroutes >= AHEAD_MIN_ROUTES && !one_thread() && (a = calloc(1, sizeof(*a))) != NULL) {
		a->c = c;
		a->v = &v;
		pthread_mutex_init(&a->mu, NULL);
		pthread_cond_init(&a->cv_prod, NULL);
		pthread_cond_init(&a->cv_cons, NULL);
		pthread_mutex_init(&a->store_mu, NULL);
		store_set_lock(c->store, store_lock, store_unlock, a);
		if (pthread_create(&th, NULL, ahead_main, a) == 0) {
			c->ahead = a;
			opts.attached = ahead_take;
		} else {
			store_set_lock(c->store, NULL, NULL, NULL); /* one thread after all */
		}
	}
	rc = cluster_evaluate(&v, items, c->nobjs, &opts);
	if (c->ahead != NULL) {
		pthread_mutex_lock(&a->mu);
		a->stop = true;
		pthread_cond_signal(&a->cv_prod);
		pthread_mutex_unlock(&a->mu);
		pthread_join(th, NULL);
		store_set_lock(c->store, NULL, NULL, NULL);
		c->ahead = NULL;
	}
	if (a != NULL) {
		pthread_cond_destroy(&a->cv_prod);
		pthread_cond_destroy(&a->cv_cons);
		pthread_mutex_destroy(&a->mu);
		pthread_mutex_destroy(&a->store_mu);
		free(a);
	}
	free(items);
	free(c->order);
	c->order = NULL;
	return rc;
}

/* --policy: the routes join the store (policies read their hostnames through the
 * view), then cli/policyload.c decides per object. */
static int policy_pass(struct check *c)
{
	struct view v;
	struct err err;

	err_init(&err);
	for (size_t i = 0; i < c->nroutes; i++) {
		json_t *route = route_tree(&c->routes[i]);
		int rc = route != NULL ? store_add(c->store, route, &err) : ERR_NOMEM;

		json_decref(route);
		if (rc == ERR_NOMEM)
			return ERR_NOMEM;
	}
	store_view(c->store, &v);
	return policyload_check(c->policies, &v, c->objs, c->nobjs);
}

static void usage(FILE *f)
{
	fputs("usage: gatewarden check [options] PATH...\n"
	      "\n"
	      "Validate Gateway API objects offline with the same engine as the webhook.\n"
	      "PATH is a file, a directory (walked recursively for *.yaml, *.yml, *.json)\n"
	      "or - for stdin, e.g. `kubectl kustomize dir | gatewarden check -`.\n"
	      "The objects of all PATHs are checked as one apply: each alone (schema and\n"
	      "rules), then against each other and the --state objects (will each route\n"
	      "attach? do its backends, certificates and grants resolve?).\n"
	      "Gateway, HTTPRoute and GRPCRoute are reported; Namespace, Service, TLS Secret,\n"
	      "GatewayClass, ReferenceGrant and cert-manager Certificate are read as context;\n"
	      "other kinds are skipped. A kustomization.yaml's namespace applies below it.\n"
	      "\n"
	      "options:\n"
	      "  -o, --output text|json   output format (default text)\n"
	      "      --state PATH         objects that already exist in the cluster (repeatable);\n"
	      "                           they are context only and are not reported\n"
	      "      --strict             references to missing objects are errors, not warnings\n"
	      "      --no-cross           check each object alone (schema, CEL and WX rules) and\n"
	      "                           build no cluster view: for a partial tree or one file;\n"
	      "                           memory stays bounded by the largest document\n"
	      "      --var NAME=VALUE     substitute ${NAME} as Flux post-build does (repeatable)\n"
	      "      --policy PATH        policy files or directories (repeatable; policies/README.md):\n"
	      "                           prints the patch each Gateway's generated Service and the\n"
	      "                           Gateway would get, and applies the validation policies\n"
	      "      --rule ID=ACTION     ACTION is off, warn or error (repeatable);\n"
	      "                           `gatewarden rules` lists the ids\n"
	      "  -n, --namespace NS       namespace of objects that set none (default \"default\")\n"
	      "      --now SECONDS        the time certificates are judged at, in Unix seconds\n"
	      "                           (default: now)\n"
	      "  -h, --help               show this help\n"
	      "\n"
	      "exit status: 0 every object allowed (warnings allowed), 1 some object denied,\n"
	      "2 usage or input error (bad YAML/JSON, unreadable file; other files are still checked)\n"
	      "\n"
	      "environment: check re-executes itself once with GLIBC_TUNABLES=glibc.malloc.hugetlb=1\n"
	      "(transparent huge pages for its heap: far fewer page faults on a large tree) unless\n"
	      "GATEWARDEN_HUGEPAGES=0, GLIBC_TUNABLES already names that tunable, or the kernel's\n"
	      "THP mode is never. GATEWARDEN_TIMING=1 prints each phase's wall time on stderr, and the\n"
	      "memory the objects kept for the cross-object pass take (copied side by side).\n",
	      f);
}

/*
 * The cluster's objects are hundreds of thousands of small allocations; walking them
 * to free them costs a quarter of a large run, just before exit() hands the whole heap
 * back at once. So builds without sanitizers leave the store and the routes to the
 * exit (as git's UNLEAK does); sanitizer builds free everything, so LeakSanitizer keeps
 * checking that every object has an owner.
 */
#define CHECK_FREE_CLUSTER_AT_EXIT GW_ASAN

static void check_release(struct check *c, bool exiting)
{
	if (exiting && !CHECK_FREE_CLUSTER_AT_EXIT) {
		report_release(&c->rep);
		return;
	}
	for (size_t i = 0; i < c->nobjs; i++) {
		free(c->objs[i].api_version);
		free(c->objs[i].ns);
		free(c->objs[i].name);
		json_decref(c->objs[i].obj);
		status_free(c->objs[i].status);
		json_decref(c->objs[i].policy);
		findings_release(&c->objs[i].fs);
	}
	free(c->objs);
	for (size_t i = 0; i < c->nsources; i++)
		free(c->sources[i]);
	free(c->sources);
	for (size_t i = 0; i < c->nroutes; i++)
		route_src_release(&c->routes[i]);
	free(c->routes);
	hmap_release(&c->route_keys, NULL);
	hmap_release(&c->route_groups, NULL);
	store_free(c->store);
	policy_set_free(c->policies);
	report_release(&c->rep);
	jarena_keep_release(); /* every kept object is gone now */
}

static int parse_now(const char *s, long long *ret, struct err *err)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v < 0)
		return err_set(err, ERR_INVALID, "--now expects Unix seconds, got '%s'", s);
	*ret = v;
	return 0;
}

static int parse_args(struct check *c, int argc, char **argv, enum report_format *fmt)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "var", required_argument, NULL, 'v' },
		{ "rule", required_argument, NULL, 'r' },
		{ "namespace", required_argument, NULL, 'n' },
		{ "state", required_argument, NULL, 's' },
		{ "strict", no_argument, NULL, 'S' },
		{ "now", required_argument, NULL, 'N' },
		{ "no-cross", no_argument, NULL, 'X' },
		{ "policy", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct err err;
	int ch;

	err_init(&err);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "o:n:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			if (strcmp(optarg, "text") == 0)
				*fmt = REPORT_TEXT;
			else if (strcmp(optarg, "json") == 0)
				*fmt = REPORT_JSON;
			else
				err_set(&err, ERR_INVALID, "--output must be text or json, got '%s'", optarg);
			break;
		case 'v': subst_add(&c->vars, optarg, &err); break;
		case 'r': rules_config_set(&c->rules, optarg, &err); break;
		case 'n': c->default_ns = optarg; break;
		case 'S': c->rules.strict = true; break;
		case 'X': c->no_cross = true; break;
		case 'N': parse_now(optarg, &c->now, &err); break;
		case 's':
			if (c->nstate >= CHECK_MAX_STATE)
				err_set(&err, ERR_LIMIT, "--state: at most %d paths", CHECK_MAX_STATE);
			else
				c->state[c->nstate++] = optarg;
			break;
		case 'P':
			if (c->npolicy >= POLICYLOAD_MAX_PATHS)
				err_set(&err, ERR_LIMIT, "--policy: at most %d paths", POLICYLOAD_MAX_PATHS);
			else
				c->policy_paths[c->npolicy++] = optarg;
			break;
		case 'h': usage(stdout); return 1;
		default: usage(stderr); return 2;
		}
		if (err.code != ERR_OK) {
			fprintf(stderr, "gatewarden check: %s\n", err.msg);
			return 2;
		}
	}
	if (c->no_cross && (c->nstate > 0 || c->rules.strict || c->npolicy > 0)) {
		fprintf(stderr, "gatewarden check: --no-cross checks each object alone; --state and --strict need the cross-object checks, and so does --policy\n");
		return 2;
	}
	if (optind >= argc) {
		fprintf(stderr, "gatewarden check: no PATH given (use - for stdin)\n");
		usage(stderr);
		return 2;
	}
	return 0;
}

static void summarise(struct check *c, const struct input_ctx *in)
{
	for (size_t i = 0; i < c->nobjs; i++) {
		const struct report_obj *o = &c->objs[i];

		report_object(&c->rep, o);
		c->sum.objects++;
		c->sum.by_kind[o->kind]++;
		if (report_obj_allowed(o))
			c->sum.allowed++;
		else
			c->sum.denied++;
		c->sum.errors += o->fs.nerrors;
		c->sum.warnings += o->fs.nwarnings;
	}
	c->sum.input_errors = in->nerrors + c->bad_docs;
	c->sum.files = in->nfiles;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* GATEWARDEN_TIMING=1: each phase's wall time on stderr (bench/interleave.sh reads it) */
static void print_timing(const double *t)
{
	const char *e = getenv("GATEWARDEN_TIMING");

	if (e == NULL || strcmp(e, "1") != 0)
		return;
	fprintf(stderr, "gatewarden check: timing: read %.4f s, cross-object pass %.4f s, policies %.4f s, report %.4f s, kept %.1f MiB\n",
		t[1] - t[0], t[2] - t[1], t[3] - t[2], t[4] - t[3], (double)jarena_keep_used() / (1024 * 1024));
}

int check_main(int argc, char **argv)
{
	double t[5];
	struct check c;
	struct input_ctx in;
	enum report_format fmt = REPORT_TEXT;
	int rc;

	memset(&c, 0, sizeof(c));
	rules_config_init(&c.rules);
	hmap_init(&c.route_keys);
	hmap_init(&c.route_groups);
	subst_init(&c.vars);
	c.default_ns = "default";
	c.now = (long long)time(NULL);
	rc = parse_args(&c, argc, argv, &fmt);
	if (rc != 0)
		return rc == 1 ? 0 : rc;
	report_init(&c.rep, fmt, stdout);
	if (c.npolicy > 0) {
		struct err perr;

		err_init(&perr);
		c.policies = policyload_paths(c.policy_paths, c.npolicy, &c.vars, &perr);
		if (c.policies == NULL) {
			fprintf(stderr, "gatewarden check: --policy: %s\n", perr.msg);
			check_release(&c, false);
			return 2;
		}
	}
	/* check is one run whose memory ends with it: glibc giving freed memory back to the
	 * kernel (the scanning thread's heap shrinks after every few batches) only to fault
	 * it back in, 2 MiB at a time on huge pages, made reading up to twice as slow */
	(void)mallopt(M_TRIM_THRESHOLD, INT_MAX);
	jarena_keep_init();
	c.store = store_new();
	if (c.store == NULL || store_set_default_namespace(c.store, c.default_ns) != 0) {
		fprintf(stderr, "gatewarden check: out of memory\n");
		check_release(&c, false);
		return 2;
	}
	memset(&in, 0, sizeof(in));
	in.vars = &c.vars;
	in.on_doc = on_doc;
	in.on_error = on_input_error;
	in.ud = &c;
	in.regions = true; /* on_doc keeps copies only (keep_copy) */
	c.in = &in;
	t[0] = now_s();
	for (size_t i = 0; i < c.nstate && c.fatal == 0; i++)
		input_read_path(&in, c.state[i]);
	c.applying = true;
	for (int i = optind; i < argc && c.fatal == 0; i++)
		input_read_path(&in, argv[i]);
	t[1] = now_s();
	if (c.fatal == 0 && !c.no_cross && evaluate_cluster(&c) < 0)
		c.fatal = ERR_NOMEM;
	t[2] = now_s();
	if (c.fatal == 0 && c.policies != NULL && policy_pass(&c) < 0)
		c.fatal = ERR_NOMEM;
	t[3] = now_s();
	if (c.fatal) {
		fprintf(stderr, "gatewarden check: out of memory\n");
		check_release(&c, false);
		return 2;
	}
	report_begin(&c.rep);
	summarise(&c, &in);
	report_end(&c.rep, &c.sum);
	rc = c.sum.input_errors ? 2 : (c.sum.denied ? 1 : 0);
	fflush(stdout);
	t[4] = now_s();
	print_timing(t);
	check_release(&c, true);
	return rc;
}
