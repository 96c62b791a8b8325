/* test_store_parent: the routes-by-parent-Gateway lookup (view list_parent) of the
 * store (add, replace, remove, namespace defaulting, duplicates, ignored refs) and of
 * the overlay. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "jv.h"
#include "kind.h"
#include "overlay.h"
#include "store.h"
#include "testutil.h"
#include "view.h"

#define GAPI_GROUP "gateway.networking.k8s.io"

/* A route of kind in ns (NULL: no metadata.namespace) with the parentRefs refs
 * (stolen; NULL: none). */
static json_t *route(const char *kind, const char *ns, const char *name, json_t *refs)
{
	json_t *r = json_pack("{s:s,s:s,s:{s:s,s:s?},s:{s:o?}}", "apiVersion", GAPI_GROUP "/v1", "kind", kind,
			      "metadata", "name", name, "namespace", ns, "spec", "parentRefs", refs);

	assert_non_null(r);
	return r;
}

static void add(struct store *s, json_t *o)
{
	struct err e;

	err_init(&e);
	assert_non_null(o);
	assert_int_equal(store_add(s, o, &e), 0);
	json_decref(o);
}

static size_t count_named(const json_t *const *l, size_t n, const char *name)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		if (jv_streq(jv_obj(l[i], "metadata"), "name", name))
			c++;
	return c;
}

static void test_list_parent__refs_namespaces_and_kinds(void **state)
{
	struct store *s = store_new();
	const json_t *const *l;
	struct view v;
	size_t n;

	(void)state;
	assert_non_null(s);
	store_view(s, &v);
	add(s, json_pack("{s:s,s:s,s:{s:s,s:s}}", "apiVersion", GAPI_GROUP "/v1", "kind", "Gateway", "metadata",
			 "name", "gw", "namespace", "infra"));
	/* namespace unset: the route's own */
	add(s, route("HTTPRoute", "infra", "same-ns", testutil_json("[{'name':'gw'}]")));
	add(s, route("HTTPRoute", "apps", "cross-ns", testutil_json("[{'name':'gw','namespace':'infra'}]")));
	add(s, route("HTTPRoute", "apps", "own-ns", testutil_json("[{'name':'gw'}]")));
	add(s, route("HTTPRoute", "apps", "explicit",
		     testutil_json("[{'group':'gateway.networking.k8s.io','kind':'Gateway','name':'gw',"
				   "'namespace':'infra'}]")));
	/* the same Gateway twice (two listeners): listed once */
	add(s, route("HTTPRoute", "infra", "twice",
		     testutil_json("[{'name':'gw','sectionName':'http'},{'name':'gw','sectionName':'https'},"
				   "{'name':'gw','namespace':'infra'}]")));
	/* not a Gateway: another group, another kind (a mesh Service), no name */
	add(s, route("HTTPRoute", "infra", "other-group", testutil_json("[{'group':'example.com','name':'gw'}]")));
	add(s, route("HTTPRoute", "infra", "service", testutil_json("[{'group':'','kind':'Service','name':'gw'}]")));
	add(s, route("HTTPRoute", "infra", "no-name", testutil_json("[{'namespace':'infra'}]")));
	add(s, route("HTTPRoute", "infra", "no-refs", NULL));
	add(s, route("GRPCRoute", "infra", "grpc", testutil_json("[{'name':'gw'}]")));
	add(s, route("TCPRoute", "apps", "tcp", testutil_json("[{'name':'gw','namespace':'infra'}]")));

	n = view_list_parent(&v, KIND_HTTPROUTE, "infra", "gw", &l);
	assert_int_equal(n, 4);
	assert_int_equal(count_named(l, n, "same-ns"), 1);
	assert_int_equal(count_named(l, n, "cross-ns"), 1);
	assert_int_equal(count_named(l, n, "explicit"), 1);
	assert_int_equal(count_named(l, n, "twice"), 1);
	n = view_list_parent(&v, KIND_HTTPROUTE, "apps", "gw", &l);
	assert_int_equal(n, 1);
	assert_int_equal(count_named(l, n, "own-ns"), 1);
	assert_int_equal(view_list_parent(&v, KIND_GRPCROUTE, "infra", "gw", &l), 1);
	assert_int_equal(view_list_parent(&v, KIND_TCPROUTE, "infra", "gw", &l), 1);
	assert_int_equal(view_list_parent(&v, KIND_UDPROUTE, "infra", "gw", &l), 0);
	assert_null(l);
	/* not routes: no parent index */
	assert_int_equal(view_list_parent(&v, KIND_GATEWAY, "infra", "gw", &l), 0);
	assert_int_equal(view_list_parent(&v, KIND_HTTPROUTE, "infra", "nope", &l), 0);
	assert_int_equal(view_list_parent(&v, KIND_HTTPROUTE, "infra", NULL, &l), 0);
	/* the lookup's namespace is normalised: NULL and "" are the default namespace */
	assert_int_equal(view_list_parent(&v, KIND_HTTPROUTE, NULL, "gw", &l), 0);
	store_free(s);
}

