/* test_policy: policy loading (native and Kyverno), generated-Service patches, Gateway
 * defaults and the validation policies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "findings.h"
#include "jpatch.h"
#include "policy.h"
#include "policyload.h"
#include "store.h"
#include "subst.h"
#include "testutil.h"

/* ---- helpers ---- */

static struct policy_set *set_of(const char *const *docs)
{
	struct policy_set *s = policy_set_new();
	struct err e;

	assert_non_null(s);
	for (size_t i = 0; docs[i] != NULL; i++) {
		json_t *d = testutil_json(docs[i]);

		err_init(&e);
		if (policy_set_add(s, d, "test.yaml", &e) != 0)
			fail_msg("policy %zu refused: %s", i, e.msg);
		json_decref(d);
	}
	return s;
}

/* The error policy_set_add gives for doc (must fail). */
static void refused(const char *doc, const char *want)
{
	struct policy_set *s = policy_set_new();
	json_t *d = testutil_json(doc);
	struct err e;

	err_init(&e);
	if (policy_set_add(s, d, "bad.yaml", &e) != ERR_INVALID)
		fail_msg("accepted: %s", doc);
	if (strstr(e.msg, want) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", e.msg, want);
	assert_non_null(strstr(e.msg, "bad.yaml"));
	assert_int_equal(policy_set_count(s), 0);
	json_decref(d);
	policy_set_free(s);
}

static struct store *store_of(const char *const *objs)
{
	struct store *st = store_new();
	struct err e;

	assert_non_null(st);
	for (size_t i = 0; objs[i] != NULL; i++) {
		json_t *o = testutil_json(objs[i]);

		err_init(&e);
		assert_int_equal(store_add(st, o, &e), 0);
		json_decref(o);
	}
	return st;
}

/* Patch svc (old NULL: CREATE); checks the patch applies; returns the patched Service. */
static json_t *mutate(const struct policy_set *s, struct store *st, const json_t *svc, const json_t *old,
		      json_t **ret_patch, struct findings *fs)
{
	struct view v;
	struct err e;
	json_t *patch = NULL, *out = NULL;

	store_view(st, &v);
	err_init(&e);
	if (policy_service_patch(s, &v, svc, old, &patch, fs, &e) != 0)
		fail_msg("service patch: %s", e.msg);
	assert_true(json_is_array(patch));
	err_init(&e);
	if (jpatch_apply(svc, patch, &out, &e) != 0)
		fail_msg("the patch does not apply: %s", e.msg);
	if (ret_patch != NULL)
		*ret_patch = patch;
	else
		json_decref(patch);
	return out;
}

static const char *ann(const json_t *svc, const char *key)
{
	return json_string_value(json_object_get(json_object_get(json_object_get(svc, "metadata"), "annotations"), key));
}

static const char *lbclass(const json_t *svc)
{
	return json_string_value(json_object_get(json_object_get(svc, "spec"), "loadBalancerClass"));
}

/* ---- fixtures ---- */

static const char *const presets[] = {
	"{'apiVersion':'policy.gatewarden.io/v1alpha1','kind':'ServicePolicy','metadata':{'name':'aws'},"
	"'spec':{'gateways':{'annotations':{'policy.gatewarden.io/preset':'aws-nlb-internet-facing'}},"
	"'service':{'loadBalancerClass':'service.k8s.aws/nlb','annotations':{"
	"'service.beta.kubernetes.io/aws-load-balancer-scheme':'internet-facing',"
	"'service.beta.kubernetes.io/aws-load-balancer-backend-protocol':'tcp'}}}}",
	"{'apiVersion':'policy.gatewarden.io/v1alpha1','kind':'ServicePolicy','metadata':{'name':'dns'},"
	"'spec':{'gateways':{'gatewayClassNames':['cilium']},'service':{'externalDNSHostname':true}}}",
	NULL,
};

#define GW_PUBLIC \
	"{'apiVersion':'gateway.networking.k8s.io/v1','kind':'Gateway','metadata':{'name':'pub','namespace':'infra'," \
	"'annotations':{'policy.gatewarden.io/preset':'aws-nlb-internet-facing'}},'spec':{'gatewayClassName':'cilium'," \
	"'infrastructure':{'annotations':{'team':'web'}}," \
	"'listeners':[{'name':'apex','port':443,'protocol':'HTTPS','hostname':'example.com'," \
	"'tls':{'certificateRefs':[{'name':'c'}]}}," \
	"{'name':'wild','port':443,'protocol':'HTTPS','hostname':'*.example.com','tls':{'certificateRefs':[{'name':'w'}]}," \
	"'allowedRoutes':{'namespaces':{'from':'All'}}}," \
	"{'name':'any','port':80,'protocol':'HTTP','allowedRoutes':{'namespaces':{'from':'Same'}}}]}}"

#define ROUTE(ns, name, section, hosts) \
	"{'apiVersion':'gateway.networking.k8s.io/v1','kind':'HTTPRoute','metadata':{'name':'" name "','namespace':'" ns "'}," \
	"'spec':{'parentRefs':[{'name':'pub','namespace':'infra','sectionName':'" section "'}],'hostnames':" hosts "," \
	"'rules':[{'backendRefs':[{'name':'b','port':80}]}]}}"

static const char *const cluster[] = {
	GW_PUBLIC,
	ROUTE("apps", "r1", "wild", "['b.example.com','a.example.com','other.org','*.x.example.com']"),
	ROUTE("apps", "r2", "wild", "['a.example.com']"),
	/* HTTP listener admits only its own namespace: r3 is not accepted, its host not published */
	ROUTE("apps", "r3", "any", "['notaccepted.org']"),
	ROUTE("infra", "r4", "any", "['plain.org']"),
	NULL,
};

#define SVC_CREATE \
	"{'apiVersion':'v1','kind':'Service','metadata':{'name':'cilium-gateway-pub','namespace':'infra'," \
	"'labels':{'io.cilium.gateway/owning-gateway':'pub','gateway.networking.k8s.io/gateway-name':'pub'}," \
	"'annotations':{'team':'web'}},'spec':{'type':'LoadBalancer','ports':[{'port':443}]}}"

/* ---- Service mutation ---- */

static void test_policy_service__create_gets_annotations_and_class(void **state)
{
	struct policy_set *s = set_of(presets);
	struct store *st = store_of(cluster);
	json_t *svc = testutil_json(SVC_CREATE), *out;
	struct findings fs;

	(void)state;
	findings_init(&fs, NULL);
	out = mutate(s, st, svc, NULL, NULL, &fs);
	assert_int_equal(fs.n, 0);
	assert_string_equal(ann(out, "service.beta.kubernetes.io/aws-load-balancer-scheme"), "internet-facing");
	assert_string_equal(ann(out, "service.beta.kubernetes.io/aws-load-balancer-backend-protocol"), "tcp");
	assert_string_equal(ann(out, "team"), "web");
	/* listener host, then the hosts of routes accepted on the wildcard listener (no
	 * wildcard, nothing outside *.example.com, r3 not accepted, r4 on a hostname-less
	 * listener is accepted) */
	assert_string_equal(ann(out, "external-dns.alpha.kubernetes.io/hostname"),
			    "a.example.com,b.example.com,example.com,plain.org");
	assert_string_equal(lbclass(out), "service.k8s.aws/nlb");
	json_decref(out);
	json_decref(svc);
	findings_release(&fs);
	store_free(st);
	policy_set_free(s);
}

/* A wanted key too long for a JSON Patch path is a clear ERR_LIMIT, not a cut path:
 * through the memo's ordered members (the Service has annotations) and without. */
static void test_policy_service__key_too_long_for_a_path(void **state)
{
	static char doc[2048], key[1101];
	const char *docs[2] = { doc, NULL };
	struct policy_set *s;
	struct store *st = store_of(cluster);
	json_t *svc = testutil_json(SVC_CREATE), *patch = NULL;
	struct findings fs;
	struct view v;
	struct err e;

	(void)state;
	memset(key, 'k', sizeof(key) - 1);
	snprintf(doc, sizeof(doc),
		 "{'apiVersion':'policy.gatewarden.io/v1alpha1','kind':'ServicePolicy','metadata':{'name':'long'},"
		 "'spec':{'gateways':{'gatewayClassNames':['cilium']},'service':{'annotations':{'%s':'v'}}}}", key);
	s = set_of(docs);
	findings_init(&fs, NULL);
	err_init(&e);
	store_view(st, &v);
	assert_int_equal(policy_service_patch(s, &v, svc, NULL, &patch, &fs, &e), ERR_LIMIT);
	assert_null(patch);
	assert_non_null(strstr(e.msg, "is too long for a patch path"));
	json_decref(svc);
	findings_release(&fs);
	store_free(st);
	policy_set_free(s);
}

static void test_policy_service__update_idempotent_and_restores(void **state)
{
	struct policy_set *s = set_of(presets);
	struct store *st = store_of(cluster);
	json_t *svc = testutil_json(SVC_CREATE), *created, *again, *patch, *stripped, *restored;
	struct findings fs;

	(void)state;
	findings_init(&fs, NULL);
	created = mutate(s, st, svc, NULL, NULL, &fs);
	/* UPDATE with everything in place: no patch */
	again = mutate(s, st, created, created, &patch, &fs);
	assert_int_equal(json_array_size(patch), 0);
	json_decref(patch);
	json_decref(again);
	/* the implementation strips annotations: they come back, the class is not touched */
	stripped = json_deep_copy(created);
	json_object_del(json_object_get(json_object_get(stripped, "metadata"), "annotations"),
			"service.beta.kubernetes.io/aws-load-balancer-scheme");
	json_object_del(json_object_get(json_object_get(stripped, "metadata"), "annotations"),
			"external-dns.alpha.kubernetes.io/hostname");
	restored = mutate(s, st, stripped, created, &patch, &fs);
	assert_int_equal(json_array_size(patch), 2);
	assert_true(json_equal(restored, created));
	{
		char *dump = json_dumps(patch, 0);

		assert_null(strstr(dump, "loadBalancerClass"));
		free(dump);
	}
	assert_int_equal(fs.n, 0);
	json_decref(patch);
	json_decref(restored);
	json_decref(stripped);
	json_decref(created);
	json_decref(svc);
	findings_release(&fs);
	store_free(st);
	policy_set_free(s);
}

static void test_policy_service__update_never_changes_class(void **state)
{
	struct policy_set *s = set_of(presets);
	struct store *st = store_of(cluster);
	json_t *svc = testutil_json(SVC_CREATE), *out, *patch;
	struct findings fs;

	(void)state;
	findings_init(&fs, NULL);
	json_object_set_new(json_object_get(svc, "spec"), "loadBalancerClass", json_string("other/lb"));
	out = mutate(s, st, svc, svc, &patch, &fs);
	assert_string_equal(lbclass(out), "other/lb");
	assert_true(findings_has_rule(&fs, "POL-SVC-IMMUTABLE"));
	assert_non_null(strstr(fs.v[0].message, "service.k8s.aws/nlb"));
	json_decref(patch);
	json_decref(out);
	json_decref(svc);
	findings_release(&fs);
	store_free(st);
	policy_set_free(s);
}

static void test_policy_service__not_loadbalancer_no_class(void **state)
{
	struct policy_set *s = set_of(presets);
	struct store *st = store_of(cluster);
	json_t *svc = testutil_json(SVC_CREATE), *out;
	struct findings fs;

	(void)state;
	findings_init(&fs, NULL);
	json_object_set_new(json_object_get(svc, "spec"), "type", json_string("NodePort"));
	out = mutate(s, st, svc, NULL, NULL, &fs);
	assert_null(lbclass(out));
	assert_string_equal(ann(out, "service.beta.kubernetes.io/aws-load-balancer-scheme"), "internet-facing");
	json_decref(out);
	json_decref(svc);
	findings_release(&fs);
	store_free(st);
	policy_set_free(s);
}

static void test_policy_service__gateway_missing_allowed_with_warning(void **state)
{
	struct policy_set *s = set_of(presets);
	static const char *const none[] = { NULL };
	struct store *st = store_of(none);
	json_t *svc = testutil_json(SVC_CREATE), *out, *patch;
	struct findings fs;

	(void)state;
	findings_init(&fs, NULL);
	out = mutate(s, st, svc, NULL, &patch, &fs);
	assert_int_equal(json_array_size(patch), 0);
	assert_true(findings_has_rule(&fs, "POL-SVC-GATEWAY-MISSING"));
	assert_non_null(strstr(fs.v[0].message, "infra/pub"));
	assert_int_equal(fs.nerrors, 0);
	json_decref(patch);
	json_decref(out);
	json_decref(svc);
	findings_release(&fs);
	store_free(st);
	policy_set_free(s);
}

static void test_policy_service__matched_by_labels_not_name(void **state)
{
	struct policy_set *s = set_of(presets);
	struct store *st = store_of(cluster);
	json_t *named = testutil_json("{'apiVersion':'v1','kind':'Service','metadata':{'name':'cilium-gateway-pub',"
				      "'namespace':'infra'},'spec':{'type':'LoadBalancer'}}");
	/* Envoy Gateway: another namespace and name, owner labels */
	json_t *eg = testutil_json("{'apiVersion':'v1','kind':'Service','metadata':{'name':'envoy-infra-pub-1a2b',"
				   "'namespace':'envoy-gateway-system','labels':{"
				   "'gateway.envoyproxy.io/owning-gateway-name':'pub',"
				   "'gateway.envoyproxy.io/owning-gateway-namespace':'infra'}},'spec':{'type':'LoadBalancer'}}");
	json_t *patch, *out;
	struct findings fs;

	(void)state;
	findings_init(&fs, NULL);
	out = mutate(s, st, named, NULL, &patch, &fs);
	assert_int_equal(json_array_size(patch), 0);
	json_decref(patch);
	json_decref(out);
	out = mutate(s, st, eg, NULL, &patch, &fs);
	assert_string_equal(lbclass(out), "service.k8s.aws/nlb");
	assert_non_null(ann(out, "external-dns.alpha.kubernetes.io/hostname"));
	json_decref(patch);
	json_decref(out);
	json_decref(named);
	json_decref(eg);
	findings_release(&fs);
	store_free(st);
	policy_set_free(s);
}

static void test_policy_service__owner_labels(void **state)
{
	json_t *svc = testutil_json("{'metadata':{'namespace':'n','labels':{'gateway.networking.k8s.io/gateway-name':'g'}}}");
	char ns[64], name[64];

	(void)state;
	assert_true(policy_service_owner(svc, ns, sizeof(ns), name, sizeof(name)));
	assert_string_equal(ns, "n");
	assert_string_equal(name, "g");
	json_decref(svc);
	svc = testutil_json("{'metadata':{'namespace':'n','labels':{'app':'x'}}}");
	assert_false(policy_service_owner(svc, ns, sizeof(ns), name, sizeof(name)));
	json_decref(svc);
}

/* ---- Kyverno: the user's two real policies ---- */

static void test_policy_kyverno__real_policies_give_kyvernos_service(void **state)
{
	const char *paths[] = { "data/policy/kyverno/policies" };
	char v1[] = "cluster_name=mycluster-0", v2[] = "domain_name=cloud.ogenki.io";
	struct subst_vars vars;
	struct policy_set *s;
	struct err e;
	static const char *const none[] = { NULL };
	struct store *st = store_of(none);
	/* what Cilium generates for platform-private and platform-public */
	json_t *priv = testutil_json("{'apiVersion':'v1','kind':'Service','metadata':{'name':'cilium-gateway-platform-private',"
				     "'namespace':'infrastructure','labels':{'io.cilium.gateway/owning-gateway':'platform-private'}},"
				     "'spec':{'type':'LoadBalancer','ports':[{'name':'port-443','port':443,'protocol':'TCP'}]}}");
	json_t *pub = testutil_json("{'apiVersion':'v1','kind':'Service','metadata':{'name':'cilium-gateway-platform-public',"
				    "'namespace':'infrastructure','labels':{'io.cilium.gateway/owning-gateway':'platform-public'}},"
				    "'spec':{'type':'LoadBalancer','ports':[{'name':'port-443','port':443,'protocol':'TCP'}]}}");
	/* Kyverno's patchStrategicMerge result, written out by hand */
	json_t *want_priv = testutil_json(
		"{'apiVersion':'v1','kind':'Service','metadata':{'name':'cilium-gateway-platform-private',"
		"'namespace':'infrastructure','labels':{'io.cilium.gateway/owning-gateway':'platform-private'},"
		"'annotations':{'external-dns.alpha.kubernetes.io/hostname':"
		"'gitops-mycluster-0.priv.cloud.ogenki.io,grafana-mycluster-0.priv.cloud.ogenki.io,harbor.priv.cloud.ogenki.io',"
		"'service.beta.kubernetes.io/aws-load-balancer-scheme':'internal',"
		"'service.beta.kubernetes.io/aws-load-balancer-backend-protocol':'tcp'}},"
		"'spec':{'type':'LoadBalancer','ports':[{'name':'port-443','port':443,'protocol':'TCP'}],"
		"'loadBalancerClass':'service.k8s.aws/nlb'}}");
	json_t *want_pub = testutil_json(
		"{'apiVersion':'v1','kind':'Service','metadata':{'name':'cilium-gateway-platform-public',"
		"'namespace':'infrastructure','labels':{'io.cilium.gateway/owning-gateway':'platform-public'},"
		"'annotations':{'external-dns.alpha.kubernetes.io/hostname':'vector-cloudwatch-mycluster-0.cloud.ogenki.io',"
		"'service.beta.kubernetes.io/aws-load-balancer-scheme':'internet-facing',"
		"'service.beta.kubernetes.io/aws-load-balancer-backend-protocol':'tcp'}},"
		"'spec':{'type':'LoadBalancer','ports':[{'name':'port-443','port':443,'protocol':'TCP'}],"
		"'loadBalancerClass':'service.k8s.aws/nlb'}}");
	json_t *out, *patch, *other;
	struct findings fs;

	(void)state;
	subst_init(&vars);
	err_init(&e);
	assert_int_equal(subst_add(&vars, v1, &e), 0);
	assert_int_equal(subst_add(&vars, v2, &e), 0);
	s = policyload_paths(paths, 1, &vars, &e);
	if (s == NULL)
		fail_msg("load: %s", e.msg);
	assert_int_equal(policy_set_count(s), 2);
	findings_init(&fs, NULL);
	out = mutate(s, st, priv, NULL, NULL, &fs);
	assert_true(json_equal(out, want_priv));
	/* and again on UPDATE: nothing to do */
	json_decref(mutate(s, st, out, out, &patch, &fs));
	assert_int_equal(json_array_size(patch), 0);
	json_decref(patch);
	json_decref(out);
	out = mutate(s, st, pub, NULL, NULL, &fs);
	assert_true(json_equal(out, want_pub));
	json_decref(out);
	/* the name is what these policies match on: another Service is left alone */
	other = testutil_json("{'apiVersion':'v1','kind':'Service','metadata':{'name':'cilium-gateway-platform-public',"
			      "'namespace':'default'},'spec':{'type':'LoadBalancer'}}");
	json_decref(mutate(s, st, other, NULL, &patch, &fs));
	assert_int_equal(json_array_size(patch), 0);
	json_decref(patch);
	/* Kyverno's rules need no Gateway: no warning */
	assert_int_equal(fs.n, 0);
	json_decref(other);
	json_decref(priv);
	json_decref(pub);
	json_decref(want_priv);
	json_decref(want_pub);
	findings_release(&fs);
	store_free(st);
	policy_set_free(s);
}

/* A memo as the webhook keeps one: one entry per Gateway, counted. */
struct test_memo {
	char key[256];
	uint64_t gen, pgen;
	json_t *val;
	int gets, hits, puts;
};

static json_t *test_memo_get(void *ud, const char *ns, const char *name, uint64_t gen, uint64_t pgen)
{
	struct test_memo *m = ud;
	char key[256];

	m->gets++;
	snprintf(key, sizeof(key), "%s/%s", ns, name);
	if (m->val == NULL || m->gen != gen || m->pgen != pgen || strcmp(key, m->key) != 0)
		return NULL;
	m->hits++;
	return json_incref(m->val);
}

static void test_memo_put(void *ud, const char *ns, const char *name, uint64_t gen, uint64_t pgen, json_t *val)
{
	struct test_memo *m = ud;

	m->puts++;
	snprintf(m->key, sizeof(m->key), "%s/%s", ns, name);
	m->gen = gen;
	m->pgen = pgen;
	json_decref(m->val);
	m->val = json_incref(val);
}

/* policy_service_patch_text through the memo, as the webhook calls it, parsed back. */
static json_t *memo_patch(const struct policy_set *s, const struct view *v, const json_t *svc,
			  const struct policy_memo *memo, struct findings *fs)
{
	struct err e;
	char *text;
	size_t len;
	json_t *patch;

	err_init(&e);
	if (policy_service_patch_text(s, v, svc, NULL, NULL, memo, &text, &len, fs, &e) != 0)
		fail_msg("policy_service_patch_text: %s", e.msg);
	if (text == NULL)
		return json_array();
	assert_int_equal(strlen(text), len);
	patch = json_loadb(text, len, 0, NULL);
	assert_non_null(patch);
	free(text);
	return patch;
}

/* The string value the patch's operation on path writes (NULL: no such operation). */
static const char *op_value(const json_t *patch, const char *path)
{
	json_t *op;
	size_t i;

	json_array_foreach(patch, i, op)
		if (strcmp(json_string_value(json_object_get(op, "path")), path) == 0)
			return json_string_value(json_object_get(op, "value"));
	return NULL;
}

#define DNS_PATH "/metadata/annotations/external-dns.alpha.kubernetes.io~1hostname"

/* A Gateway's share of its Service (external-dns hostnames included) comes from the
 * memo while the view and the policy set are unchanged, and is derived again (new
 * route's host included) once either changes; the patch is the same with and without
 * the memo. */
static void test_policy_service__memo_follows_the_view_and_the_policies(void **state)
{
	struct policy_set *s = set_of(presets);
	struct store *st = store_of(cluster);
	struct test_memo tm = { .gen = 0 };
	struct policy_memo memo = { test_memo_get, test_memo_put, &tm };
	json_t *svc = testutil_json(SVC_CREATE), *plain, *patch, *route, *extra;
	struct findings fs;
	struct view v;
	struct err e;
	uint64_t pgen;

	(void)state;
	findings_init(&fs, NULL);
	err_init(&e);
	store_view(st, &v);
	assert_int_equal(policy_service_patch(s, &v, svc, NULL, &plain, &fs, &e), 0);
	assert_true(json_array_size(plain) > 0);
	for (int i = 0; i < 3; i++) {
		patch = memo_patch(s, &v, svc, &memo, &fs);
		assert_true(json_equal(patch, plain));
		json_decref(patch);
	}
	assert_int_equal(tm.puts, 1);
	assert_int_equal(tm.hits, 2);
	assert_string_equal(op_value(plain, DNS_PATH), "a.example.com,b.example.com,example.com,plain.org");
	/* a new route on the wildcard listener: the view's generation moves on */
	route = testutil_json(ROUTE("apps", "r5", "wild", "['new.example.com']"));
	assert_int_equal(store_add(st, route, &e), 0);
	json_decref(route);
	patch = memo_patch(s, &v, svc, &memo, &fs);
	assert_int_equal(tm.puts, 2);
	assert_int_equal(tm.hits, 2);
	assert_string_equal(op_value(patch, DNS_PATH),
			    "a.example.com,b.example.com,example.com,new.example.com,plain.org");
	json_decref(patch);
	json_decref(plain);
	/* the route goes: derived again, back to the first set */
	assert_int_equal(store_remove(st, KIND_HTTPROUTE, "apps", "r5"), 0);
	patch = memo_patch(s, &v, svc, &memo, &fs);
	assert_int_equal(tm.puts, 3);
	assert_string_equal(op_value(patch, DNS_PATH), "a.example.com,b.example.com,example.com,plain.org");
	assert_null(op_value(patch, "/metadata/annotations/added"));
	json_decref(patch);
	/* a policy more: the set's generation moves on, the new annotation is in the patch */
	pgen = policy_set_generation(s);
	extra = testutil_json("{'apiVersion':'policy.gatewarden.io/v1alpha1','kind':'ServicePolicy',"
			      "'metadata':{'name':'more'},'spec':{'gateways':{'gatewayClassNames':['cilium']},"
			      "'service':{'annotations':{'added':'later'}}}}");
	assert_int_equal(policy_set_add(s, extra, "test.yaml", &e), 0);
	json_decref(extra);
	assert_true(policy_set_generation(s) != pgen);
	patch = memo_patch(s, &v, svc, &memo, &fs);
	assert_int_equal(tm.puts, 4);
	assert_int_equal(tm.hits, 2);
	assert_string_equal(op_value(patch, "/metadata/annotations/added"), "later");
	/* and is remembered for that set */
	json_decref(patch);
	patch = memo_patch(s, &v, svc, &memo, &fs);
	assert_int_equal(tm.puts, 4);
	assert_int_equal(tm.hits, 3);
	assert_string_equal(op_value(patch, "/metadata/annotations/added"), "later");
	json_decref(patch);
	assert_int_equal(fs.n, 0);
	json_decref(tm.val);
	json_decref(svc);
	findings_release(&fs);
	store_free(st);
	policy_set_free(s);
}

/*
 * The patch touches only what policy names, member by member, whatever shape the
 * Service has: the exact operations for a bare Service, one with some wants already in
 * place (or different), one without spec and one whose metadata is not an object; each
 * patch applies, and the patched Service patches to nothing.
 */
static void test_policy_service__patch_is_per_member(void **state)
{
	static const char *const pol[] = {
		"{'apiVersion':'kyverno.io/v1','kind':'ClusterPolicy','metadata':{'name':'p'},'spec':{'rules':[{'name':'r',"
		"'match':{'any':[{'resources':{'kinds':['Service'],'names':['gw-*']}}]},"
		"'mutate':{'patchStrategicMerge':{'metadata':{'annotations':{'a':'b','x/y~z':'v'},'labels':{'tier':'edge'}},"
		"'spec':{'externalTrafficPolicy':'Local','loadBalancerSourceRanges':['10.0.0.0/8','192.168.0.0/16']}}}}]}}",
		NULL,
	};
	static const struct {
		const char *svc, *ops;
	} cases[] = {
		{ "{'kind':'Service','metadata':{'name':'gw-1','namespace':'d'},'spec':{'type':'ClusterIP'}}",
		  "[{'op':'add','path':'/metadata/annotations','value':{'a':'b','x/y~z':'v'}},"
		  "{'op':'add','path':'/metadata/labels','value':{'tier':'edge'}},"
		  "{'op':'add','path':'/spec/externalTrafficPolicy','value':'Local'},"
		  "{'op':'add','path':'/spec/loadBalancerSourceRanges','value':['10.0.0.0/8','192.168.0.0/16']}]" },
		{ "{'kind':'Service','metadata':{'name':'gw-1','namespace':'d','annotations':{'a':'c','keep':'1'},"
		  "'labels':{'tier':'edge','k':'v'}},'spec':{'type':'ClusterIP','externalTrafficPolicy':'Local',"
		  "'loadBalancerSourceRanges':['10.0.0.0/8']}}",
		  "[{'op':'replace','path':'/metadata/annotations/a','value':'b'},"
		  "{'op':'add','path':'/metadata/annotations/x~1y~0z','value':'v'},"
		  "{'op':'add','path':'/spec/loadBalancerSourceRanges/1','value':'192.168.0.0/16'}]" },
		{ "{'kind':'Service','metadata':{'name':'gw-1','namespace':'d','annotations':{'a':'b','x/y~z':'v'},"
		  "'labels':{'tier':'edge'}}}",
		  "[{'op':'add','path':'/spec','value':{'externalTrafficPolicy':'Local',"
		  "'loadBalancerSourceRanges':['10.0.0.0/8','192.168.0.0/16']}}]" },
		{ "{'kind':'Service','metadata':{'name':'gw-1','namespace':'d','annotations':'oops'},"
		  "'spec':{'type':'ClusterIP','externalTrafficPolicy':'Cluster'}}",
		  "[{'op':'replace','path':'/metadata/annotations','value':{'a':'b','x/y~z':'v'}},"
		  "{'op':'add','path':'/metadata/labels','value':{'tier':'edge'}},"
		  "{'op':'replace','path':'/spec/externalTrafficPolicy','value':'Local'},"
		  "{'op':'add','path':'/spec/loadBalancerSourceRanges','value':['10.0.0.0/8','192.168.0.0/16']}]" },
	};
	static const char *const none[] = { NULL };
	struct policy_set *s = set_of(pol);
	struct store *st = store_of(none);
	struct findings fs;

	(void)state;
	findings_init(&fs, NULL);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *svc = testutil_json(cases[i].svc), *want = testutil_json(cases[i].ops), *patch, *out, *again;

		out = mutate(s, st, svc, NULL, &patch, &fs);
		if (!json_equal(patch, want)) {
			char *got = json_dumps(patch, JSON_COMPACT);

			fail_msg("case %zu: patch %s", i, got);
		}
		json_decref(patch);
		again = mutate(s, st, out, out, &patch, &fs);
		assert_int_equal(json_array_size(patch), 0);
		assert_true(json_equal(again, out));
		json_decref(again);
		json_decref(patch);
		json_decref(out);
		json_decref(want);
		json_decref(svc);
	}
	assert_int_equal(fs.n, 0);
	findings_release(&fs);
	store_free(st);
	policy_set_free(s);
}

