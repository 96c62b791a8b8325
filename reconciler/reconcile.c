/*
 * reconcile: see reconcile.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "reconcile.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attach.h"
#include "defaults.h"
#include "findings.h"
#include "gwstatus.h"
#include "hmap.h"
#include "hostname.h"
#include "jcopy.h"
#include "jlog.h"
#include "jv.h"
#include "monotime.h"
#include "policy.h"
#include "viewsrc.h"

struct reconciler {
	struct reconcile_options o;
	struct kcache *cache;
	pthread_mutex_t mu;           /* everything below */
	pthread_cond_t cv;
	pthread_t th;
	atomic_bool running;          /* the thread runs; atomic, not under mu (the metrics server) */
	atomic_int halt;              /* raised by reconcile_stop (under mu, for the cv): the
				       * thread ends, its requests give up */
	bool dirty;
	long long dirty_since_ns;     /* monotonic: first change not yet decided on */
	struct hmap logged;           /* problem key -> generation (uintptr) */
	struct hmap emitted;          /* problem key -> generation: Event written or found */
	struct hmap patched;          /* "ns/name" -> strdup(resourceVersion patched) */
	uintptr_t gen;
	json_t *expiry;               /* {"ns/name": notAfter} for TLS Secrets */
	struct reconcile_stats st;
};

struct reconciler *reconcile_new(const struct reconcile_options *o, struct err *err)
{
	struct reconciler *r;

	if (o->kube == NULL || o->lease == NULL) {
		err_set(err, ERR_INVALID, "reconcile: a kube client and a lease are required");
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL || (r->expiry = json_object()) == NULL) {
		free(r);
		err_set(err, ERR_NOMEM, "reconcile: out of memory");
		return NULL;
	}
	r->o = *o;
	if (r->o.tick_ms == 0)
		r->o.tick_ms = 2000;
	if (r->o.resync_ms == 0)
		r->o.resync_ms = 30000;
	if (r->o.debounce_ms == 0)
		r->o.debounce_ms = 50;
	if (r->o.identity == NULL)
		r->o.identity = "gatewarden";
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	hmap_init(&r->logged);
	hmap_init(&r->emitted);
	hmap_init(&r->patched);
	return r;
}

void reconcile_attach(struct reconciler *r, struct kcache *c)
{
	r->cache = c;
}

