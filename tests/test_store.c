/* test_store: the in-memory cluster view: keys, scopes, indexes, namespace labels, scale. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "jv.h"
#include "kind.h"
#include "store.h"
#include "view.h"

#define GAPI "gateway.networking.k8s.io/v1"

/* ns may be NULL (no metadata.namespace); hosts (stolen) may be NULL. */
static json_t *route(const char *kind, const char *ns, const char *name, json_t *hosts)
{
	return json_pack("{s:s,s:s,s:{s:s,s:s?},s:{s:o?}}", "apiVersion", GAPI, "kind", kind,
			 "metadata", "name", name, "namespace", ns, "spec", "hostnames", hosts);
}

static json_t *obj(const char *api_version, const char *kind, const char *ns, const char *name)
{
	return json_pack("{s:s,s:s,s:{s:s,s:s?}}", "apiVersion", api_version, "kind", kind,
			 "metadata", "name", name, "namespace", ns);
}

/* Add and drop the caller's reference: the store keeps its own. */
static void add(struct store *s, json_t *o)
{
	struct err e;

	err_init(&e);
	assert_non_null(o);
	assert_int_equal(store_add(s, o, &e), 0);
	json_decref(o);
}

static const char *name_of(const json_t *o)
{
	return jv_str(jv_obj(o, "metadata"), "name");
}

static void test_store_add__get_and_replace(void **state)
{
	struct store *s = store_new();
	json_t *first = obj(GAPI, "Gateway", "infra", "gw");
	json_t *second = obj("gateway.networking.k8s.io/v1beta1", "Gateway", "infra", "gw");
	const json_t *const *list;
	struct view v;
	struct err e;

	(void)state;
	assert_non_null(s);
	store_view(s, &v);
	err_init(&e);
	assert_int_equal(store_add(s, first, &e), 0);
	assert_int_equal(first->refcount, 2);
	assert_ptr_equal(view_get(&v, KIND_GATEWAY, "infra", "gw"), first);
	assert_null(view_get(&v, KIND_GATEWAY, "other", "gw"));
	assert_null(view_get(&v, KIND_GATEWAY, "infra", "gw2"));
	assert_null(view_get(&v, KIND_HTTPROUTE, "infra", "gw"));

	/* the same kind/ns/name, another served version: the later one wins */
	assert_int_equal(store_add(s, second, &e), 0);
	assert_int_equal(first->refcount, 1);
	assert_ptr_equal(view_get(&v, KIND_GATEWAY, "infra", "gw"), second);
	assert_int_equal(store_count(s, KIND_GATEWAY), 1);
	assert_int_equal(view_list_kind(&v, KIND_GATEWAY, &list), 1);
	assert_ptr_equal(list[0], second);
	assert_int_equal(view_list_ns(&v, KIND_GATEWAY, "infra", &list), 1);
	assert_ptr_equal(list[0], second);

	store_free(s);
	assert_int_equal(second->refcount, 1);
	json_decref(first);
	json_decref(second);
}

static void test_store_add__namespaced_vs_cluster_scoped(void **state)
{
	struct store *s = store_new();
	struct view v;

	(void)state;
	store_view(s, &v);
	add(s, obj(GAPI, "GatewayClass", NULL, "cilium"));
	/* a namespace on a cluster-scoped object means nothing */
	add(s, obj(GAPI, "GatewayClass", "stray", "envoy"));
	add(s, obj("v1", "Namespace", NULL, "infra"));
	add(s, obj(GAPI, "Gateway", "infra", "gw"));

	assert_non_null(view_get(&v, KIND_GATEWAYCLASS, "", "cilium"));
	assert_non_null(view_get(&v, KIND_GATEWAYCLASS, "", "envoy"));
	assert_non_null(view_get(&v, KIND_GATEWAYCLASS, "anything", "envoy"));
	assert_non_null(view_get(&v, KIND_NAMESPACE, "", "infra"));
	assert_non_null(view_get(&v, KIND_GATEWAY, "infra", "gw"));
	assert_null(view_get(&v, KIND_GATEWAY, "", "gw"));
	assert_int_equal(store_count(s, KIND_GATEWAYCLASS), 2);
	assert_int_equal(store_count(s, KIND_NAMESPACE), 1);
	store_free(s);
}

