/*
 * kcache: see kcache.h.
 *
 * Threads: one reflector per resource, all writing one core/store under the write
 * side of one rwlock. Readers (viewsrc acquire) hold its read side for the whole
 * evaluation, each through its own store reader (common/readerkey.h); the store's two
 * lazy fills take fill_mu. A slim cache keeps its routes compact (store.h), so every
 * read of the store, the workers' own included, goes through a reader, and a worker
 * resets its reader after each change it makes.
 */
#define _POSIX_C_SOURCE 200809L
#include "kcache.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admit.h"
#include "hmap.h"
#include "jarena.h"
#include "memtrim.h"
#include "jlog.h"
#include "jparse.h"
#include "jv.h"
#include "jwrite.h"
#include "readerkey.h"
#include "store.h"
#include "tlsinfo.h"

/* the depth of a listed route held as text (slim routes are ~6 deep) */
#define LIST_TEXT_DEPTH 512

struct kres {
	enum kind kind;
	const char *path;
	const char *api_version;
	const char *kind_name;
	const char *selector;   /* extra query (already escaped), or NULL */
	bool optional;          /* a 404 means "not installed": synced and empty */
};

static const struct kres RESOURCES[] = {
	{ KIND_NAMESPACE, "/api/v1/namespaces", "v1", "Namespace", NULL, false },
	{ KIND_GATEWAYCLASS, "/apis/gateway.networking.k8s.io/v1/gatewayclasses", "gateway.networking.k8s.io/v1",
	  "GatewayClass", NULL, false },
	{ KIND_GATEWAY, "/apis/gateway.networking.k8s.io/v1/gateways", "gateway.networking.k8s.io/v1", "Gateway",
	  NULL, false },
	{ KIND_HTTPROUTE, "/apis/gateway.networking.k8s.io/v1/httproutes", "gateway.networking.k8s.io/v1",
	  "HTTPRoute", NULL, false },
	{ KIND_GRPCROUTE, "/apis/gateway.networking.k8s.io/v1/grpcroutes", "gateway.networking.k8s.io/v1",
	  "GRPCRoute", NULL, true },
	{ KIND_REFERENCEGRANT, "/apis/gateway.networking.k8s.io/v1beta1/referencegrants",
	  "gateway.networking.k8s.io/v1beta1", "ReferenceGrant", NULL, false },
	{ KIND_TCPROUTE, "/apis/gateway.networking.k8s.io/v1alpha2/tcproutes", "gateway.networking.k8s.io/v1alpha2",
	  "TCPRoute", NULL, true },
	{ KIND_UDPROUTE, "/apis/gateway.networking.k8s.io/v1alpha2/udproutes", "gateway.networking.k8s.io/v1alpha2",
	  "UDPRoute", NULL, true },
	{ KIND_SERVICE, "/api/v1/services", "v1", "Service", NULL, false },
	{ KIND_SECRET, "/api/v1/secrets", "v1", "Secret", "fieldSelector=type%3Dkubernetes.io%2Ftls", false },
	{ KIND_ENDPOINTSLICE, "/apis/discovery.k8s.io/v1/endpointslices", "discovery.k8s.io/v1", "EndpointSlice",
	  NULL, true },
};
#define NRES (sizeof(RESOURCES) / sizeof(RESOURCES[0]))

/* A watch silent this long is taken for dead. The API server sends a bookmark about
 * once a minute on a quiet watch that asked for them (its watch cache's bookmark
 * frequency), so a live stream is never that quiet; a dead one (a peer gone without a
 * FIN) would otherwise hold until TCP keepalive gives up, about ten minutes. */
#define KCACHE_WATCH_STALL_S 120

/* a callback's answer that ends the stream and asks for a relist */
#define STREAM_RELIST 1
#define STREAM_RETRY 2

struct worker {
	struct kcache *c;
	const struct kres *r;
	pthread_t th;
	bool running;
	char *rv;                  /* NULL: must list */
	long error_code;           /* last in-stream ERROR code */
	struct kcache_stats st;    /* under c->mu */
	struct store_reader *rd;   /* this worker's reads of the store (under c->mu) */
};

