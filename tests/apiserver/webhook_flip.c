/*
 * webhook_flip: the webhook's decision follows the cluster through the watch cache.
 * The webhook (webhook/webhook.h) reads the kcache's viewsrc; an HTTPRoute is reviewed
 * before and after its parent Gateway appears (strict: a missing parent denies), and
 * one whose cross-namespace backend needs a ReferenceGrant before and after the grant
 * appears. Objects are created through the API server, never put into the cache
 * directly. Exit 0 when every decision is the expected one.
 * Usage: webhook_flip KUBECONFIG   (run by run_with_server.py)
 */
#define _POSIX_C_SOURCE 200809L
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "httpd.h"
#include "jv.h"
#include "kcache.h"
#include "kube.h"
#include "webhook.h"

static int failures;

static void check(int cond, const char *msg)
{
	printf("%s: %s\n", cond ? "ok" : "FAIL", msg);
	if (!cond)
		failures++;
}

static const char ROUTE[] =
	"{\"apiVersion\":\"gateway.networking.k8s.io/v1\",\"kind\":\"HTTPRoute\","
	"\"metadata\":{\"name\":\"r\",\"namespace\":\"demo\"},"
	"\"spec\":{\"parentRefs\":[{\"name\":\"gw\"}],\"hostnames\":[\"a.example.com\"],"
	"\"rules\":[{\"backendRefs\":[{\"name\":\"api\",\"namespace\":\"other\",\"port\":80}]}]}}";

/* allowed? -1 when the answer is not an AdmissionReview */
static int review(struct webhook *w, const char *reason_out_label)
{
	json_t *obj = json_loads(ROUTE, 0, NULL);
	json_t *rev = json_pack("{ssss s{ss s{ssssss} s{ssssss} ss ss ss s{ss} sO sn sb}}", "apiVersion",
				"admission.k8s.io/v1", "kind", "AdmissionReview", "request", "uid", "u-1", "kind", "group",
				"gateway.networking.k8s.io", "version", "v1", "kind", "HTTPRoute", "resource", "group",
				"gateway.networking.k8s.io", "version", "v1", "resource", "httproutes", "namespace", "demo",
				"name", "r", "operation", "CREATE", "userInfo", "username", "test", "object", obj,
				"oldObject", "dryRun", 0);
	char *body = rev ? json_dumps(rev, JSON_COMPACT) : NULL;
	struct httpd_response resp = { 0 };
	int allowed = -1;

	if (body == NULL) {
		json_decref(rev);
		json_decref(obj);
		return -1;
	}

	webhook_review(w, false, body, strlen(body), &resp);
	if (resp.body != NULL) {
		json_t *out = json_loadb(resp.body, resp.len, 0, NULL);
		json_t *r = json_object_get(out, "response");

		if (json_is_boolean(json_object_get(r, "allowed")))
			allowed = json_is_true(json_object_get(r, "allowed"));
		printf("  %s: allowed=%d %s\n", reason_out_label, allowed,
		       jv_str(json_object_get(r, "status"), "message") ? jv_str(json_object_get(r, "status"), "message")
									: "");
		json_decref(out);
	}
	free(resp.body);
	free(body);
	json_decref(rev);
	json_decref(obj);
	return allowed;
}

static void create(struct kube *k, const char *path, const char *json)
{
	struct kube_resp r;
	struct err e;
	json_t *b = json_loads(json, 0, NULL);

	err_init(&e);
	if (kube_request(k, "POST", path, NULL, b, &r, &e) < 0 || r.status != 201) {
		printf("FAIL: create %s: %ld %s\n", path, r.status, e.msg);
		failures++;
	}
	kube_resp_clear(&r);
	json_decref(b);
}