static void test_store_add__default_namespace(void **state)
{
	struct store *s = store_new();
	const json_t *const *list;
	struct view v;

	(void)state;
	store_view(s, &v);
	add(s, obj("v1", "Service", NULL, "web"));
	add(s, obj("v1", "Service", "", "api"));
	assert_non_null(view_get(&v, KIND_SERVICE, "default", "web"));
	assert_non_null(view_get(&v, KIND_SERVICE, "default", "api"));
	assert_non_null(view_get(&v, KIND_SERVICE, NULL, "web"));
	assert_int_equal(view_list_ns(&v, KIND_SERVICE, "default", &list), 2);
	store_free(s);

	s = store_new();
	store_view(s, &v);
	assert_int_equal(store_set_default_namespace(s, "apps"), 0);
	add(s, obj("v1", "Service", NULL, "web"));
	assert_null(view_get(&v, KIND_SERVICE, "default", "web"));
	assert_non_null(view_get(&v, KIND_SERVICE, "apps", "web"));
	store_free(s);
}

static void test_store_add__ignores_non_tls_secret_and_other_kinds(void **state)
{
	struct store *s = store_new();
	json_t *opaque = json_pack("{s:s,s:s,s:s,s:{s:s,s:s}}", "apiVersion", "v1", "kind", "Secret",
				   "type", "Opaque", "metadata", "name", "db", "namespace", "infra");
	json_t *untyped = obj("v1", "Secret", "infra", "raw");
	json_t *cm = obj("v1", "ConfigMap", "infra", "cfg");
	json_t *istio = obj("networking.istio.io/v1", "Gateway", "infra", "gw");
	struct view v;
	struct err e;

	(void)state;
	store_view(s, &v);
	err_init(&e);
	assert_int_equal(store_add(s, opaque, &e), 0);
	assert_int_equal(store_add(s, untyped, &e), 0);
	assert_int_equal(store_add(s, cm, &e), 0);
	assert_int_equal(store_add(s, istio, &e), 0);
	assert_int_equal(store_add(s, NULL, &e), 0);
	assert_int_equal(e.code, ERR_OK);
	assert_int_equal(opaque->refcount, 1);
	assert_int_equal(istio->refcount, 1);
	assert_int_equal(store_count(s, KIND_SECRET), 0);
	assert_int_equal(store_count(s, KIND_GATEWAY), 0);
	assert_int_equal(store_count(s, KIND_OTHER), 0);
	add(s, json_pack("{s:s,s:s,s:s,s:{s:s,s:s}}", "apiVersion", "v1", "kind", "Secret",
			 "type", "kubernetes.io/tls", "metadata", "name", "cert", "namespace", "infra"));
	assert_int_equal(store_count(s, KIND_SECRET), 1);
	assert_non_null(view_get(&v, KIND_SECRET, "infra", "cert"));
	assert_null(view_get(&v, KIND_SECRET, "infra", "db"));
	json_decref(opaque);
	json_decref(untyped);
	json_decref(cm);
	json_decref(istio);
	store_free(s);
}

static void test_store_add__rejects_missing_name(void **state)
{
	struct store *s = store_new();
	json_t *o = json_pack("{s:s,s:s,s:{s:s}}", "apiVersion", GAPI, "kind", "HTTPRoute",
			      "metadata", "namespace", "apps");
	struct err e;

	(void)state;
	err_init(&e);
	assert_int_equal(store_add(s, o, &e), ERR_INVALID);
	assert_non_null(strstr(e.msg, "HTTPRoute"));
	assert_int_equal(store_count(s, KIND_HTTPROUTE), 0);
	assert_int_equal(o->refcount, 1);
	json_decref(o);
	store_free(s);
}