struct kcache {
	struct kube *kube;
	struct kcache_options o;
	pthread_rwlock_t mu;      /* readers: views, stats; writers: the workers applying events */
	pthread_mutex_t fill_mu;  /* the store's lazy fills under concurrent readers (store_set_lock) */
	struct store *store;
	struct readerkey readers; /* the viewsrc's readers, one per thread */
	struct worker w[NRES];
	size_t nw;
	atomic_int stop;          /* raised by kcache_stop, read by the workers */
	bool started;
};

const char *kcache_resource_path(enum kind k)
{
	for (size_t i = 0; i < NRES; i++)
		if (RESOURCES[i].kind == k)
			return RESOURCES[i].path;
	return NULL;
}

const char *kcache_api_version(enum kind k)
{
	for (size_t i = 0; i < NRES; i++)
		if (RESOURCES[i].kind == k)
			return RESOURCES[i].api_version;
	return NULL;
}

int kcache_prune(json_t *obj, enum kind k)
{
	json_t *meta = json_object_get(obj, "metadata");
	json_t *ann = json_object_get(meta, "annotations");

	json_object_del(meta, "managedFields");
	json_object_del(ann, "kubectl.kubernetes.io/last-applied-configuration");
	if (k == KIND_GATEWAY || kind_is_route(k))
		json_object_del(obj, "status");
	if (k == KIND_SECRET) {
		struct err e;

		err_init(&e);
		/* a bad certificate is data (the summary says why); only memory can fail */
		if (tlsinfo_annotate_secret(obj, &e) == ERR_NOMEM)
			return ERR_NOMEM;
	}
	return 0;
}

/* the store keeps what a fill makes: never from a review's region (jarena.h) */
static void fill_lock(void *ud)
{
	pthread_mutex_lock(ud);
	jarena_suspend();
}

static void fill_unlock(void *ud)
{
	jarena_resume();
	pthread_mutex_unlock(ud);
}

struct kcache *kcache_new(struct kube *kube, const struct kcache_options *opts, struct err *err)
{
	struct kcache *c = calloc(1, sizeof(*c));

	if (c == NULL || (c->store = store_new()) == NULL) {
		free(c);
		err_set(err, ERR_NOMEM, "kcache: out of memory");
		return NULL;
	}
	c->kube = kube;
	if (opts != NULL)
		c->o = *opts;
	if (c->o.page == 0)
		c->o.page = 500;
	/* admission's routes as compact text: most of its view's memory otherwise */
	if ((c->o.slim && store_set_compact_routes(c->store) != 0) || readerkey_init(&c->readers) != 0) {
		store_free(c->store);
		free(c);
		err_set(err, ERR_NOMEM, "kcache: out of memory");
		return NULL;
	}
	pthread_rwlock_init(&c->mu, NULL);
	pthread_mutex_init(&c->fill_mu, NULL);
	store_set_lock(c->store, fill_lock, fill_unlock, &c->fill_mu);
	for (size_t i = 0; i < NRES; i++) {
		if (c->o.kinds != 0 && !(c->o.kinds & (1u << RESOURCES[i].kind)))
			continue;
		c->w[c->nw].c = c;
		c->w[c->nw].r = &RESOURCES[i];
		c->w[c->nw].rd = store_reader_new(c->store);
		if (c->w[c->nw].rd == NULL) {
			kcache_free(c);
			err_set(err, ERR_NOMEM, "kcache: out of memory");
			return NULL;
		}
		c->nw++;
	}
	return c;
}

static const char *obj_rv(const json_t *o)
{
	return jv_str(jv_obj(o, "metadata"), "resourceVersion");
}

static void set_rv(struct worker *w, const char *rv)
{
	char *n;

	if (rv == NULL || *rv == '\0')
		return;
	n = strdup(rv);
	if (n == NULL)
		return; /* keep the older one: resuming from it is safe (duplicates are skipped) */
	free(w->rv);
	w->rv = n;
	snprintf(w->st.rv, sizeof(w->st.rv), "%s", rv);
}

static void notify(struct kcache *c, enum kind k, const char *type, const json_t *obj)
{
	if (c->o.on_change != NULL)
		c->o.on_change(c->o.ud, k, type, obj);
}