#define KYV(rule) \
	"{'apiVersion':'kyverno.io/v1','kind':'ClusterPolicy','metadata':{'name':'p'},'spec':{'rules':[" rule "]}}"
#define MATCH "'match':{'any':[{'resources':{'kinds':['Service'],'names':['gw-*']}}]}"
#define PSM "'mutate':{'patchStrategicMerge':{'metadata':{'annotations':{'a':'b'}}}}"

static void test_policy_kyverno__unsupported_features_named(void **state)
{
	(void)state;
	refused(KYV("{'name':'r'," MATCH ",'validate':{'pattern':{}}}"), "validate");
	refused(KYV("{'name':'r'," MATCH ",'context':[]," PSM "}"), "context");
	refused(KYV("{'name':'r'," MATCH ",'preconditions':{}," PSM "}"), "preconditions");
	refused(KYV("{'name':'r'," MATCH ",'exclude':{}," PSM "}"), "exclude");
	refused(KYV("{'name':'r'," MATCH ",'mutate':{'patchesJson6902':'[]'}}"), "patchesJson6902");
	refused(KYV("{'name':'r'," MATCH ",'mutate':{'foreach':[]}}"), "foreach");
	refused(KYV("{'name':'r'," MATCH ",'mutate':{'patchStrategicMerge':{'metadata':{'annotations':{'+(a)':'b'}}}}}"),
		"+(a)");
	refused(KYV("{'name':'r'," MATCH ",'mutate':{'patchStrategicMerge':{'metadata':{'annotations':"
		    "{'a':'{{request.object.metadata.name}}'}}}}}"), "Kyverno variable");
	refused(KYV("{'name':'r'," MATCH ",'mutate':{'patchStrategicMerge':{'spec':{'clusterIP':'None'}}}}"),
		"spec.clusterIP");
	refused(KYV("{'name':'r','match':{'any':[{'resources':{'kinds':['Pod']}}]}," PSM "}"), "Pod");
	refused(KYV("{'name':'r','match':{'any':[{'subjects':[],'resources':{'kinds':['Service']}}]}," PSM "}"),
		"subjects");
	refused("{'apiVersion':'kyverno.io/v1','kind':'ClusterPolicy','metadata':{'name':'p'},'spec':"
		"{'generateExisting':true,'rules':[{'name':'r'," MATCH "," PSM "}]}}", "spec.generateExisting");
	refused("{'apiVersion':'kyverno.io/v2beta1','kind':'PolicyException','metadata':{'name':'p'},'spec':{}}",
		"PolicyException");
}