static void test_view_list_ns__per_namespace_in_add_order(void **state)
{
	struct store *s = store_new();
	const json_t *const *list;
	struct view v;

	(void)state;
	store_view(s, &v);
	add(s, obj("v1", "Service", "a", "s1"));
	add(s, obj("v1", "Service", "b", "s2"));
	add(s, obj("v1", "Service", "a", "s3"));
	add(s, obj("v1", "Service", "a", "s1")); /* replaced, keeps its place */
	assert_int_equal(view_list_ns(&v, KIND_SERVICE, "a", &list), 2);
	assert_string_equal(name_of(list[0]), "s1");
	assert_string_equal(name_of(list[1]), "s3");
	assert_int_equal(view_list_ns(&v, KIND_SERVICE, "b", &list), 1);
	assert_string_equal(name_of(list[0]), "s2");
	assert_int_equal(view_list_ns(&v, KIND_SERVICE, "c", &list), 0);
	assert_null(list);
	assert_int_equal(view_list_ns(&v, KIND_GATEWAY, "a", &list), 0);
	assert_int_equal(view_list_ns(&v, KIND_OTHER, "a", &list), 0);
	store_free(s);
}

static void test_view_list_kind__all_of_a_kind(void **state)
{
	struct store *s = store_new();
	const json_t *const *list;
	struct view v;

	(void)state;
	store_view(s, &v);
	add(s, obj("gateway.networking.k8s.io/v1beta1", "ReferenceGrant", "a", "rg1"));
	add(s, obj(GAPI, "ReferenceGrant", "b", "rg2"));
	add(s, obj(GAPI, "Gateway", "b", "gw"));
	assert_int_equal(view_list_kind(&v, KIND_REFERENCEGRANT, &list), 2);
	assert_string_equal(name_of(list[0]), "rg1");
	assert_string_equal(name_of(list[1]), "rg2");
	assert_int_equal(view_list_kind(&v, KIND_GATEWAY, &list), 1);
	assert_int_equal(view_list_kind(&v, KIND_HTTPROUTE, &list), 0);
	assert_null(list);
	assert_int_equal(view_list_kind(&v, KIND_MAX, &list), 0);
	store_free(s);
}

static void test_view_list_hostname__exact_and_star(void **state)
{
	struct store *s = store_new();
	const json_t *const *list;
	struct view v;

	(void)state;
	store_view(s, &v);
	add(s, route("HTTPRoute", "apps", "web", json_pack("[s,s]", "www.example.com", "*.example.com")));
	add(s, route("HTTPRoute", "apps", "api", json_pack("[s]", "api.example.com")));
	add(s, route("HTTPRoute", "apps", "catchall", NULL));
	add(s, route("HTTPRoute", "apps", "empty", json_array()));
	add(s, route("HTTPRoute", "apps", "dup", json_pack("[s,s,s]", "www.example.com", "x.example.com",
							       "www.example.com")));
	add(s, route("GRPCRoute", "apps", "grpc", json_pack("[s]", "www.example.com")));

	assert_int_equal(view_list_hostname(&v, KIND_HTTPROUTE, "www.example.com", &list), 2);
	assert_string_equal(name_of(list[0]), "web");
	assert_string_equal(name_of(list[1]), "dup");
	assert_int_equal(view_list_hostname(&v, KIND_HTTPROUTE, "*.example.com", &list), 1);
	assert_string_equal(name_of(list[0]), "web");
	assert_int_equal(view_list_hostname(&v, KIND_HTTPROUTE, "*", &list), 2);
	assert_string_equal(name_of(list[0]), "catchall");
	assert_string_equal(name_of(list[1]), "empty");
	assert_int_equal(view_list_hostname(&v, KIND_HTTPROUTE, NULL, &list), 2);
	assert_int_equal(view_list_hostname(&v, KIND_HTTPROUTE, "nope.example.com", &list), 0);
	assert_int_equal(view_list_hostname(&v, KIND_GRPCROUTE, "www.example.com", &list), 1);
	assert_string_equal(name_of(list[0]), "grpc");
	assert_int_equal(view_list_hostname(&v, KIND_GATEWAY, "www.example.com", &list), 0);
	store_free(s);
}

