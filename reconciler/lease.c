/*
 * lease: see lease.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "lease.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jcopy.h"
#include "jlog.h"
#include "jv.h"
#include "monotime.h"

struct lease {
	struct kube *kube;
	char *ns, *name, *identity;
	int duration_s;
	pthread_mutex_t mu;
	long long valid_until;    /* monotonic ms; leadership ends then unless renewed */
	/* the other holder's record as last observed, and when it last changed (local) */
	char observed_rv[64];
	long long observed_at;
	unsigned long transitions;
	bool leader;
};

static void micro_time(char *buf, size_t n)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	char day[32];

	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, n, "%.20s.%06dZ", day, (int)(ts.tv_nsec / 1000 % 1000000));
}

struct lease *lease_new(struct kube *kube, const struct lease_options *o, struct err *err)
{
	struct lease *l;

	if (o->identity == NULL || *o->identity == '\0') {
		err_set(err, ERR_INVALID, "lease: an identity is required");
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (l == NULL) {
		err_set(err, ERR_NOMEM, "lease: out of memory");
		return NULL;
	}
	l->kube = kube;
	l->ns = strdup(o->ns ? o->ns : "default");
	l->name = strdup(o->name ? o->name : "gatewarden-reconciler");
	l->identity = strdup(o->identity);
	l->duration_s = o->duration_s > 0 ? o->duration_s : 15;
	pthread_mutex_init(&l->mu, NULL);
	if (l->ns == NULL || l->name == NULL || l->identity == NULL) {
		lease_free(l);
		err_set(err, ERR_NOMEM, "lease: out of memory");
		return NULL;
	}
	return l;
}

void lease_free(struct lease *l)
{
	if (l == NULL)
		return;
	free(l->ns);
	free(l->name);
	free(l->identity);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

bool lease_held(struct lease *l)
{
	bool held;

	pthread_mutex_lock(&l->mu);
	held = l->leader && monotime_ms() < l->valid_until;
	pthread_mutex_unlock(&l->mu);
	return held;
}

unsigned long lease_transitions(struct lease *l)
{
	unsigned long n;

	pthread_mutex_lock(&l->mu);
	n = l->transitions;
	pthread_mutex_unlock(&l->mu);
	return n;
}

static void set_leader(struct lease *l, bool leader, long long renewed_at)
{
	pthread_mutex_lock(&l->mu);
	if (leader) {
		/* stop writing a little before anyone could take over: a fifth of the
		 * duration covers the request's own latency and clock-rate skew */
		l->valid_until = renewed_at + (long long)l->duration_s * 1000 * 4 / 5;
	} else {
		l->valid_until = 0;
	}
	if (leader != l->leader) {
		l->transitions++;
		json_t *x = json_pack("{ssss}", "lease", l->name, "identity", l->identity);
		jlog("info", leader ? "leader election: acquired the lease" : "leader election: lost the lease", x);
		json_decref(x);
	}
	l->leader = leader;
	pthread_mutex_unlock(&l->mu);
}

static json_t *lease_body(struct lease *l, const json_t *cur, bool take)
{
	char now[40];
	const json_t *spec = jv_obj(cur, "spec");
	json_int_t trans = json_integer_value(json_object_get(spec, "leaseTransitions"));
	json_t *b;

	micro_time(now, sizeof(now));
	b = json_pack("{sssss{ssss}s{sssisssssI}}", "apiVersion", "coordination.k8s.io/v1", "kind", "Lease",
		      "metadata", "name", l->name, "namespace", l->ns, "spec", "holderIdentity", l->identity,
		      "leaseDurationSeconds", l->duration_s, "acquireTime",
		      take || jv_str(spec, "acquireTime") == NULL ? now : jv_str(spec, "acquireTime"), "renewTime", now,
		      "leaseTransitions", (json_int_t)(trans + (take && cur != NULL ? 1 : 0)));
	if (b != NULL && cur != NULL) {
		const char *rv = jv_str(jv_obj(cur, "metadata"), "resourceVersion");
		json_object_set_new(json_object_get(b, "metadata"), "resourceVersion", json_string(rv ? rv : ""));
	}
	return b;
}

int lease_tick(struct lease *l, struct err *err)
{
	char path[768];
	struct kube_resp r;
	long long start = monotime_ms();
	/* an answer later than a lease duration is of no use: the next tick asks again */
	long long deadline = start + (long long)l->duration_s * 1000;
	json_t *body = NULL;
	const char *method;
	int rc;

	snprintf(path, sizeof(path), "/apis/coordination.k8s.io/v1/namespaces/%s/leases/%s", l->ns, l->name);
	rc = kube_request_until(l->kube, "GET", path, NULL, NULL, deadline, &r, err);
	if (rc < 0)
		return rc;
	if (r.status == 404) {
		body = lease_body(l, NULL, true);
		method = "POST";
		snprintf(path, sizeof(path), "/apis/coordination.k8s.io/v1/namespaces/%s/leases", l->ns);
	} else if (r.status == 200) {
		const json_t *spec = jv_obj(r.body, "spec");
		const char *holder = jv_str(spec, "holderIdentity");
		const char *rv = jv_str(jv_obj(r.body, "metadata"), "resourceVersion");
		bool ours = holder != NULL && strcmp(holder, l->identity) == 0;
		bool free_ = holder == NULL || *holder == '\0';

		if (!ours) {
			/* not ours: leadership, if we thought we had it, is gone now */
			set_leader(l, false, 0);
			pthread_mutex_lock(&l->mu);
			if (rv == NULL || strcmp(rv, l->observed_rv) != 0) {
				snprintf(l->observed_rv, sizeof(l->observed_rv), "%s", rv ? rv : "");
				l->observed_at = start;
			}
			json_int_t dur = json_integer_value(json_object_get(spec, "leaseDurationSeconds"));
			bool expired = start - l->observed_at > (long long)(dur > 0 ? dur : l->duration_s) * 1000;
			pthread_mutex_unlock(&l->mu);
			if (!free_ && !expired) {
				kube_resp_clear(&r);
				return 0;
			}
		}
		body = lease_body(l, r.body, !ours);
		method = "PUT";
	} else {
		rc = err_set(err, ERR_IO, "lease: GET %s: HTTP %ld", path, r.status);
		kube_resp_clear(&r);
		return rc;
	}
	kube_resp_clear(&r);
	if (body == NULL)
		return err_set(err, ERR_NOMEM, "lease: out of memory");
	rc = kube_request_until(l->kube, method, path, NULL, body, deadline, &r, err);
	json_decref(body);
	if (rc < 0)
		return rc;
	if (r.status == 200 || r.status == 201) {
		set_leader(l, true, start);
	} else {
		/* 409: someone else wrote the Lease first; anything else: not ours now */
		set_leader(l, false, 0);
	}
	kube_resp_clear(&r);
	return 0;
}

void lease_release(struct lease *l)
{
	char path[768];
	struct kube_resp r;
	struct err e;
	long long deadline = monotime_ms() + (long long)l->duration_s * 1000;  /* never hold up a shutdown */

	if (!lease_held(l))
		return;
	set_leader(l, false, 0);
	err_init(&e);
	snprintf(path, sizeof(path), "/apis/coordination.k8s.io/v1/namespaces/%s/leases/%s", l->ns, l->name);
	if (kube_request_until(l->kube, "GET", path, NULL, NULL, deadline, &r, &e) < 0)
		return;
	if (r.status == 200 && jv_streq(jv_obj(r.body, "spec"), "holderIdentity", l->identity)) {
		json_t *b = jcopy(r.body);
		kube_resp_clear(&r);
		if (b == NULL)
			return;
		json_object_set_new(json_object_get(b, "spec"), "holderIdentity", json_string(""));
		if (kube_request_until(l->kube, "PUT", path, NULL, b, deadline, &r, &e) == 0)
			kube_resp_clear(&r);
		json_decref(b);
		return;
	}
	kube_resp_clear(&r);
}