static void test_policy_kyverno__match_wildcards_selectors_all(void **state)
{
	static const char *const docs[] = {
		"{'apiVersion':'kyverno.io/v1','kind':'Policy','metadata':{'name':'p','namespace':'web'},'spec':{'rules':["
		"{'name':'r','match':{'all':[{'resources':{'kinds':['Service'],'names':['gw-?-*']}},"
		"{'resources':{'kinds':['v1/Service'],'selector':{'matchLabels':{'tier':'edge'}}}}]},"
		"'mutate':{'patchStrategicMerge':{'metadata':{'labels':{'x':'y'}},'spec':{'externalTrafficPolicy':'Local'}}}}]}}",
		NULL,
	};
	static const char *const none[] = { NULL };
	struct policy_set *s = set_of(docs);
	struct store *st = store_of(none);
	json_t *hit = testutil_json("{'metadata':{'name':'gw-a-1','namespace':'web','labels':{'tier':'edge'}},'spec':{}}");
	json_t *wrongns = testutil_json("{'metadata':{'name':'gw-a-1','namespace':'api','labels':{'tier':'edge'}},'spec':{}}");
	json_t *nolabel = testutil_json("{'metadata':{'name':'gw-a-1','namespace':'web'},'spec':{}}");
	json_t *noname = testutil_json("{'metadata':{'name':'gw-ab','namespace':'web','labels':{'tier':'edge'}},'spec':{}}");
	json_t *out, *patch;
	struct findings fs;

	(void)state;
	findings_init(&fs, NULL);
	out = mutate(s, st, hit, NULL, NULL, &fs);
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(out, "metadata"), "labels"), "x")), "y");
	assert_string_equal(json_string_value(json_object_get(json_object_get(out, "spec"), "externalTrafficPolicy")), "Local");
	json_decref(out);
	json_decref(mutate(s, st, wrongns, NULL, &patch, &fs));
	assert_int_equal(json_array_size(patch), 0);
	json_decref(patch);
	json_decref(mutate(s, st, nolabel, NULL, &patch, &fs));
	assert_int_equal(json_array_size(patch), 0);
	json_decref(patch);
	json_decref(mutate(s, st, noname, NULL, &patch, &fs));
	assert_int_equal(json_array_size(patch), 0);
	json_decref(patch);
	json_decref(hit);
	json_decref(wrongns);
	json_decref(nolabel);
	json_decref(noname);
	findings_release(&fs);
	store_free(st);
	policy_set_free(s);
}