static void test_view_list_hostname__replace_moves_route(void **state)
{
	struct store *s = store_new();
	const json_t *const *list;
	json_t *web2;
	struct view v;

	(void)state;
	store_view(s, &v);
	add(s, route("HTTPRoute", "apps", "a", json_pack("[s]", "www.example.com")));
	add(s, route("HTTPRoute", "apps", "b", json_pack("[s]", "www.example.com")));
	add(s, route("HTTPRoute", "apps", "c", json_pack("[s]", "www.example.com")));
	/* same hostnames: the new version takes the old one's place */
	web2 = route("HTTPRoute", "apps", "a", json_pack("[s]", "www.example.com"));
	add(s, json_incref(web2));
	assert_int_equal(view_list_hostname(&v, KIND_HTTPROUTE, "www.example.com", &list), 3);
	assert_ptr_equal(list[0], web2);
	json_decref(web2);
	/* other hostnames: it leaves the old list and joins the new ones */
	add(s, route("HTTPRoute", "apps", "a", json_pack("[s,s]", "api.example.com", "new.example.com")));
	assert_int_equal(view_list_hostname(&v, KIND_HTTPROUTE, "www.example.com", &list), 2);
	assert_true((strcmp(name_of(list[0]), "b") == 0 && strcmp(name_of(list[1]), "c") == 0) ||
		    (strcmp(name_of(list[0]), "c") == 0 && strcmp(name_of(list[1]), "b") == 0));
	assert_int_equal(view_list_hostname(&v, KIND_HTTPROUTE, "api.example.com", &list), 1);
	assert_string_equal(name_of(list[0]), "a");
	assert_int_equal(view_list_hostname(&v, KIND_HTTPROUTE, "new.example.com", &list), 1);
	/* and the moved route ("c", now where "a" was) can itself move again */
	add(s, route("HTTPRoute", "apps", "c", NULL));
	assert_int_equal(view_list_hostname(&v, KIND_HTTPROUTE, "www.example.com", &list), 1);
	assert_string_equal(name_of(list[0]), "b");
	assert_int_equal(view_list_hostname(&v, KIND_HTTPROUTE, "*", &list), 1);
	assert_string_equal(name_of(list[0]), "c");
	assert_int_equal(store_count(s, KIND_HTTPROUTE), 3);
	store_free(s);
}

static void test_view_namespace_labels__defined_namespace(void **state)
{
	struct store *s = store_new();
	const json_t *lab, *again;
	struct view v;

	(void)state;
	store_view(s, &v);
	add(s, json_pack("{s:s,s:s,s:{s:s,s:{s:s,s:s}}}", "apiVersion", "v1", "kind", "Namespace",
			 "metadata", "name", "flux-system", "labels", "team", "platform",
			 "kubernetes.io/metadata.name", "spoofed"));
	lab = view_namespace_labels(&v, "flux-system");
	assert_non_null(lab);
	assert_int_equal(json_object_size(lab), 2);
	assert_string_equal(jv_str(lab, "team"), "platform");
	/* the API server's label wins over whatever the manifest says */
	assert_string_equal(jv_str(lab, "kubernetes.io/metadata.name"), "flux-system");
	again = view_namespace_labels(&v, "flux-system");
	assert_ptr_equal(lab, again);
	assert_null(view_namespace_labels(&v, ""));
	assert_null(view_namespace_labels(&v, NULL));
	store_free(s);
}

static void test_view_namespace_labels__undefined_namespace(void **state)
{
	struct store *s = store_new();
	const json_t *lab;
	struct view v;

	(void)state;
	store_view(s, &v);
	lab = view_namespace_labels(&v, "observability");
	assert_non_null(lab);
	assert_int_equal(json_object_size(lab), 1);
	assert_string_equal(jv_str(lab, "kubernetes.io/metadata.name"), "observability");
	/* defining it later shows its labels */
	add(s, json_pack("{s:s,s:s,s:{s:s,s:{s:s}}}", "apiVersion", "v1", "kind", "Namespace",
			 "metadata", "name", "observability", "labels", "shared-gateway-access", "true"));
	lab = view_namespace_labels(&v, "observability");
	assert_int_equal(json_object_size(lab), 2);
	assert_string_equal(jv_str(lab, "shared-gateway-access"), "true");
	store_free(s);
}