static void test_list_parent__default_namespace(void **state)
{
	struct store *s = store_new();
	const json_t *const *l;
	struct view v;
	size_t n;

	(void)state;
	assert_non_null(s);
	assert_int_equal(store_set_default_namespace(s, "apps"), 0);
	store_view(s, &v);
	/* no metadata.namespace: the route is in the default namespace, and so is its
	 * parent when the parentRef names none */
	add(s, route("HTTPRoute", NULL, "r1", testutil_json("[{'name':'gw'}]")));
	add(s, route("HTTPRoute", NULL, "r2", testutil_json("[{'name':'gw','namespace':''}]")));
	add(s, route("HTTPRoute", NULL, "r3", testutil_json("[{'name':'gw','namespace':'infra'}]")));
	n = view_list_parent(&v, KIND_HTTPROUTE, "apps", "gw", &l);
	assert_int_equal(n, 2);
	assert_int_equal(count_named(l, n, "r1"), 1);
	assert_int_equal(count_named(l, n, "r2"), 1);
	assert_int_equal(view_list_parent(&v, KIND_HTTPROUTE, NULL, "gw", &l), 2);
	assert_int_equal(view_list_parent(&v, KIND_HTTPROUTE, "", "gw", &l), 2);
	assert_int_equal(view_list_parent(&v, KIND_HTTPROUTE, "default", "gw", &l), 0);
	n = view_list_parent(&v, KIND_HTTPROUTE, "infra", "gw", &l);
	assert_int_equal(n, 1);
	assert_int_equal(count_named(l, n, "r3"), 1);
	store_free(s);
}

static void test_list_parent__replace_and_remove(void **state)
{
	struct store *s = store_new();
	const json_t *const *l;
	json_t *r2;
	struct view v;
	size_t n;

	(void)state;
	assert_non_null(s);
	store_view(s, &v);
	add(s, route("HTTPRoute", "a", "r1", testutil_json("[{'name':'gw'}]")));
	add(s, route("HTTPRoute", "a", "r2", testutil_json("[{'name':'gw'},{'name':'other'}]")));
	add(s, route("HTTPRoute", "a", "r3", testutil_json("[{'name':'gw'}]")));
	assert_int_equal(view_list_parent(&v, KIND_HTTPROUTE, "a", "gw", &l), 3);
	assert_int_equal(view_list_parent(&v, KIND_HTTPROUTE, "a", "other", &l), 1);

	/* same parents: the list holds the new object in the old place */
	r2 = route("HTTPRoute", "a", "r2", testutil_json("[{'name':'gw'},{'name':'other'}]"));
	json_incref(r2);
	add(s, r2);
	n = view_list_parent(&v, KIND_HTTPROUTE, "a", "gw", &l);
	assert_int_equal(n, 3);
	assert_ptr_equal(l[1], r2);
	assert_int_equal(view_list_parent(&v, KIND_HTTPROUTE, "a", "other", &l), 1);
	assert_ptr_equal(l[0], r2);
	json_decref(r2);

	/* the old parents are dropped, the new ones gained */
	add(s, route("HTTPRoute", "a", "r1", testutil_json("[{'name':'other'},{'name':'third'}]")));
	n = view_list_parent(&v, KIND_HTTPROUTE, "a", "gw", &l);
	assert_int_equal(n, 2);
	assert_int_equal(count_named(l, n, "r1"), 0);
	n = view_list_parent(&v, KIND_HTTPROUTE, "a", "other", &l);
	assert_int_equal(n, 2);
	assert_int_equal(count_named(l, n, "r1"), 1);
	assert_int_equal(view_list_parent(&v, KIND_HTTPROUTE, "a", "third", &l), 1);

	/* no parents any more */
	add(s, route("HTTPRoute", "a", "r2", NULL));
	assert_int_equal(view_list_parent(&v, KIND_HTTPROUTE, "a", "other", &l), 1);
	n = view_list_parent(&v, KIND_HTTPROUTE, "a", "gw", &l);
	assert_int_equal(n, 1);
	assert_int_equal(count_named(l, n, "r3"), 1);

	/* removal, including of the route that moved into a removed one's place */
	add(s, route("HTTPRoute", "a", "r4", testutil_json("[{'name':'gw'}]")));
	add(s, route("HTTPRoute", "a", "r5", testutil_json("[{'name':'gw'}]")));
	assert_int_equal(store_remove(s, KIND_HTTPROUTE, "a", "r3"), 0);
	n = view_list_parent(&v, KIND_HTTPROUTE, "a", "gw", &l);
	assert_int_equal(n, 2);
	assert_int_equal(count_named(l, n, "r3"), 0);
	assert_int_equal(store_remove(s, KIND_HTTPROUTE, "a", "r5"), 0);
	n = view_list_parent(&v, KIND_HTTPROUTE, "a", "gw", &l);
	assert_int_equal(n, 1);
	assert_int_equal(count_named(l, n, "r4"), 1);
	assert_int_equal(store_remove(s, KIND_HTTPROUTE, "a", "r1"), 0);
	assert_int_equal(view_list_parent(&v, KIND_HTTPROUTE, "a", "other", &l), 0);
	assert_int_equal(view_list_parent(&v, KIND_HTTPROUTE, "a", "third", &l), 0);
	assert_int_equal(store_remove(s, KIND_HTTPROUTE, "a", "r4"), 0);
	assert_int_equal(view_list_parent(&v, KIND_HTTPROUTE, "a", "gw", &l), 0);
	assert_null(l);
	store_free(s);
}