static void log_res(const char *level, const char *msg, const struct worker *w, const char *detail)
{
	json_t *x = json_pack("{ss}", "resource", w->r->kind_name);

	if (x != NULL && detail != NULL)
		json_object_set_new(x, "detail", json_string(detail));
	jlog(level, msg, x);
	json_decref(x);
}

/* Apply one object (ADDED/MODIFIED) to the store; caller holds the lock. */
static void apply_put(struct worker *w, json_t *obj, bool from_list)
{
	struct kcache *c = w->c;
	const struct kres *r = w->r;
	const json_t *meta;
	struct view v;
	const json_t *cur;
	bool dup, existed;
	struct err e;

	json_object_set_new(obj, "apiVersion", json_string(r->api_version));
	json_object_set_new(obj, "kind", json_string(r->kind_name));
	if (kcache_prune(obj, r->kind) < 0 || (c->o.slim && admit_slim(r->kind, obj) < 0))
		log_res("error", "out of memory pruning an object", w, NULL);
	meta = jv_obj(obj, "metadata"); /* after pruning: slimming may replace it */
	store_reader_view(w->rd, &v);
	cur = view_get(&v, r->kind, jv_str(meta, "namespace"), jv_str(meta, "name"));
	dup = cur != NULL && obj_rv(cur) != NULL && obj_rv(obj) != NULL && strcmp(obj_rv(cur), obj_rv(obj)) == 0;
	existed = cur != NULL;
	store_reader_reset(w->rd);
	if (dup) {
		if (!from_list) /* a relist finding an object unchanged is not a duplicate event */
			w->st.duplicates++;
		return;
	}
	err_init(&e);
	if (store_add(c->store, obj, &e) < 0) {
		log_res("error", "cache could not keep an object", w, e.msg);
		return;
	}
	w->st.events++;
	notify(c, r->kind, existed ? "MODIFIED" : "ADDED", obj);
}

/* obj: the event's object (its resourceVersion is the deletion's), or the stored
 * object when a relist found it gone. */
static void apply_delete(struct worker *w, const json_t *obj)
{
	struct kcache *c = w->c;
	const json_t *meta = jv_obj(obj, "metadata");
	int rc = store_remove(c->store, w->r->kind, jv_str(meta, "namespace"), jv_str(meta, "name"));

	if (rc == ERR_NOTFOUND) {
		w->st.duplicates++;
		return;
	}
	if (rc != 0) {
		log_res("error", "cache could not remove an object (out of memory)", w, NULL);
		return;
	}
	w->st.events++;
	notify(c, w->r->kind, "DELETED", obj);
}

/* "ns/name" of obj into key */
static void obj_key(const json_t *obj, char *key, size_t keysz)
{
	const json_t *meta = jv_obj(obj, "metadata");

	snprintf(key, keysz, "%s/%s", jv_str(meta, "namespace") ? jv_str(meta, "namespace") : "",
		 jv_str(meta, "name") ? jv_str(meta, "name") : "");
}

/*
 * What a slim cache holds of each listed item until the list's replace step (a whole
 * list is held at once, so this is the cache's peak): the item slimmed as its page
 * arrives (apply_put slims it again, which changes nothing), and for a kind the store
 * keeps as text, only ["ns/name", its compact JSON], parsed back one at a time by
 * apply_list.
 */
static json_t *list_item(void *ud, json_t *obj)
{
	const struct worker *w = ud;
	char key[600], *text;
	json_t *pair;

	if (w->r->kind == KIND_SECRET) /* summarised once, by apply_put */
		return json_incref(obj);
	if (kcache_prune(obj, w->r->kind) < 0 || admit_slim(w->r->kind, obj) < 0)
		return NULL;
	if (!store_keeps_text(w->c->store, w->r->kind))
		return json_incref(obj);
	text = jwrite_dump(obj, false, LIST_TEXT_DEPTH);
	if (text == NULL) /* too deep (the store refuses it, and says so) or no memory: the tree */
		return json_incref(obj);
	obj_key(obj, key, sizeof(key));
	pair = json_pack("[ss]", key, text);
	free(text);
	return pair;
}