/* ---- native format errors ---- */

static void test_policy_native__errors(void **state)
{
	(void)state;
	refused("{'apiVersion':'policy.gatewarden.io/v1alpha1','kind':'ServicePolicy','metadata':{'name':'p'},"
		"'spec':{'service':{'annotation':{}}}}", "spec.service.annotation is not supported");
	refused("{'apiVersion':'policy.gatewarden.io/v1alpha1','kind':'ServicePolicy','metadata':{'name':'p'},"
		"'spec':{'service':{'annotations':{'a':1}}}}", "spec.service.annotations.a must be a string");
	refused("{'apiVersion':'policy.gatewarden.io/v1alpha1','kind':'ServicePolicy','metadata':{'name':'p'},"
		"'spec':{'gateways':{'selector':{'matchExpressions':[{'key':'a','operator':'Is'}]}},'service':{}}}",
		"operator");
	refused("{'apiVersion':'policy.gatewarden.io/v1alpha1','kind':'Frobnicate','metadata':{'name':'p'},'spec':{}}",
		"unknown kind");
	refused("{'apiVersion':'policy.gatewarden.io/v1alpha1','kind':'HostnameOwnership','metadata':{'name':'p'},"
		"'spec':{'owners':[{'hostnames':['a.com']}]}}", "needs namespaces or namespaceSelector");
	refused("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'p'}}", "is not a policy");
	refused("{'apiVersion':'policy.gatewarden.io/v1alpha1','kind':'ServicePolicy','spec':{}}", "metadata.name");
}