static void test_view_get__empty_view(void **state)
{
	struct view v = { NULL, NULL };
	const json_t *sentinel = NULL;
	const json_t *const *list = &sentinel;

	(void)state;
	assert_null(view_get(&v, KIND_GATEWAY, "a", "b"));
	assert_int_equal(view_list_ns(&v, KIND_GATEWAY, "a", &list), 0);
	assert_null(list);
	assert_int_equal(view_list_kind(&v, KIND_GATEWAY, &list), 0);
	assert_int_equal(view_list_hostname(&v, KIND_HTTPROUTE, "*", &list), 0);
	assert_null(view_namespace_labels(&v, "a"));
	store_free(NULL);
}

#define SCALE 100000

static void test_store_add__scale_100000_routes(void **state)
{
	struct store *s = store_new();
	const json_t *const *list;
	char ns[32], name[32], host[64];
	struct view v;

	(void)state;
	store_view(s, &v);
	for (int i = 0; i < SCALE; i++) {
		json_t *hosts = NULL;

		snprintf(ns, sizeof(ns), "ns-%d", i % 100);
		snprintf(name, sizeof(name), "route-%d", i);
		snprintf(host, sizeof(host), "host-%d.example.com", i % 1000);
		if (i % 10 != 0)
			hosts = json_pack("[s]", host);
		add(s, route("HTTPRoute", ns, name, hosts));
	}
	assert_int_equal(store_count(s, KIND_HTTPROUTE), SCALE);
	assert_int_equal(view_list_kind(&v, KIND_HTTPROUTE, &list), SCALE);
	assert_int_equal(view_list_ns(&v, KIND_HTTPROUTE, "ns-7", &list), SCALE / 100);
	assert_int_equal(view_list_hostname(&v, KIND_HTTPROUTE, "host-5.example.com", &list), SCALE / 1000);
	assert_int_equal(view_list_hostname(&v, KIND_HTTPROUTE, "*", &list), SCALE / 10);
	assert_non_null(view_get(&v, KIND_HTTPROUTE, "ns-42", "route-99942"));
	assert_null(view_get(&v, KIND_HTTPROUTE, "ns-43", "route-99942"));

	/* re-apply every route, half of them on a new hostname */
	for (int i = 0; i < SCALE; i++) {
		snprintf(ns, sizeof(ns), "ns-%d", i % 100);
		snprintf(name, sizeof(name), "route-%d", i);
		if (i % 2 == 0)
			snprintf(host, sizeof(host), "moved.example.com");
		else
			snprintf(host, sizeof(host), "host-%d.example.com", i % 1000);
		add(s, route("HTTPRoute", ns, name, json_pack("[s]", host)));
	}
	assert_int_equal(store_count(s, KIND_HTTPROUTE), SCALE);
	assert_int_equal(view_list_hostname(&v, KIND_HTTPROUTE, "moved.example.com", &list), SCALE / 2);
	assert_int_equal(view_list_hostname(&v, KIND_HTTPROUTE, "*", &list), 0);
	assert_int_equal(view_list_hostname(&v, KIND_HTTPROUTE, "host-5.example.com", &list), SCALE / 1000);
	assert_int_equal(view_list_hostname(&v, KIND_HTTPROUTE, "host-4.example.com", &list), 0);
	assert_int_equal(view_list_ns(&v, KIND_HTTPROUTE, "ns-7", &list), SCALE / 100);
	store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_add__get_and_replace),
		cmocka_unit_test(test_store_add__namespaced_vs_cluster_scoped),
		cmocka_unit_test(test_store_add__default_namespace),
		cmocka_unit_test(test_store_add__ignores_non_tls_secret_and_other_kinds),
		cmocka_unit_test(test_store_add__rejects_missing_name),
		cmocka_unit_test(test_view_list_ns__per_namespace_in_add_order),
		cmocka_unit_test(test_view_list_kind__all_of_a_kind),
		cmocka_unit_test(test_view_list_hostname__exact_and_star),
		cmocka_unit_test(test_view_list_hostname__replace_moves_route),
		cmocka_unit_test(test_view_namespace_labels__defined_namespace),
		cmocka_unit_test(test_view_namespace_labels__undefined_namespace),
		cmocka_unit_test(test_view_get__empty_view),
		cmocka_unit_test(test_store_add__scale_100000_routes),
	};

	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