/* Replace the kind's objects by the list's; report the difference. Lock held. */
static void apply_list(struct worker *w, json_t *items)
{
	struct hmap seen;
	const json_t *const *all;
	size_t n, i;
	json_t *it;
	struct view v;

	hmap_init(&seen);
	json_array_foreach(items, i, it) {
		char key[600];

		if (json_is_array(it)) /* list_item's ["ns/name", text] */
			snprintf(key, sizeof(key), "%s", json_string_value(json_array_get(it, 0)));
		else
			obj_key(it, key, sizeof(key));
		hmap_put(&seen, key, (void *)it, NULL);
	}
	/* deletions first: collect names, then remove (removal reorders the list) */
	store_reader_view(w->rd, &v);
	n = view_list_kind(&v, w->r->kind, &all);
	json_t *gone = json_array();
	for (i = 0; i < n && gone != NULL; i++) {
		char key[600];

		obj_key(all[i], key, sizeof(key));
		if (!hmap_has(&seen, key))
			json_array_append(gone, (json_t *)all[i]);
	}
	if (view_failed(&v))
		log_res("error", "out of memory reading the cache: deletions missed by this list wait for the next one", w,
			NULL);
	store_reader_reset(w->rd); /* gone holds what it needs */
	/* gone holds its own references: removal drops the store's */
	json_array_foreach(gone, i, it)
		apply_delete(w, it);
	json_decref(gone);
	hmap_release(&seen, NULL);
	json_array_foreach(items, i, it) {
		struct err e;
		json_t *obj;

		if (!json_is_array(it)) {
			apply_put(w, it, true);
			continue;
		}
		err_init(&e);
		obj = jparse(json_string_value(json_array_get(it, 1)), json_string_length(json_array_get(it, 1)),
			     LIST_TEXT_DEPTH, &e);
		if (obj == NULL) {
			log_res("error", "cache could not keep an object", w, e.msg);
			continue;
		}
		apply_put(w, obj, true);
		json_decref(obj);
	}
}