/* Does route r name Gateway gns/gname (the rule of view.h, computed directly)? */
static bool names(const json_t *r, const char *gns, const char *gname)
{
	const char *rns = jv_str(jv_obj(r, "metadata"), "namespace");
	const json_t *p;
	size_t i;

	json_array_foreach(jv_arr(jv_obj(r, "spec"), "parentRefs"), i, p) {
		const char *g = jv_str(p, "group"), *k = jv_str(p, "kind"), *ns = jv_str(p, "namespace");

		if ((g == NULL || strcmp(g, GAPI_GROUP) == 0) && (k == NULL || strcmp(k, "Gateway") == 0) &&
		    jv_streq(p, "name", gname) && strcmp(ns != NULL ? ns : rns, gns) == 0)
			return true;
	}
	return false;
}

/* Random adds, replacements and removes: every list_parent always equals a scan. */
static void test_list_parent__model(void **state)
{
	enum { N = 200, STEPS = 5000, GWS = 4, NSS = 3 };
	static const char *const gws[GWS] = { "g0", "g1", "g2", "g3" };
	static const char *const nss[NSS] = { "n0", "n1", "n2" };
	struct store *s = store_new();
	unsigned x = 4242;
	struct view v;

	(void)state;
	assert_non_null(s);
	store_view(s, &v);
	for (int step = 0; step < STEPS; step++) {
		char name[16];
		int i, nrefs;
		json_t *refs;

		x = x * 1103515245u + 12345u;
		i = (int)((x >> 8) % N);
		snprintf(name, sizeof(name), "r%d", i);
		if ((x >> 4) % 4 == 0) {
			int rc = store_remove(s, KIND_HTTPROUTE, nss[i % NSS], name);

			assert_true(rc == 0 || rc == ERR_NOTFOUND);
			continue;
		}
		refs = json_array();
		nrefs = (int)((x >> 12) % 4);
		for (int j = 0; j < nrefs; j++) {
			unsigned y = x >> (14 + 3 * j);
			json_t *ref = json_pack("{s:s}", "name", gws[y % GWS]);

			if (y / GWS % 2)
				json_object_set_new(ref, "namespace", json_string(nss[y / GWS / 2 % NSS]));
			if (y / 32 % 5 == 0)
				json_object_set_new(ref, "kind", json_string("Service"));
			json_array_append_new(refs, ref);
		}
		add(s, route("HTTPRoute", nss[i % NSS], name, refs));

		if (step % 97 != 0 && step != STEPS - 1)
			continue;
		const json_t *const *all, *const *l;
		size_t nall = view_list_kind(&v, KIND_HTTPROUTE, &all);

		for (int g = 0; g < GWS; g++) {
			for (int ns = 0; ns < NSS; ns++) {
				size_t want = 0, n = view_list_parent(&v, KIND_HTTPROUTE, nss[ns], gws[g], &l);

				for (size_t k = 0; k < nall; k++)
					want += names(all[k], nss[ns], gws[g]);
				assert_int_equal(n, want);
				for (size_t k = 0; k < n; k++) {
					assert_true(names(l[k], nss[ns], gws[g]));
					assert_int_equal(count_named(l, n, jv_str(jv_obj(l[k], "metadata"), "name")), 1);
				}
			}
		}
	}
	store_free(s);
}