static void test_policy_load__shipped_presets_and_bad_files(void **state)
{
	const char *good[] = { "../policies" };
	const char *bad[] = { "data/policy/bad.yaml" };
	const char *missing[] = { "data/policy/does-not-exist" };
	struct policy_set *s;
	struct err e;

	(void)state;
	err_init(&e);
	s = policyload_paths(good, 1, NULL, &e);
	if (s == NULL)
		fail_msg("shipped policies: %s", e.msg);
	assert_true(policy_set_count(s) >= 9);
	policy_set_free(s);
	err_init(&e);
	assert_null(policyload_paths(bad, 1, NULL, &e));
	assert_non_null(strstr(e.msg, "bad.yaml"));
	assert_non_null(strstr(e.msg, "spec.service.loadBalancerClas"));
	err_init(&e);
	assert_null(policyload_paths(missing, 1, NULL, &e));
	assert_non_null(strstr(e.msg, "does-not-exist"));
}

/* ---- Gateway defaults and validation ---- */

static void test_policy_gateway__defaults(void **state)
{
	static const char *const docs[] = {
		"{'apiVersion':'policy.gatewarden.io/v1alpha1','kind':'GatewayDefaults','metadata':{'name':'le'},"
		"'spec':{'httpsListenersOnly':true,'annotations':{'cert-manager.io/cluster-issuer':'le'}}}",
		NULL,
	};
	static const char *const none[] = { NULL };
	struct policy_set *s = set_of(docs);
	struct store *st = store_of(none);
	json_t *https = testutil_json("{'metadata':{'name':'g'},'spec':{'listeners':[{'protocol':'HTTPS'}]}}");
	json_t *http = testutil_json("{'metadata':{'name':'g'},'spec':{'listeners':[{'protocol':'HTTP'}]}}");
	json_t *own = testutil_json("{'metadata':{'name':'g','annotations':{'cert-manager.io/issuer':'mine'}},"
				    "'spec':{'listeners':[{'protocol':'HTTPS'}]}}");
	json_t *want = testutil_json("[{'op':'add','path':'/metadata/annotations','value':{'cert-manager.io/cluster-issuer':'le'}}]");
	json_t *patch;
	struct view v;
	struct err e;

	(void)state;
	store_view(st, &v);
	err_init(&e);
	assert_int_equal(policy_gateway_patch(s, &v, https, &patch, &e), 0);
	assert_true(json_equal(patch, want));
	json_decref(patch);
	assert_int_equal(policy_gateway_patch(s, &v, http, &patch, &e), 0);
	assert_int_equal(json_array_size(patch), 0);
	json_decref(patch);
	assert_int_equal(policy_gateway_patch(s, &v, own, &patch, &e), 0);
	assert_int_equal(json_array_size(patch), 0);
	json_decref(patch);
	json_decref(https);
	json_decref(http);
	json_decref(own);
	json_decref(want);
	store_free(st);
	policy_set_free(s);
}