static int on_event(void *ud, json_t *ev)
{
	struct worker *w = ud;
	struct kcache *c = w->c;
	const char *type = jv_str(ev, "type");
	json_t *obj = json_object_get(ev, "object");
	int ret = 0;

	if (type == NULL || !json_is_object(obj)) {
		json_decref(ev);
		return STREAM_RETRY;
	}
	pthread_rwlock_wrlock(&c->mu);
	if (strcmp(type, "ERROR") == 0) {
		w->error_code = (long)json_integer_value(json_object_get(obj, "code"));
		ret = w->error_code == 410 ? STREAM_RELIST : STREAM_RETRY;
	} else if (strcmp(type, "BOOKMARK") == 0) {
		w->st.bookmarks++;
		set_rv(w, obj_rv(obj));
	} else if (strcmp(type, "ADDED") == 0 || strcmp(type, "MODIFIED") == 0) {
		const char *rv = obj_rv(obj);
		char *keep = rv ? strdup(rv) : NULL; /* pruning may not touch it, but be safe */

		apply_put(w, obj, false);
		set_rv(w, keep);
		free(keep);
	} else if (strcmp(type, "DELETED") == 0) {
		apply_delete(w, obj);
		set_rv(w, obj_rv(obj));
	}
	pthread_rwlock_unlock(&c->mu);
	json_decref(ev);
	return ret;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct kcache *c = w->c;
	int fails = 0;

	kube_set_thread_stop(&c->stop);
	while (!atomic_load(&c->stop)) {
		struct err e;
		char path[1024];
		long status = 0, retry_after = -1;
		int rc;

		err_init(&e);
		if (w->rv == NULL) {
			json_t *items = NULL;
			char *rv = NULL;

			snprintf(path, sizeof(path), "%s%s%s", w->r->path, w->r->selector ? "?" : "",
				 w->r->selector ? w->r->selector : "");
			rc = kube_list(c->kube, path, c->o.page, c->o.slim ? list_item : NULL, w, &items, &rv, &status, &e);
			if (rc < 0) {
				if (atomic_load(&c->stop))
					break;
				if (status == 404 && w->r->optional) {
					pthread_rwlock_wrlock(&c->mu);
					w->st.synced = true;
					pthread_rwlock_unlock(&c->mu);
					kube_sleep(c->kube, 60000);
					continue;
				}
				log_res("warning", "list failed; backing off", w, e.msg);
				kube_sleep(c->kube, kube_backoff_ms(c->kube, fails++));
				continue;
			}
			pthread_rwlock_wrlock(&c->mu);
			apply_list(w, items);
			set_rv(w, rv);
			w->st.lists++;
			w->st.synced = true;
			pthread_rwlock_unlock(&c->mu);
			json_decref(items);
			free(rv);
			/* a list parsed pages of whole objects on this thread's malloc arena; the
			 * cache keeps a fraction of them: hand the freed pages back (lists are
			 * rare: the first sync and relists) */
			memtrim();
			fails = 0;
		}
		int timeout = c->o.watch_timeout > 0 ? c->o.watch_timeout
						    : 300 + (int)(kube_backoff_ms(c->kube, 30) % 300);
		snprintf(path, sizeof(path), "%s?watch=1&allowWatchBookmarks=true&resourceVersion=%s&timeoutSeconds=%d%s%s",
			 w->r->path, w->rv, timeout, w->r->selector ? "&" : "", w->r->selector ? w->r->selector : "");
		pthread_rwlock_wrlock(&c->mu);
		w->st.watches++;
		w->error_code = 0;
		pthread_rwlock_unlock(&c->mu);
		rc = kube_watch(c->kube, path, c->o.watch_stall > 0 ? c->o.watch_stall : KCACHE_WATCH_STALL_S, on_event, w,
				&status, &retry_after, &e);
		if (atomic_load(&c->stop))
			break;
		if (rc == STREAM_RELIST || status == 410) {
			pthread_rwlock_wrlock(&c->mu);
			w->st.relists_gone++;
			free(w->rv);
			w->rv = NULL;
			pthread_rwlock_unlock(&c->mu);
			log_res("info", "resourceVersion too old (410): relisting", w, NULL);
			/* a short jittered pause so a server that answers 410 forever is not hammered */
			kube_sleep(c->kube, kube_backoff_ms(c->kube, fails > 0 ? fails : 0));
			fails++;
			continue;
		}
		if (status == 429 || status >= 500) {
			pthread_rwlock_wrlock(&c->mu);
			w->st.throttled++;
			pthread_rwlock_unlock(&c->mu);
			long wait = retry_after > 0 ? retry_after * 1000 : kube_backoff_ms(c->kube, fails);
			fails++;
			kube_sleep(c->kube, wait);
			continue;
		}
		if (status == 200 && rc == 0) {
			fails = 0;  /* the server ended the stream (timeoutSeconds): resume */
			continue;
		}
		pthread_rwlock_wrlock(&c->mu);
		w->st.drops++;
		pthread_rwlock_unlock(&c->mu);
		if (status != 200 && status != 0)
			log_res("warning", "watch refused; backing off", w, e.msg);
		else if (rc == STREAM_RETRY)
			log_res("warning", "watch stream reported an error; resuming", w, NULL);
		else if (rc < 0)
			log_res("warning", "watch stream broke; resuming", w, e.msg);
		kube_sleep(c->kube, kube_backoff_ms(c->kube, fails++ > 3 ? 3 : fails));
	}
	return NULL;
}

int kcache_start(struct kcache *c, struct err *err)
{
	if (c->started)
		return 0;
	atomic_store(&c->stop, 0);
	for (size_t i = 0; i < c->nw; i++) {
		if (pthread_create(&c->w[i].th, NULL, worker_main, &c->w[i]) != 0) {
			kcache_stop(c);
			return err_set(err, ERR_NOMEM, "kcache: cannot start a thread");
		}
		c->w[i].running = true;
	}
	c->started = true;
	return 0;
}

void kcache_stop(struct kcache *c)
{
	if (c == NULL)
		return;
	atomic_store(&c->stop, 1);
	for (size_t i = 0; i < c->nw; i++) {
		if (c->w[i].running)
			pthread_join(c->w[i].th, NULL);
		c->w[i].running = false;
	}
	c->started = false;
}

void kcache_free(struct kcache *c)
{
	if (c == NULL)
		return;
	kcache_stop(c);
	for (size_t i = 0; i < c->nw; i++) {
		free(c->w[i].rv);
		store_reader_free(c->w[i].rd);
	}
	readerkey_fini(&c->readers);
	store_free(c->store);
	pthread_rwlock_destroy(&c->mu);
	pthread_mutex_destroy(&c->fill_mu);
	free(c);
}