static void test_overlay_list_parent__update_create_and_other_kinds(void **state)
{
	struct store *s = store_new();
	const json_t *const *l, *const *base;
	json_t *upd, *created, *gw;
	struct overlay o;
	struct view v, ov;
	size_t n;

	(void)state;
	assert_non_null(s);
	store_view(s, &v);
	add(s, route("HTTPRoute", "a", "r1", testutil_json("[{'name':'gw'}]")));
	add(s, route("HTTPRoute", "a", "r2", testutil_json("[{'name':'other'}]")));
	add(s, route("HTTPRoute", "a", "r3", testutil_json("[{'name':'gw'},{'name':'other'}]")));

	/* an UPDATE that moves r2 onto gw: listed there (the overlay's object), not on other */
	upd = route("HTTPRoute", "a", "r2", testutil_json("[{'name':'gw','namespace':'a'}]"));
	overlay_init(&o, &v, KIND_HTTPROUTE, upd);
	overlay_view(&o, &ov);
	n = view_list_parent(&ov, KIND_HTTPROUTE, "a", "gw", &l);
	assert_int_equal(n, 3);
	assert_int_equal(count_named(l, n, "r2"), 1);
	for (size_t i = 0; i < n; i++)
		if (jv_streq(jv_obj(l[i], "metadata"), "name", "r2"))
			assert_ptr_equal(l[i], upd);
	n = view_list_parent(&ov, KIND_HTTPROUTE, "a", "other", &l);
	assert_int_equal(n, 1);
	assert_int_equal(count_named(l, n, "r3"), 1);
	/* NULL is the default namespace */
	assert_int_equal(view_list_parent(&ov, KIND_HTTPROUTE, NULL, "gw", &l), 0);
	/* another route kind: the base's own array */
	n = view_list_parent(&ov, KIND_GRPCROUTE, "a", "gw", &l);
	assert_int_equal(n, view_list_parent(&v, KIND_GRPCROUTE, "a", "gw", &base));
	assert_ptr_equal(l, base);
	assert_false(o.nomem);
	overlay_release(&o);
	json_decref(upd);

	/* an UPDATE that drops r1's parent */
	upd = route("HTTPRoute", "a", "r1", NULL);
	overlay_init(&o, &v, KIND_HTTPROUTE, upd);
	overlay_view(&o, &ov);
	n = view_list_parent(&ov, KIND_HTTPROUTE, "a", "gw", &l);
	assert_int_equal(n, 1);
	assert_int_equal(count_named(l, n, "r1"), 0);
	overlay_release(&o);
	json_decref(upd);

	/* a CREATE naming gw twice: joins once */
	created = route("HTTPRoute", "a", "r4", testutil_json("[{'name':'gw'},{'name':'gw','sectionName':'x'}]"));
	overlay_init(&o, &v, KIND_HTTPROUTE, created);
	overlay_view(&o, &ov);
	n = view_list_parent(&ov, KIND_HTTPROUTE, "a", "gw", &l);
	assert_int_equal(n, 3);
	assert_int_equal(count_named(l, n, "r4"), 1);
	assert_int_equal(view_list_parent(&ov, KIND_HTTPROUTE, "a", "other", &l), 2);
	overlay_release(&o);
	json_decref(created);
	/* a Service parent or another group is not a Gateway */
	created = route("HTTPRoute", "a", "r5",
			testutil_json("[{'kind':'Service','name':'gw'},{'group':'example.com','name':'gw'}]"));
	overlay_init(&o, &v, KIND_HTTPROUTE, created);
	overlay_view(&o, &ov);
	assert_int_equal(view_list_parent(&ov, KIND_HTTPROUTE, "a", "gw", &l), 2);
	overlay_release(&o);
	json_decref(created);

	/* a Gateway overlaid: the route lists are the base's */
	gw = json_pack("{s:s,s:s,s:{s:s,s:s}}", "apiVersion", GAPI_GROUP "/v1", "kind", "Gateway", "metadata",
		       "name", "gw", "namespace", "a");
	overlay_init(&o, &v, KIND_GATEWAY, gw);
	overlay_view(&o, &ov);
	n = view_list_parent(&ov, KIND_HTTPROUTE, "a", "gw", &l);
	assert_int_equal(n, view_list_parent(&v, KIND_HTTPROUTE, "a", "gw", &base));
	assert_ptr_equal(l, base);
	assert_int_equal(view_list_parent(&ov, KIND_GATEWAY, "a", "gw", &l), 0);
	overlay_release(&o);
	json_decref(gw);
	store_free(s);
}

static void test_list_parent__empty_view(void **state)
{
	struct view v = { NULL, NULL };
	const json_t *const *l = (const json_t *const *)&v;

	(void)state;
	assert_int_equal(view_list_parent(&v, KIND_HTTPROUTE, "a", "gw", &l), 0);
	assert_null(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_parent__refs_namespaces_and_kinds),
		cmocka_unit_test(test_list_parent__default_namespace),
		cmocka_unit_test(test_list_parent__replace_and_remove),
		cmocka_unit_test(test_list_parent__model),
		cmocka_unit_test(test_overlay_list_parent__update_create_and_other_kinds),
		cmocka_unit_test(test_list_parent__empty_view),
	};

	return cmocka_run_group_tests_name("store_parent", tests, NULL, NULL);
}