static void test_policy_check__hostname_ownership(void **state)
{
	static const char *const docs[] = {
		"{'apiVersion':'policy.gatewarden.io/v1alpha1','kind':'HostnameOwnership','metadata':{'name':'t'},"
		"'spec':{'exclusive':true,'owners':[{'name':'team-a','namespaces':['team-a'],'hostnames':['*.a.example.com']},"
		"{'namespaceSelector':{'matchLabels':{'team':'b'}},'hostnames':['b.example.com']}]}}",
		NULL,
	};
	static const char *const objs[] = {
		"{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'team-b','labels':{'team':'b'}}}",
		"{'apiVersion':'gateway.networking.k8s.io/v1','kind':'HTTPRoute','metadata':{'name':'old','namespace':'misc'},"
		"'spec':{'hostnames':['shared.org']}}",
		NULL,
	};
	struct policy_set *s = set_of(docs);
	struct store *st = store_of(objs);
	json_t *stolen = testutil_json("{'metadata':{'name':'r','namespace':'team-b'},'spec':{'hostnames':"
				       "['x.a.example.com','b.example.com','elsewhere.org']}}");
	json_t *free_ns = testutil_json("{'metadata':{'name':'r','namespace':'misc2'},'spec':{'hostnames':"
					"['elsewhere.org','shared.org']}}");
	struct findings fs;
	struct view v;

	(void)state;
	store_view(st, &v);
	findings_init(&fs, NULL);
	assert_int_equal(policy_check_route(s, &v, KIND_HTTPROUTE, stolen, &fs), 0);
	/* x.a.example.com: team-a's; elsewhere.org: outside team-b's patterns */
	assert_int_equal(fs.nerrors, 2);
	assert_string_equal(fs.v[0].rule, "POL-HOST-OWNER");
	assert_string_equal(fs.v[0].field, "spec.hostnames[0]");
	assert_non_null(strstr(fs.v[0].message, "team-a"));
	assert_string_equal(fs.v[1].field, "spec.hostnames[2]");
	findings_release(&fs);
	/* an unlisted namespace may take unowned hostnames, unless served elsewhere */
	findings_init(&fs, NULL);
	assert_int_equal(policy_check_route(s, &v, KIND_HTTPROUTE, free_ns, &fs), 0);
	assert_int_equal(fs.nerrors, 1);
	assert_string_equal(fs.v[0].rule, "POL-HOST-TAKEN");
	assert_non_null(strstr(fs.v[0].message, "misc"));
	findings_release(&fs);
	json_decref(stolen);
	json_decref(free_ns);
	store_free(st);
	policy_set_free(s);
}