void reconcile_on_change(void *ud, enum kind k, const char *type, const json_t *obj)
{
	struct reconciler *r = ud;

	(void)type;
	(void)obj;
	if (r == NULL)
		return;
	/* Leases and Events are not watched; every watched kind can change a decision */
	(void)k;
	pthread_mutex_lock(&r->mu);
	if (!r->dirty) {
		r->dirty = true;
		r->dirty_since_ns = monotime_ns();
	}
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

/* ---------------------------------------------------------------- decisions */

struct plan {
	json_t *actions;  /* [{"what": "event"|"patch", ...}] */
	json_t *expiry;
	json_t *keys;     /* problem keys seen this pass (for the logged/emitted sets) */
	unsigned long immutable;
};

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static const char *event_reason(const char *rule)
{
	if (strcmp(rule, "XO-CERT-EXPIRED") == 0)
		return "CertificateExpired";
	if (strcmp(rule, "XO-CERT-EXPIRING") == 0)
		return "CertificateExpiring";
	if (strcmp(rule, "XO-CERT-SAN") == 0 || strcmp(rule, "RC-CERT-ROUTE-SAN") == 0)
		return "CertificateHostnameMismatch";
	if (strcmp(rule, "XO-CERT-MALFORMED") == 0)
		return "CertificateInvalid";
	if (strcmp(rule, "XO-CERT-MISSING") == 0)
		return "CertificateMissing";
	if (strcmp(rule, "XO-CERT-REFGRANT") == 0)
		return "CertificateRefNotPermitted";
	if (strcmp(rule, "POL-SVC-IMMUTABLE") == 0)
		return "LoadBalancerClassImmutable";
	return "GatewardenProblem";
}

/* A problem on an object: logged once, an Event once (by the leader). */
static void add_problem(struct plan *p, const char *api_version, const char *kind, const json_t *obj,
			const char *rule, const char *message)
{
	const json_t *meta = jv_obj(obj, "metadata");
	const char *ns = jv_str(meta, "namespace") ? jv_str(meta, "namespace") : "default";
	const char *name = jv_str(meta, "name") ? jv_str(meta, "name") : "";
	char *key;
	size_t kl = strlen(kind) + strlen(ns) + strlen(name) + strlen(rule) + strlen(message) + 8;

	key = malloc(kl);
	if (key == NULL)
		return;
	snprintf(key, kl, "%s|%s/%s|%s|%s", kind, ns, name, rule, message);
	char evname[300];
	snprintf(evname, sizeof(evname), "%.200s.gw%016llx", name, (unsigned long long)fnv1a(key));
	json_array_append_new(p->keys, json_string(key));
	json_array_append_new(p->actions,
			      json_pack("{ss ss s{ss ss s{ss ss} s{ss ss ss ss ss*} ss ss ss s{ss} ss ss si}}",
					"what", "event", "key", key, "body", "apiVersion", "v1", "kind", "Event",
					"metadata", "name", evname, "namespace", ns, "involvedObject", "apiVersion",
					api_version, "kind", kind, "name", name, "namespace", ns, "uid",
					jv_str(meta, "uid"), "reason", event_reason(rule), "message", message, "type",
					"Warning", "source", "component", "gatewarden-reconciler", "reportingComponent",
					"gatewarden-reconciler", "action", rule, "count", 1));
	free(key);
}

/* RFC 6125: a certificate wildcard covers exactly one leftmost label. */
static bool san_covers(const char *san, const char *host)
{
	if (strcasecmp(san, host) == 0)
		return true;
	if (strncmp(san, "*.", 2) != 0 || strncmp(host, "*.", 2) == 0)
		return false;
	const char *dot = strchr(host, '.');
	return dot != NULL && dot != host && strcasecmp(dot + 1, san + 2) == 0;
}

static bool cert_covers(const json_t *secret, const char *host)
{
	const json_t *names = jv_arr(jv_obj(jv_obj(secret, "gatewarden"), "tls"), "dnsNames");
	size_t i;
	json_t *n;

	json_array_foreach(names, i, n) {
		if (json_is_string(n) && san_covers(json_string_value(n), host))
			return true;
	}
	return false;
}

static bool terminates_tls(const json_t *listener)
{
	const char *proto = jv_str(listener, "protocol");
	const json_t *tls = jv_obj(listener, "tls");
	const char *mode = jv_str(tls, "mode");

	if (proto == NULL || (strcmp(proto, "HTTPS") != 0 && strcmp(proto, "TLS") != 0))
		return false;
	return mode == NULL || strcmp(mode, "Terminate") == 0;
}

/* Does any parentRef name a Gateway with a TLS-terminating listener? (cheap filter
 * before the attachment computation) */
static bool parents_terminate_tls(const struct view *v, const json_t *route)
{
	const char *rns = jv_str(jv_obj(route, "metadata"), "namespace");
	size_t i, j;
	json_t *ref, *l;

	json_array_foreach(jv_arr(jv_obj(route, "spec"), "parentRefs"), i, ref) {
		const char *ns = jv_str(ref, "namespace") ? jv_str(ref, "namespace") : rns;
		const json_t *gw = view_get(v, KIND_GATEWAY, ns, jv_str(ref, "name"));

		json_array_foreach(jv_arr(jv_obj(gw, "spec"), "listeners"), j, l) {
			if (terminates_tls(l))
				return true;
		}
	}
	return false;
}

/* Route hostnames attached to terminating listeners must be covered by the certificates. */
static void route_sans(struct plan *p, const struct view *v, enum kind k, const json_t *route)
{
	struct attach_result *res;
	struct findings scratch;
	json_t *copy;
	const json_t *hosts;

	if (json_array_size(jv_arr(jv_obj(route, "spec"), "hostnames")) == 0 || !parents_terminate_tls(v, route))
		return;
	res = malloc(sizeof(*res));
	copy = jcopy(route);

	if (res == NULL || copy == NULL)
		goto out;
	defaults_apply(k, copy);
	findings_init(&scratch, NULL);
	if (attach_check_route(v, k, copy, false, &scratch, res) != 0) {
		findings_release(&scratch);
		goto out;
	}
	findings_release(&scratch);
	hosts = jv_arr(jv_obj(copy, "spec"), "hostnames");
	if (json_array_size(hosts) == 0)
		goto out;
	for (size_t pi = 0; pi < res->nparents; pi++) {
		const struct attach_parent *ap = &res->parents[pi];
		char gns[256], *slash;
		const json_t *gw, *listeners;

		if (!ap->accepted || ap->listeners == 0)
			continue;
		snprintf(gns, sizeof(gns), "%s", ap->gateway);
		slash = strchr(gns, '/');
		if (slash == NULL)
			continue;
		*slash = '\0';
		gw = view_get(v, KIND_GATEWAY, gns, slash + 1);
		listeners = jv_arr(jv_obj(gw, "spec"), "listeners");
		for (size_t li = 0; li < json_array_size(listeners) && li < 64; li++) {
			const json_t *l = json_array_get(listeners, li);
			const char *lhost = jv_str(l, "hostname");
			size_t ci, hi;
			json_t *ref, *h;

			if (!(ap->listeners & (1ULL << li)) || !terminates_tls(l))
				continue;
			json_array_foreach(jv_arr(jv_obj(l, "tls"), "certificateRefs"), ci, ref) {
				const char *rk = jv_str(ref, "kind"), *rg = jv_str(ref, "group");
				const char *rns = jv_str(ref, "namespace") ? jv_str(ref, "namespace") : gns;
				const json_t *secret;

				if ((rk != NULL && strcmp(rk, "Secret") != 0) || (rg != NULL && *rg != '\0'))
					continue;
				secret = view_get(v, KIND_SECRET, rns, jv_str(ref, "name"));
				if (secret == NULL || !json_is_true(json_object_get(
							      jv_obj(jv_obj(secret, "gatewarden"), "tls"), "usable")))
					continue; /* gwstatus reports missing or unusable Secrets */
				json_array_foreach(hosts, hi, h) {
					const char *host = json_string_value(h);
					char msg[768];

					if (host == NULL || (lhost != NULL && !hostname_covers(lhost, host)))
						continue;
					if (cert_covers(secret, host))
						continue;
					snprintf(msg, sizeof(msg),
						 "listener %s: the certificate in Secret %s/%s does not cover hostname %s "
						 "of %s %s/%s",
						 jv_str(l, "name") ? jv_str(l, "name") : "?", rns, jv_str(ref, "name"), host,
						 kind_name(k), jv_str(jv_obj(route, "metadata"), "namespace"),
						 jv_str(jv_obj(route, "metadata"), "name"));
					add_problem(p, "gateway.networking.k8s.io/v1", "Gateway", gw, "RC-CERT-ROUTE-SAN", msg);
				}
			}
		}
	}
out:
	json_decref(copy);
	free(res);
}

static void tls_pass(struct plan *p, const struct view *v, long long now)
{
	const json_t *const *all;
	size_t n = view_list_kind(v, KIND_GATEWAY, &all);

	for (size_t i = 0; i < n; i++) {
		struct findings fs;

		findings_init(&fs, NULL);
		gwstatus_gateway(v, all[i], now, NULL, false, &fs, NULL);
		for (size_t j = 0; j < fs.n; j++) {
			const char *rule = fs.v[j].rule;
			char msg[1024];

			if (strncmp(rule, "XO-CERT-", 8) != 0)
				continue;
			snprintf(msg, sizeof(msg), "%s%s%s", fs.v[j].field && *fs.v[j].field ? fs.v[j].field : "",
				 fs.v[j].field && *fs.v[j].field ? ": " : "", fs.v[j].message);
			add_problem(p, "gateway.networking.k8s.io/v1", "Gateway", all[i], rule, msg);
		}
		findings_release(&fs);
	}
	for (enum kind k = KIND_HTTPROUTE; k <= KIND_GRPCROUTE; k++) {
		n = view_list_kind(v, k, &all);
		for (size_t i = 0; i < n; i++)
			route_sans(p, v, k, all[i]);
	}
	n = view_list_kind(v, KIND_SECRET, &all);
	for (size_t i = 0; i < n; i++) {
		const json_t *meta = jv_obj(all[i], "metadata");
		const json_t *na = json_object_get(jv_obj(jv_obj(all[i], "gatewarden"), "tls"), "notAfter");
		char key[600];

		if (!json_is_integer(na))
			continue;
		snprintf(key, sizeof(key), "%s/%s", jv_str(meta, "namespace") ? jv_str(meta, "namespace") : "",
			 jv_str(meta, "name") ? jv_str(meta, "name") : "");
		json_object_set_new(p->expiry, key, json_integer(json_integer_value(na) - now));
	}
}

static void backfill_pass(struct reconciler *r, struct plan *p, const struct view *v)
{
	const json_t *const *all;
	size_t n = view_list_kind(v, KIND_SERVICE, &all);

	for (size_t i = 0; i < n; i++) {
		const json_t *svc = all[i], *meta = jv_obj(svc, "metadata");
		char gns[254], gname[254], key[600], path[900];
		struct findings warn;
		struct err e;
		json_t *patch = NULL;
		const char *rv = jv_str(meta, "resourceVersion");

		if (!policy_service_owner(svc, gns, sizeof(gns), gname, sizeof(gname)))
			continue;
		findings_init(&warn, NULL);
		err_init(&e);
		/* as an UPDATE of itself: the class is never written, only reported */
		if (policy_service_patch(r->o.policy, v, svc, svc, &patch, &warn, &e) != 0) {
			json_t *x = json_pack("{ssss}", "service", jv_str(meta, "name"), "error", e.msg);
			jlog("error", "back-fill: no patch computed", x);
			json_decref(x);
			findings_release(&warn);
			continue;
		}
		for (size_t j = 0; j < warn.n; j++) {
			if (strcmp(warn.v[j].rule, "POL-SVC-IMMUTABLE") == 0) {
				add_problem(p, "v1", "Service", svc, warn.v[j].rule, warn.v[j].message);
				p->immutable++;
			}
		}
		findings_release(&warn);
		snprintf(key, sizeof(key), "%s/%s", jv_str(meta, "namespace"), jv_str(meta, "name"));
		const char *done = hmap_get(&r->patched, key);
		if (json_array_size(patch) == 0 || rv == NULL || (done != NULL && strcmp(done, rv) == 0)) {
			json_decref(patch);
			continue;
		}
		json_t *ops = json_pack("[{ssssss}]", "op", "test", "path", "/metadata/resourceVersion", "value", rv);
		json_array_extend(ops, patch);
		json_decref(patch);
		snprintf(path, sizeof(path), "/api/v1/namespaces/%s/services/%s", jv_str(meta, "namespace"),
			 jv_str(meta, "name"));
		json_array_append_new(p->actions, json_pack("{ss ss ss ss so}", "what", "patch", "key", key, "rv", rv,
							     "path", path, "body", ops));
	}
}

static void execute(struct reconciler *r, struct plan *p)
{
	size_t i;
	json_t *a;

	json_array_foreach(p->actions, i, a) {
		const char *what = jv_str(a, "what"), *key = jv_str(a, "key");
		struct kube_resp resp;
		struct err e;
		int rc;

		if (atomic_load(&r->halt))
			break;  /* stopping: what is left is decided again by the next leader */
		pthread_mutex_lock(&r->mu);
		bool have = strcmp(what, "event") == 0 && hmap_has(&r->emitted, key);
		pthread_mutex_unlock(&r->mu);
		if (have)
			continue;
		if (!lease_held(r->o.lease)) {
			pthread_mutex_lock(&r->mu);
			r->st.writes_skipped++;
			pthread_mutex_unlock(&r->mu);
			continue;
		}
		err_init(&e);
		if (strcmp(what, "event") == 0) {
			json_t *body = json_object_get(a, "body");
			char ts[32], path[600];
			time_t now = time(NULL);
			struct tm tm;

			gmtime_r(&now, &tm);
			strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
			json_object_set_new(body, "firstTimestamp", json_string(ts));
			json_object_set_new(body, "lastTimestamp", json_string(ts));
			json_object_set_new(body, "reportingInstance", json_string(r->o.identity));
			snprintf(path, sizeof(path), "/api/v1/namespaces/%s/events",
				 jv_str(jv_obj(body, "metadata"), "namespace"));
			rc = kube_request(r->o.kube, "POST", path, NULL, body, &resp, &e);
			if (rc == 0 && (resp.status == 201 || resp.status == 200 || resp.status == 409)) {
				pthread_mutex_lock(&r->mu);
				hmap_put(&r->emitted, key, (void *)r->gen, NULL);
				if (resp.status == 409)
					r->st.events_existing++;
				else
					r->st.events_written++;
				pthread_mutex_unlock(&r->mu);
			}
		} else {
			rc = kube_request(r->o.kube, "PATCH", jv_str(a, "path"), "application/json-patch+json",
					  json_object_get(a, "body"), &resp, &e);
			if (rc == 0 && resp.status == 200) {
				char *rv = strdup(jv_str(a, "rv"));
				void *old = NULL;

				pthread_mutex_lock(&r->mu);
				r->st.patches++;
				if (rv != NULL && hmap_put(&r->patched, key, rv, &old) == 0)
					free(old);
				else
					free(rv);
				pthread_mutex_unlock(&r->mu);
				json_t *x = json_pack("{ss}", "service", key);
				jlog("info", "back-fill: Service patched", x);
				json_decref(x);
			} else if (rc == 0 && resp.status == 409) {
				pthread_mutex_lock(&r->mu);
				r->st.patch_conflicts++;
				pthread_mutex_unlock(&r->mu);
			}
		}
		if (rc < 0) {
			json_t *x = json_pack("{ss}", "error", e.msg);
			jlog("warning", "reconcile: write failed", x);
			json_decref(x);
		} else {
			if (resp.status >= 400 && resp.status != 409) {
				json_t *x = json_pack("{sssi}", "write", what, "status", (int)resp.status);
				jlog("warning", "reconcile: write refused", x);
				json_decref(x);
			}
			kube_resp_clear(&resp);
		}
	}
}

/* Drop keys of problems that are gone, so a problem that comes back is reported again. */
static void prune_keys(struct hmap *m, uintptr_t gen)
{
	struct hmap_iter it;
	const char *k;
	void *val;
	json_t *gone = json_array();

	hmap_iter_init(&it, m);
	while (hmap_iter_next(&it, &k, &val))
		if ((uintptr_t)val != gen)
			json_array_append_new(gone, json_string(k));
	for (size_t i = 0; i < json_array_size(gone); i++)
		hmap_del(m, json_string_value(json_array_get(gone, i)), NULL);
	json_decref(gone);
}

void reconcile_pass(struct reconciler *r)
{
	struct plan p = { json_array(), json_object(), json_array(), 0 };
	struct viewsrc vs;
	struct view v;
	long long since;
	size_t i;
	json_t *k;

	if (r->cache == NULL || p.actions == NULL || p.expiry == NULL || p.keys == NULL)
		goto out;
	pthread_mutex_lock(&r->mu);
	since = r->dirty ? r->dirty_since_ns : 0;
	r->dirty = false;
	pthread_mutex_unlock(&r->mu);
	kcache_viewsrc(r->cache, &vs);
	viewsrc_acquire(&vs, &v);
	tls_pass(&p, &v, (long long)time(NULL));
	if (r->o.policy != NULL)
		backfill_pass(r, &p, &v);
	viewsrc_release(&vs);

	pthread_mutex_lock(&r->mu);
	r->gen++;
	json_array_foreach(p.keys, i, k) {
		const char *key = json_string_value(k);

		if (!hmap_has(&r->logged, key)) {
			json_t *x = json_pack("{ss}", "problem", key);
			jlog("warning", "reconcile: certificate or Service problem", x);
			json_decref(x);
		}
		hmap_put(&r->logged, key, (void *)r->gen, NULL);
		if (hmap_has(&r->emitted, key))
			hmap_put(&r->emitted, key, (void *)r->gen, NULL);
	}
	prune_keys(&r->logged, r->gen);
	prune_keys(&r->emitted, r->gen);
	json_decref(r->expiry);
	r->expiry = json_incref(p.expiry);
	r->st.passes++;
	r->st.problems = json_array_size(p.keys);
	r->st.immutable += p.immutable;
	if (since != 0) {
		long long lat = monotime_ns() - since;

		r->st.latency_last_ns = lat;
		if (lat > r->st.latency_max_ns)
			r->st.latency_max_ns = lat;
		r->st.latency_sum_ns += lat;
		r->st.latency_count++;
	}
	uintptr_t gen = r->gen;
	pthread_mutex_unlock(&r->mu);
	execute(r, &p);
	/* Events written during execute carry this generation */
	(void)gen;
out:
	json_decref(p.actions);
	json_decref(p.expiry);
	json_decref(p.keys);
}

static void *reconcile_main(void *arg)
{
	struct reconciler *r = arg;
	long long next_tick = 0, next_resync = 0;

	kube_set_thread_stop(&r->halt);
	for (;;) {
		long long now = monotime_ns() / 1000000;
		bool run = false;

		pthread_mutex_lock(&r->mu);
		if (atomic_load(&r->halt)) {
			pthread_mutex_unlock(&r->mu);
			break;
		}
		pthread_mutex_unlock(&r->mu);
		if (now >= next_tick) {
			struct err e;

			err_init(&e);
			if (lease_tick(r->o.lease, &e) < 0) {
				json_t *x = json_pack("{ss}", "error", e.msg);
				jlog("warning", "leader election round failed", x);
				json_decref(x);
			}
			next_tick = now + r->o.tick_ms;
		}
		/* never hold r->mu while taking the cache lock: the cache calls
		 * reconcile_on_change (r->mu) with its lock held */
		bool leader = lease_held(r->o.lease);
		bool ready = r->cache != NULL && kcache_ready(r->cache);

		pthread_mutex_lock(&r->mu);
		r->st.leader = leader;
		if (ready) {
			if (r->dirty && monotime_ns() - r->dirty_since_ns >= (long long)r->o.debounce_ms * 1000000)
				run = true;
			if (now >= next_resync)
				run = true;
		}
		pthread_mutex_unlock(&r->mu);
		if (run) {
			reconcile_pass(r);
			next_resync = now + r->o.resync_ms;
			continue;
		}
		pthread_mutex_lock(&r->mu);
		if (!atomic_load(&r->halt)) {
			struct timespec ts;
			long long wait_ms = r->dirty ? r->o.debounce_ms : 100;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += (wait_ms % 1000) * 1000000L;
			ts.tv_sec += wait_ms / 1000 + ts.tv_nsec / 1000000000L;
			ts.tv_nsec %= 1000000000L;
			pthread_cond_timedwait(&r->cv, &r->mu, &ts);
		}
		pthread_mutex_unlock(&r->mu);
	}
	return NULL;
}

int reconcile_start(struct reconciler *r, struct err *err)
{
	if (atomic_load(&r->running))
		return 0;
	atomic_store(&r->halt, 0);
	if (pthread_create(&r->th, NULL, reconcile_main, r) != 0)
		return err_set(err, ERR_NOMEM, "reconcile: cannot start the thread");
	atomic_store(&r->running, true);
	return 0;
}

void reconcile_stop(struct reconciler *r)
{
	if (r == NULL || !atomic_load(&r->running))
		return;
	pthread_mutex_lock(&r->mu);
	atomic_store(&r->halt, 1);  /* a request in flight (a slow API server) ends now */
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
	pthread_join(r->th, NULL);
	atomic_store(&r->running, false);
	lease_release(r->o.lease);
}

static void free_str(void *p)
{
	free(p);
}

void reconcile_free(struct reconciler *r)
{
	if (r == NULL)
		return;
	reconcile_stop(r);
	hmap_release(&r->logged, NULL);
	hmap_release(&r->emitted, NULL);
	hmap_release(&r->patched, free_str);
	json_decref(r->expiry);
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

void reconcile_stats(struct reconciler *r, struct reconcile_stats *ret)
{
	pthread_mutex_lock(&r->mu);
	*ret = r->st;
	pthread_mutex_unlock(&r->mu);
	ret->leader = lease_held(r->o.lease);
}

void reconcile_reset_latency(struct reconciler *r)
{
	pthread_mutex_lock(&r->mu);
	r->st.latency_last_ns = r->st.latency_max_ns = r->st.latency_sum_ns = 0;
	r->st.latency_count = 0;
	pthread_mutex_unlock(&r->mu);
}

bool reconcile_healthy(struct reconciler *r)
{
	return atomic_load(&r->running) && r->cache != NULL && kcache_ready(r->cache);
}

/* Label values are data: escape backslash, quote and newline as Prometheus asks. */
static void label_escape(char *out, size_t n, const char *s)
{
	size_t o = 0;

	for (; *s && o + 3 < n; s++) {
		if (*s == '\\' || *s == '"') {
			out[o++] = '\\';
			out[o++] = *s;
		} else if (*s == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else {
			out[o++] = *s;
		}
	}
	out[o] = '\0';
}

char *reconcile_metrics_text(struct reconciler *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	const char *key;
	json_t *val;
	struct reconcile_stats s;

	if (f == NULL)
		return NULL;
	reconcile_stats(r, &s);
	fprintf(f, "# HELP gatewarden_certificate_expiry_seconds Seconds until the certificate of a TLS Secret expires "
		   "(negative: expired).\n# TYPE gatewarden_certificate_expiry_seconds gauge\n");
	pthread_mutex_lock(&r->mu);
	json_object_foreach(r->expiry, key, val) {
		char ns[300], name[300], e1[600], e2[600];
		const char *slash = strchr(key, '/');

		snprintf(ns, sizeof(ns), "%.*s", slash ? (int)(slash - key) : 0, key);
		snprintf(name, sizeof(name), "%s", slash ? slash + 1 : key);
		label_escape(e1, sizeof(e1), ns);
		label_escape(e2, sizeof(e2), name);
		fprintf(f, "gatewarden_certificate_expiry_seconds{namespace=\"%s\",name=\"%s\"} %lld\n", e1, e2,
			(long long)json_integer_value(val));
	}
	pthread_mutex_unlock(&r->mu);
	fprintf(f, "# TYPE gatewarden_reconcile_leader gauge\ngatewarden_reconcile_leader %d\n", s.leader ? 1 : 0);
	fprintf(f, "# TYPE gatewarden_reconcile_passes_total counter\ngatewarden_reconcile_passes_total %lu\n", s.passes);
	fprintf(f, "# TYPE gatewarden_reconcile_problems gauge\ngatewarden_reconcile_problems %lu\n", s.problems);
	fprintf(f, "# TYPE gatewarden_reconcile_events_total counter\n"
		   "gatewarden_reconcile_events_total{result=\"written\"} %lu\n"
		   "gatewarden_reconcile_events_total{result=\"existing\"} %lu\n", s.events_written, s.events_existing);
	fprintf(f, "# TYPE gatewarden_backfill_patches_total counter\n"
		   "gatewarden_backfill_patches_total{result=\"patched\"} %lu\n"
		   "gatewarden_backfill_patches_total{result=\"conflict\"} %lu\n", s.patches, s.patch_conflicts);
	fprintf(f, "# TYPE gatewarden_reconcile_writes_skipped_total counter\n"
		   "gatewarden_reconcile_writes_skipped_total %lu\n", s.writes_skipped);
	fprintf(f, "# TYPE gatewarden_backfill_immutable_total counter\ngatewarden_backfill_immutable_total %lu\n",
		s.immutable);
	fprintf(f, "# TYPE gatewarden_reconcile_decision_latency_seconds summary\n"
		   "gatewarden_reconcile_decision_latency_seconds_sum %.6f\n"
		   "gatewarden_reconcile_decision_latency_seconds_count %lu\n",
		s.latency_sum_ns / 1e9, s.latency_count);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
