/* test_store_remove: store_remove keeps every index consistent (kind, namespace,
 * hostname, name lists, namespace labels) and costs O(1) per removal. */
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
#include "jv.h"
#include "kind.h"
#include "store.h"
#include "view.h"

#define GAPI "gateway.networking.k8s.io/v1"

static json_t *route(const char *ns, const char *name, const char *host)
{
	return json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:[s]}}", "apiVersion", GAPI, "kind", "HTTPRoute", "metadata",
			 "name", name, "namespace", ns, "spec", "hostnames", host);
}

static void add(struct store *s, json_t *o)
{
	struct err e;

	err_init(&e);
	assert_non_null(o);
	assert_int_equal(store_add(s, o, &e), 0);
	json_decref(o);
}

static bool listed(const json_t *const *l, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (jv_streq(jv_obj(l[i], "metadata"), "name", name))
			return true;
	return false;
}

static void test_store_remove__every_index(void **state)
{
	struct store *s = store_new();
	const json_t *const *l;
	struct view v;
	size_t n;

	(void)state;
	assert_non_null(s);
	store_view(s, &v);
	add(s, route("a", "r1", "x.example.com"));
	add(s, route("a", "r2", "x.example.com"));
	add(s, route("b", "r3", "x.example.com"));
	add(s, route("b", "r1", "y.example.com"));
	/* list_name index built before the removal must not survive it */
	assert_int_equal(view_list_name(&v, KIND_HTTPROUTE, "r1", &l), 2);

	assert_int_equal(store_remove(s, KIND_HTTPROUTE, "a", "r1"), 0);
	assert_null(view_get(&v, KIND_HTTPROUTE, "a", "r1"));
	assert_non_null(view_get(&v, KIND_HTTPROUTE, "b", "r1"));
	n = view_list_kind(&v, KIND_HTTPROUTE, &l);
	assert_int_equal(n, 3);
	assert_true(listed(l, n, "r2") && listed(l, n, "r3") && listed(l, n, "r1"));
	n = view_list_ns(&v, KIND_HTTPROUTE, "a", &l);
	assert_int_equal(n, 1);
	assert_true(listed(l, n, "r2"));
	n = view_list_hostname(&v, KIND_HTTPROUTE, "x.example.com", &l);
	assert_int_equal(n, 2);
	assert_true(listed(l, n, "r2") && listed(l, n, "r3"));
	assert_int_equal(view_list_name(&v, KIND_HTTPROUTE, "r1", &l), 1);
	assert_int_equal(store_count(s, KIND_HTTPROUTE), 3);

	/* the moved entries' positions were fixed: removing them works too */
	assert_int_equal(store_remove(s, KIND_HTTPROUTE, "b", "r3"), 0);
	assert_int_equal(store_remove(s, KIND_HTTPROUTE, "a", "r2"), 0);
	assert_int_equal(store_remove(s, KIND_HTTPROUTE, "b", "r1"), 0);
	assert_int_equal(view_list_kind(&v, KIND_HTTPROUTE, &l), 0);
	assert_int_equal(view_list_ns(&v, KIND_HTTPROUTE, "b", &l), 0);
	assert_int_equal(view_list_hostname(&v, KIND_HTTPROUTE, "x.example.com", &l), 0);
	assert_int_equal(view_list_hostname(&v, KIND_HTTPROUTE, "y.example.com", &l), 0);

	/* add after removal: a fresh entry everywhere */
	add(s, route("a", "r1", "z.example.com"));
	assert_int_equal(view_list_hostname(&v, KIND_HTTPROUTE, "z.example.com", &l), 1);
	assert_int_equal(view_list_ns(&v, KIND_HTTPROUTE, "a", &l), 1);
	store_free(s);
}

static void test_store_remove__missing_and_bad_kind(void **state)
{
	struct store *s = store_new();

	(void)state;
	assert_int_equal(store_remove(s, KIND_GATEWAY, "a", "none"), ERR_NOTFOUND);
	assert_int_equal(store_remove(s, KIND_OTHER, "a", "none"), ERR_NOTFOUND);
	assert_int_equal(store_remove(s, KIND_MAX, "a", "none"), ERR_NOTFOUND);
	assert_int_equal(store_remove(s, KIND_GATEWAY, "a", NULL), ERR_NOTFOUND);
	store_free(s);
}

static void test_store_remove__namespace_labels_refresh(void **state)
{
	struct store *s = store_new();
	struct view v;
	const json_t *labels;

	(void)state;
	store_view(s, &v);
	add(s, json_pack("{s:s,s:s,s:{s:s,s:{s:s}}}", "apiVersion", "v1", "kind", "Namespace", "metadata", "name",
			 "team", "labels", "env", "prod"));
	labels = view_namespace_labels(&v, "team");
	assert_string_equal(jv_str(labels, "env"), "prod");
	assert_int_equal(store_remove(s, KIND_NAMESPACE, NULL, "team"), 0);
	labels = view_namespace_labels(&v, "team");
	assert_null(jv_str(labels, "env"));
	assert_string_equal(jv_str(labels, "kubernetes.io/metadata.name"), "team");
	store_free(s);
}

/* Random adds and removes against a simple model: every list always matches it. */
static void test_store_remove__model(void **state)
{
	enum { N = 300, STEPS = 6000 };
	struct store *s = store_new();
	bool present[N] = { false };
	unsigned x = 12345;
	struct view v;

	(void)state;
	store_view(s, &v);
	for (int step = 0; step < STEPS; step++) {
		char name[16], ns[8], host[32];
		int i;

		x = x * 1103515245u + 12345u;
		i = (int)((x >> 8) % N);
		snprintf(name, sizeof(name), "r%d", i);
		snprintf(ns, sizeof(ns), "n%d", i % 7);
		snprintf(host, sizeof(host), "h%u.example.com", (x >> 20) % 5);
		if ((x >> 4) % 3 == 0 && present[i]) {
			assert_int_equal(store_remove(s, KIND_HTTPROUTE, ns, name), 0);
			present[i] = false;
		} else {
			add(s, route(ns, name, host));
			present[i] = true;
		}
	}
	size_t want = 0, hosts = 0;
	const json_t *const *l;

	for (int i = 0; i < N; i++)
		want += present[i];
	assert_int_equal(view_list_kind(&v, KIND_HTTPROUTE, &l), want);
	for (int h = 0; h < 5; h++) {
		char host[32];

		snprintf(host, sizeof(host), "h%d.example.com", h);
		hosts += view_list_hostname(&v, KIND_HTTPROUTE, host, &l);
	}
	assert_int_equal(hosts, want);
	size_t byns = 0;
	for (int k = 0; k < 7; k++) {
		char ns[8];

		snprintf(ns, sizeof(ns), "n%d", k);
		size_t n = view_list_ns(&v, KIND_HTTPROUTE, ns, &l);
		for (size_t j = 0; j < n; j++) {
			int idx = atoi(jv_str(jv_obj(l[j], "metadata"), "name") + 1);
			assert_true(present[idx]);
			assert_int_equal(idx % 7, k);
		}
		byns += n;
	}
	assert_int_equal(byns, want);
	store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_remove__every_index),
		cmocka_unit_test(test_store_remove__missing_and_bad_kind),
		cmocka_unit_test(test_store_remove__namespace_labels_refresh),
		cmocka_unit_test(test_store_remove__model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