static void test_policy_check__gateway_rules(void **state)
{
	static const char *const docs[] = {
		"{'apiVersion':'policy.gatewarden.io/v1alpha1','kind':'InfrastructureAnnotations','metadata':{'name':'i'},"
		"'spec':{'rules':[{'namespaces':['tenant'],'allowedKeys':['external-dns.alpha.kubernetes.io/*']}]}}",
		"{'apiVersion':'policy.gatewarden.io/v1alpha1','kind':'ServicePolicy','metadata':{'name':'dns'},"
		"'spec':{'service':{'externalDNSHostname':true}}}",
		NULL,
	};
	static const char *const objs[] = {
		"{'apiVersion':'gateway.networking.k8s.io/v1','kind':'Gateway','metadata':{'name':'other','namespace':'x'},"
		"'spec':{'gatewayClassName':'c','listeners':[{'name':'l','port':80,'protocol':'HTTP','hostname':'dup.example.com'}]}}",
		NULL,
	};
	struct policy_set *s = set_of(docs);
	struct store *st = store_of(objs);
	json_t *gw = testutil_json(
		"{'apiVersion':'gateway.networking.k8s.io/v1','kind':'Gateway','metadata':{'name':'g','namespace':'tenant',"
		"'annotations':{'cert-manager.io/issuer':'ca'}},'spec':{'gatewayClassName':'c',"
		"'infrastructure':{'annotations':{'external-dns.alpha.kubernetes.io/ttl':'60',"
		"'service.beta.kubernetes.io/aws-load-balancer-scheme':'internet-facing'}},'listeners':["
		"{'name':'nohost','port':443,'protocol':'HTTPS','tls':{'certificateRefs':[{'name':'a'}]}},"
		"{'name':'far','port':443,'protocol':'HTTPS','hostname':'dup.example.com','tls':{'certificateRefs':"
		"[{'name':'a','namespace':'certs'}]}}]}}");
	struct findings fs;
	struct view v;

	(void)state;
	store_view(st, &v);
	findings_init(&fs, NULL);
	assert_int_equal(policy_check_gateway(s, &v, gw, &fs), 0);
	assert_true(findings_has_rule(&fs, "POL-INFRA-KEY"));
	assert_true(findings_has_rule(&fs, "POL-CERTMGR-LISTENER"));
	assert_true(findings_has_rule(&fs, "POL-DNS-OVERLAP"));
	assert_int_equal(fs.nerrors, 1); /* only the infrastructure key is an error */
	for (size_t i = 0; i < fs.n; i++) {
		if (strcmp(fs.v[i].rule, "POL-INFRA-KEY") == 0)
			assert_non_null(strstr(fs.v[i].message, "aws-load-balancer-scheme"));
		if (strcmp(fs.v[i].rule, "POL-CERTMGR-LISTENER") == 0)
			assert_true(strstr(fs.v[i].message, "nohost") != NULL || strstr(fs.v[i].message, "far") != NULL);
		if (strcmp(fs.v[i].rule, "POL-DNS-OVERLAP") == 0)
			assert_non_null(strstr(fs.v[i].message, "dup.example.com is also published for Gateway x/other"));
	}
	assert_int_equal(fs.nwarnings, 3); /* nohost, far's Secret, the overlap */
	findings_release(&fs);
	json_decref(gw);
	store_free(st);
	policy_set_free(s);
}