/* Wait until the cache holds kind ns/name (hang guard 30 s, not a threshold). */
static int wait_cached(struct kcache *c, enum kind k, const char *ns, const char *name)
{
	struct viewsrc vs;

	kcache_viewsrc(c, &vs);
	for (int i = 0; i < 3000; i++) {
		struct view v;
		const json_t *o;
		struct timespec ts = { 0, 10000000L };

		viewsrc_acquire(&vs, &v);
		o = view_get(&v, k, ns, name);
		viewsrc_release(&vs);
		if (o != NULL)
			return 1;
		nanosleep(&ts, NULL);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct kube_config cfg;
	struct err e;
	struct kube *k;
	struct kcache *c;
	struct viewsrc vs;
	struct webhook *w;

	if (argc != 2)
		return 2;
	json_object_seed(0);
	setvbuf(stdout, NULL, _IOLBF, 0);
	err_init(&e);
	if (kubeconfig_load(argv[1], NULL, &cfg, &e) < 0 || (k = kube_new(&cfg, &e)) == NULL) {
		fprintf(stderr, "%s\n", e.msg);
		return 1;
	}
	kube_config_free(&cfg);
	create(k, "/api/v1/namespaces", "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"demo\"}}");
	create(k, "/api/v1/namespaces", "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"other\"}}");
	create(k, "/api/v1/namespaces/other/services",
	       "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"api\",\"namespace\":\"other\"},"
	       "\"spec\":{\"ports\":[{\"port\":80}]}}");
	create(k, "/apis/gateway.networking.k8s.io/v1/gatewayclasses",
	       "{\"apiVersion\":\"gateway.networking.k8s.io/v1\",\"kind\":\"GatewayClass\",\"metadata\":{\"name\":\"c\"},"
	       "\"spec\":{\"controllerName\":\"example.com/c\"}}");
	c = kcache_new(k, NULL, &e);
	if (c == NULL || kcache_start(c, &e) < 0) {
		fprintf(stderr, "%s\n", e.msg);
		return 1;
	}
	kcache_viewsrc(c, &vs);
	for (int i = 0; i < 3000 && !viewsrc_ready(&vs); i++) {
		struct timespec ts = { 0, 10000000L };
		nanosleep(&ts, NULL);
	}
	check(viewsrc_ready(&vs), "the cache is ready after its first sync");
	struct webhook_config wc = { .src = &vs, .strict = true, .body_max = 7u << 20, .json_depth_max = 100,
				     .quiet = true };
	w = webhook_new(&wc);
	if (w == NULL)
		return 1;

	check(review(w, "no Gateway, no grant") == 0, "denied while the parent Gateway is missing (strict)");
	create(k, "/apis/gateway.networking.k8s.io/v1/namespaces/demo/gateways",
	       "{\"apiVersion\":\"gateway.networking.k8s.io/v1\",\"kind\":\"Gateway\","
	       "\"metadata\":{\"name\":\"gw\",\"namespace\":\"demo\"},\"spec\":{\"gatewayClassName\":\"c\","
	       "\"listeners\":[{\"name\":\"http\",\"protocol\":\"HTTP\",\"port\":80}]}}");
	check(wait_cached(c, KIND_GATEWAY, "demo", "gw"), "the Gateway reached the cache");
	check(review(w, "Gateway, no grant") == 0,
	      "still denied: the cross-namespace backend has no ReferenceGrant");
	create(k, "/apis/gateway.networking.k8s.io/v1beta1/namespaces/other/referencegrants",
	       "{\"apiVersion\":\"gateway.networking.k8s.io/v1beta1\",\"kind\":\"ReferenceGrant\","
	       "\"metadata\":{\"name\":\"allow-demo\",\"namespace\":\"other\"},\"spec\":{"
	       "\"from\":[{\"group\":\"gateway.networking.k8s.io\",\"kind\":\"HTTPRoute\",\"namespace\":\"demo\"}],"
	       "\"to\":[{\"group\":\"\",\"kind\":\"Service\"}]}}");
	check(wait_cached(c, KIND_REFERENCEGRANT, "other", "allow-demo"), "the ReferenceGrant reached the cache");
	check(review(w, "Gateway and grant") == 1, "allowed once the Gateway and the ReferenceGrant exist");
	/* and back: deleting the grant flips the decision again */
	{
		struct kube_resp r;

		err_init(&e);
		kube_request(k, "DELETE", "/apis/gateway.networking.k8s.io/v1beta1/namespaces/other/referencegrants/allow-demo",
			     NULL, NULL, &r, &e);
		kube_resp_clear(&r);
		int gone = 0;
		for (int i = 0; i < 3000 && !gone; i++) {
			struct view v;
			struct timespec ts = { 0, 10000000L };

			viewsrc_acquire(&vs, &v);
			gone = view_get(&v, KIND_REFERENCEGRANT, "other", "allow-demo") == NULL;
			viewsrc_release(&vs);
			if (!gone)
				nanosleep(&ts, NULL);
		}
		check(gone, "the deletion reached the cache");
		check(review(w, "grant deleted") == 0, "denied again after the ReferenceGrant is deleted");
	}
	webhook_free(w);
	kcache_free(c);
	kube_free(k);
	printf("%s\n", failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