bool kcache_ready(struct kcache *c)
{
	bool ok = true;

	pthread_rwlock_rdlock(&c->mu);
	for (size_t i = 0; i < c->nw; i++)
		ok = ok && c->w[i].st.synced;
	pthread_rwlock_unlock(&c->mu);
	return ok;
}

size_t kcache_objects(struct kcache *c)
{
	size_t n = 0;

	pthread_rwlock_rdlock(&c->mu);
	for (int k = KIND_OTHER + 1; k < KIND_MAX; k++)
		n += store_count(c->store, (enum kind)k);
	pthread_rwlock_unlock(&c->mu);
	return n;
}

void kcache_stats(struct kcache *c, enum kind k, struct kcache_stats *ret)
{
	memset(ret, 0, sizeof(*ret));
	pthread_rwlock_rdlock(&c->mu);
	for (size_t i = 0; i < c->nw; i++)
		if (c->w[i].r->kind == k)
			*ret = c->w[i].st;
	pthread_rwlock_unlock(&c->mu);
}

static void vs_acquire(void *ctx, struct view *ret)
{
	struct kcache *c = ctx;

	pthread_rwlock_rdlock(&c->mu);
	readerkey_view(&c->readers, c->store, ret);
}

static void vs_release(void *ctx)
{
	struct kcache *c = ctx;

	readerkey_reset(&c->readers);
	pthread_rwlock_unlock(&c->mu);
}

static bool vs_ready(void *ctx)
{
	return kcache_ready(ctx);
}

static size_t vs_objects(void *ctx)
{
	return kcache_objects(ctx);
}

static const struct viewsrc_ops kcache_ops = {
	.acquire = vs_acquire,
	.release = vs_release,
	.ready = vs_ready,
	.objects = vs_objects,
};

void kcache_viewsrc(struct kcache *c, struct viewsrc *ret)
{
	ret->ops = &kcache_ops;
	ret->ctx = c;
}

char *kcache_metrics_text(struct kcache *c)
{
	static const char *names[] = { "lists", "relists_gone", "watches", "events", "duplicates", "bookmarks",
				       "drops", "throttled" };
	size_t cap = 8192, len = 0;
	char *out = malloc(cap);

	if (out == NULL)
		return NULL;
	out[0] = '\0';
	pthread_rwlock_rdlock(&c->mu);
	for (size_t m = 0; m < sizeof(names) / sizeof(names[0]); m++) {
		for (size_t i = 0; i < c->nw; i++) {
			const struct kcache_stats *s = &c->w[i].st;
			unsigned long v[] = { s->lists, s->relists_gone, s->watches, s->events, s->duplicates,
					      s->bookmarks, s->drops, s->throttled };
			char line[256];
			int n;

			if (i == 0 && len + 128 < cap)
				len += (size_t)snprintf(out + len, cap - len, "# TYPE gatewarden_kcache_%s_total counter\n",
						       names[m]);
			n = snprintf(line, sizeof(line), "gatewarden_kcache_%s_total{resource=\"%s\"} %lu\n", names[m],
				     c->w[i].r->kind_name, v[m]);
			if (len + (size_t)n + 1 >= cap) {
				char *no = realloc(out, cap * 2);
				if (no == NULL)
					break;
				out = no;
				cap *= 2;
			}
			memcpy(out + len, line, (size_t)n + 1);
			len += (size_t)n;
		}
	}
	for (size_t i = 0; i < c->nw; i++) {
		char line[256];
		int n = snprintf(line, sizeof(line), "gatewarden_kcache_synced{resource=\"%s\"} %d\n",
				 c->w[i].r->kind_name, c->w[i].st.synced ? 1 : 0);
		if (len + (size_t)n + 1 >= cap) {
			char *no = realloc(out, cap * 2);
			if (no == NULL)
				break;
			out = no;
			cap *= 2;
		}
		memcpy(out + len, line, (size_t)n + 1);
		len += (size_t)n;
	}
	pthread_rwlock_unlock(&c->mu);
	return out;
}