/* ---- malformed input: refused or handled, never a crash or a leak ---- */

static uint64_t rng = 7;

static uint32_t rnd(uint32_t n)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rng >> 33) % n;
}

static json_t *junk(void)
{
	switch (rnd(6)) {
	case 0: return json_null();
	case 1: return json_integer(7);
	case 2: return json_string("{{x}}");
	case 3: return json_array();
	case 4: return json_pack("{s:s}", "+(k)", "v");
	default: return json_object();
	}
}

/* Replace one random member somewhere in v by junk (or delete it). */
static void damage(json_t *v, int depth)
{
	const char *key;
	json_t *x;
	size_t n = json_is_object(v) ? json_object_size(v) : json_array_size(v), i = 0, pick;

	if (n == 0)
		return;
	pick = rnd((uint32_t)n);
	if (json_is_object(v)) {
		json_object_foreach(v, key, x) {
			if (i++ != pick)
				continue;
			if ((json_is_object(x) || json_is_array(x)) && rnd(3) != 0 && depth < 12)
				damage(x, depth + 1);
			else if (rnd(4) == 0)
				json_object_del(v, key);
			else
				json_object_set_new(v, key, junk());
			return;
		}
	} else {
		x = json_array_get(v, pick);
		if ((json_is_object(x) || json_is_array(x)) && rnd(3) != 0 && depth < 12)
			damage(x, depth + 1);
		else
			json_array_set_new(v, pick, junk());
	}
}

static void test_policy__malformed_documents_and_services(void **state)
{
	static const char *const seeds[] = {
		KYV("{'name':'r','match':{'all':[{'resources':{'kinds':['Service'],'names':['gw-*'],"
		    "'selector':{'matchExpressions':[{'key':'a','operator':'In','values':['b']}]}}}]},"
		    "'mutate':{'patchStrategicMerge':{'metadata':{'annotations':{'a':'b'},'labels':{'c':'d'}},"
		    "'spec':{'loadBalancerClass':'x'}}}}"),
		"{'apiVersion':'policy.gatewarden.io/v1alpha1','kind':'HostnameOwnership','metadata':{'name':'t'},"
		"'spec':{'exclusive':true,'owners':[{'name':'a','namespaces':['a'],'namespaceSelector':{'matchLabels':"
		"{'x':'y'}},'hostnames':['*.a.com']}]}}",
		NULL,
	};
	struct store *st = store_of(cluster);
	json_t *svc0 = testutil_json(SVC_CREATE);
	struct view v;
	int accepted = 0, refused_n = 0;

	(void)state;
	store_view(st, &v);
	for (int i = 0; i < 3000; i++) {
		const char *seed = i % 3 == 2 ? presets[0] : seeds[i % 2];
		json_t *doc = testutil_json(seed), *svc = json_deep_copy(svc0), *patch = NULL;
		struct policy_set *s = policy_set_new();
		struct findings fs;
		struct err e;
		int rc;

		for (uint32_t k = 1 + rnd(3); k > 0; k--)
			damage(doc, 0);
		damage(svc, 0);
		err_init(&e);
		rc = policy_set_add(s, doc, "fuzz.yaml", &e);
		assert_true(rc == 0 || rc == ERR_INVALID);
		if (rc == 0)
			accepted++;
		else
			refused_n++;
		findings_init(&fs, NULL);
		err_init(&e);
		rc = policy_service_patch(s, &v, svc, i % 2 ? svc : NULL, &patch, &fs, &e);
		assert_true(rc == 0 || rc == ERR_INVALID);
		if (rc == 0) {
			json_t *out = NULL;

			err_init(&e);
			assert_int_equal(jpatch_apply(svc, patch, &out, &e), 0);
			json_decref(out);
		}
		json_decref(patch);
		findings_release(&fs);
		policy_set_free(s);
		json_decref(doc);
		json_decref(svc);
	}
	print_message("%d accepted, %d refused\n", accepted, refused_n);
	/* both outcomes must have been exercised */
	assert_true(accepted > 30);
	assert_true(refused_n > 100);
	json_decref(svc0);
	store_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_service__create_gets_annotations_and_class),
		cmocka_unit_test(test_policy_service__key_too_long_for_a_path),
		cmocka_unit_test(test_policy_service__update_idempotent_and_restores),
		cmocka_unit_test(test_policy_service__update_never_changes_class),
		cmocka_unit_test(test_policy_service__not_loadbalancer_no_class),
		cmocka_unit_test(test_policy_service__gateway_missing_allowed_with_warning),
		cmocka_unit_test(test_policy_service__matched_by_labels_not_name),
		cmocka_unit_test(test_policy_service__owner_labels),
		cmocka_unit_test(test_policy_kyverno__real_policies_give_kyvernos_service),
		cmocka_unit_test(test_policy_service__patch_is_per_member),
		cmocka_unit_test(test_policy_service__memo_follows_the_view_and_the_policies),
		cmocka_unit_test(test_policy_kyverno__unsupported_features_named),
		cmocka_unit_test(test_policy_kyverno__match_wildcards_selectors_all),
		cmocka_unit_test(test_policy_native__errors),
		cmocka_unit_test(test_policy_load__shipped_presets_and_bad_files),
		cmocka_unit_test(test_policy_gateway__defaults),
		cmocka_unit_test(test_policy_check__hostname_ownership),
		cmocka_unit_test(test_policy_check__gateway_rules),
		cmocka_unit_test(test_policy__malformed_documents_and_services),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
