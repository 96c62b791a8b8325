/* test_store_compact: a store that keeps routes as text (store_set_compact_routes),
 * read through a store_reader, answers every view call exactly as a store of trees
 * does: the same objects (json_equal), in the same order, before and after
 * replacements and removals; whether routes were compact from the start or converted
 * after they were added. Plus what a reader promises beyond that: the same pointer for
 * the same object until the reset, a failed view that answers nothing, and an
 * evaluation on a failed view ending as out of memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "admit.h"
#include "err.h"
#include "findings.h"
#include "jv.h"
#include "kind.h"
#include "store.h"
#include "view.h"

static const char *const fixture[] = {
	"{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"a\",\"labels\":{\"team\":\"x\"}}}",
	"{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"svc\",\"namespace\":\"a\"},"
	"\"spec\":{\"ports\":[{\"port\":80}]}}",
	"{\"apiVersion\":\"gateway.networking.k8s.io/v1\",\"kind\":\"Gateway\",\"metadata\":{\"name\":\"gw1\","
	"\"namespace\":\"a\"},\"spec\":{\"gatewayClassName\":\"c\",\"listeners\":[{\"name\":\"https\","
	"\"port\":443,\"protocol\":\"HTTPS\",\"hostname\":\"*.example.com\"}]}}",
	"{\"apiVersion\":\"gateway.networking.k8s.io/v1\",\"kind\":\"Gateway\",\"metadata\":{\"name\":\"gw2\","
	"\"namespace\":\"b\"},\"spec\":{\"gatewayClassName\":\"c\",\"listeners\":[{\"name\":\"http\","
	"\"port\":80,\"protocol\":\"HTTP\"}]}}",
	"{\"apiVersion\":\"gateway.networking.k8s.io/v1\",\"kind\":\"HTTPRoute\",\"metadata\":{\"name\":\"r1\","
	"\"namespace\":\"a\",\"creationTimestamp\":\"2026-01-02T03:04:05Z\"},\"spec\":{\"parentRefs\":["
	"{\"name\":\"gw1\",\"sectionName\":\"https\",\"port\":443},{\"name\":\"gw2\",\"namespace\":\"b\"}],"
	"\"hostnames\":[\"x.example.com\",\"*.example.com\"],\"rules\":[{\"matches\":[{\"path\":{\"type\":"
	"\"PathPrefix\",\"value\":\"/\\u00e9t\\u00e9 \\\"q\\\"\"}}],\"backendRefs\":[{\"name\":\"svc\","
	"\"port\":80,\"weight\":1}]}]}}",
	"{\"apiVersion\":\"gateway.networking.k8s.io/v1\",\"kind\":\"HTTPRoute\",\"metadata\":{\"name\":\"r1\","
	"\"namespace\":\"b\"},\"spec\":{\"parentRefs\":[{\"name\":\"gw2\"}]}}",
	"{\"apiVersion\":\"gateway.networking.k8s.io/v1\",\"kind\":\"HTTPRoute\",\"metadata\":{\"name\":\"r2\","
	"\"namespace\":\"a\"},\"spec\":{\"parentRefs\":[{\"name\":\"gw1\"}],\"hostnames\":[\"x.example.com\"],"
	"\"rules\":[{\"matches\":[\"a canonical key kept as a string\"],\"timeouts\":null}],\"n\":1.5}}",
	"{\"apiVersion\":\"gateway.networking.k8s.io/v1\",\"kind\":\"GRPCRoute\",\"metadata\":{\"name\":\"g1\","
	"\"namespace\":\"a\"},\"spec\":{\"parentRefs\":[{\"name\":\"gw1\"}],\"hostnames\":[\"x.example.com\"]}}",
	"{\"apiVersion\":\"gateway.networking.k8s.io/v1alpha2\",\"kind\":\"TCPRoute\",\"metadata\":{\"name\":"
	"\"t1\",\"namespace\":\"a\"},\"spec\":{\"parentRefs\":[{\"name\":\"gw1\",\"sectionName\":\"tcp\"}],"
	"\"rules\":[{\"backendRefs\":[{\"name\":\"svc\",\"port\":80}]}]}}",
};
#define NFIXTURE (sizeof(fixture) / sizeof(fixture[0]))

static json_t *load(const char *text)
{
	json_error_t je;
	json_t *o = json_loads(text, 0, &je);

	if (o == NULL)
		fail_msg("fixture: %s", je.text);
	return o;
}

static void add_text(struct store *s, const char *text)
{
	json_t *o = load(text);
	struct err e;

	err_init(&e);
	assert_int_equal(store_add(s, o, &e), 0);
	json_decref(o);
}

static const enum kind kinds[] = { KIND_HTTPROUTE, KIND_GRPCROUTE, KIND_TCPROUTE, KIND_GATEWAY, KIND_SERVICE,
				   KIND_NAMESPACE };
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

static void same_list(const char *what, enum kind k, const json_t *const *want, size_t nwant,
		      const json_t *const *got, size_t ngot)
{
	if (nwant != ngot)
		fail_msg("%s %s: %zu objects, want %zu", kind_name(k), what, ngot, nwant);
	for (size_t i = 0; i < nwant; i++) {
		if (!json_equal((json_t *)want[i], (json_t *)got[i])) {
			char *a = json_dumps(want[i], JSON_COMPACT), *b = json_dumps(got[i], JSON_COMPACT);

			fail_msg("%s %s [%zu]: got %s\nwant %s", kind_name(k), what, i, b, a);
		}
	}
}

/* every view call of want (a store of trees) and got (a reader) answers the same */
static void same_answers(const struct view *want, const struct view *got)
{
	static const char *const hosts[] = { "x.example.com", "*.example.com", "*", NULL, "none.example.com" };
	static const char *const nss[] = { "a", "b", "c" };
	static const char *const names[] = { "r1", "r2", "g1", "t1", "gw1", "svc", "a", "missing" };
	const json_t *const *lw, *const *lg;
	size_t nw, ng;

	for (size_t ki = 0; ki < NKINDS; ki++) {
		enum kind k = kinds[ki];

		nw = view_list_kind(want, k, &lw);
		ng = view_list_kind(got, k, &lg);
		same_list("list_kind", k, lw, nw, lg, ng);
		for (size_t i = 0; i < sizeof(nss) / sizeof(nss[0]); i++) {
			nw = view_list_ns(want, k, nss[i], &lw);
			ng = view_list_ns(got, k, nss[i], &lg);
			same_list(nss[i], k, lw, nw, lg, ng);
			for (size_t j = 0; j < sizeof(names) / sizeof(names[0]); j++) {
				const json_t *w = view_get(want, k, nss[i], names[j]);
				const json_t *g = view_get(got, k, nss[i], names[j]);

				same_list(names[j], k, &w, w != NULL, &g, g != NULL);
			}
		}
		for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
			nw = view_list_hostname(want, k, hosts[i], &lw);
			ng = view_list_hostname(got, k, hosts[i], &lg);
			same_list(hosts[i] ? hosts[i] : "(no hostname)", k, lw, nw, lg, ng);
		}
		nw = view_list_parent(want, k, "a", "gw1", &lw);
		ng = view_list_parent(got, k, "a", "gw1", &lg);
		same_list("parent a/gw1", k, lw, nw, lg, ng);
		nw = view_list_parent(want, k, "b", "gw2", &lw);
		ng = view_list_parent(got, k, "b", "gw2", &lg);
		same_list("parent b/gw2", k, lw, nw, lg, ng);
		for (size_t j = 0; j < sizeof(names) / sizeof(names[0]); j++) {
			nw = view_list_name(want, k, names[j], &lw);
			ng = view_list_name(got, k, names[j], &lg);
			same_list(names[j], k, lw, nw, lg, ng);
		}
	}
	assert_true(json_equal((json_t *)view_namespace_labels(want, "a"), (json_t *)view_namespace_labels(got, "a")));
	assert_false(view_failed(got));
}

/* the trees, the compact store and the store converted after its adds, in step */
struct trio {
	struct store *trees, *compact, *converted;
	struct store_reader *rc, *rv;
};

static void trio_init(struct trio *t)
{
	t->trees = store_new();
	t->compact = store_new();
	t->converted = store_new();
	assert_non_null(t->trees);
	assert_non_null(t->compact);
	assert_non_null(t->converted);
	assert_int_equal(store_set_compact_routes(t->compact), 0);
	for (size_t i = 0; i < NFIXTURE; i++) {
		add_text(t->trees, fixture[i]);
		add_text(t->compact, fixture[i]);
		add_text(t->converted, fixture[i]);
	}
	assert_false(store_keeps_text(t->converted, KIND_HTTPROUTE));
	assert_int_equal(store_set_compact_routes(t->converted), 0);
	assert_true(store_keeps_text(t->converted, KIND_HTTPROUTE));
	assert_false(store_keeps_text(t->converted, KIND_GATEWAY));
	t->rc = store_reader_new(t->compact);
	t->rv = store_reader_new(t->converted);
	assert_non_null(t->rc);
	assert_non_null(t->rv);
}

static void trio_check(struct trio *t)
{
	struct view w, g;

	store_view(t->trees, &w);
	store_reader_view(t->rc, &g);
	same_answers(&w, &g);
	store_reader_reset(t->rc);
	store_reader_view(t->rv, &g);
	same_answers(&w, &g);
	store_reader_reset(t->rv);
}

static void trio_add(struct trio *t, const char *text)
{
	add_text(t->trees, text);
	add_text(t->compact, text);
	add_text(t->converted, text);
}

static void trio_remove(struct trio *t, enum kind k, const char *ns, const char *name)
{
	assert_int_equal(store_remove(t->trees, k, ns, name), 0);
	assert_int_equal(store_remove(t->compact, k, ns, name), 0);
	assert_int_equal(store_remove(t->converted, k, ns, name), 0);
}

static void trio_free(struct trio *t)
{
	store_reader_free(t->rc);
	store_reader_free(t->rv);
	store_free(t->trees);
	store_free(t->compact);
	store_free(t->converted);
}

static void test_store_compact__same_answers(void **state)
{
	struct trio t;

	(void)state;
	trio_init(&t);
	trio_check(&t);
	/* a replacement that moves r1 of b to other hostnames and parents */
	trio_add(&t, "{\"apiVersion\":\"gateway.networking.k8s.io/v1\",\"kind\":\"HTTPRoute\",\"metadata\":"
		     "{\"name\":\"r1\",\"namespace\":\"b\"},\"spec\":{\"parentRefs\":[{\"name\":\"gw1\","
		     "\"namespace\":\"a\"}],\"hostnames\":[\"*.example.com\"]}}");
	trio_check(&t);
	/* a replacement that keeps its places */
	trio_add(&t, "{\"apiVersion\":\"gateway.networking.k8s.io/v1\",\"kind\":\"HTTPRoute\",\"metadata\":"
		     "{\"name\":\"r2\",\"namespace\":\"a\",\"resourceVersion\":\"7\"},\"spec\":{\"parentRefs\":"
		     "[{\"name\":\"gw1\"}],\"hostnames\":[\"x.example.com\"]}}");
	trio_check(&t);
	trio_remove(&t, KIND_HTTPROUTE, "a", "r1");
	trio_remove(&t, KIND_GATEWAY, "b", "gw2");
	trio_check(&t);
	trio_free(&t);
}

/* A reader hands out one object per route until its reset; the store's own view of a
 * compact store has no routes; the generation is the store's. */
static void test_store_compact__reader(void **state)
{
	struct store *s = store_new();
	struct store_reader *r;
	const json_t *const *l;
	const json_t *a, *b;
	struct view sv, rv;

	(void)state;
	assert_non_null(s);
	assert_int_equal(store_set_compact_routes(s), 0);
	for (size_t i = 0; i < NFIXTURE; i++)
		add_text(s, fixture[i]);
	r = store_reader_new(s);
	assert_non_null(r);
	store_reader_view(r, &rv);
	store_view(s, &sv);

	a = view_get(&rv, KIND_HTTPROUTE, "a", "r2");
	assert_non_null(a);
	assert_ptr_equal(view_get(&rv, KIND_HTTPROUTE, "a", "r2"), a);
	assert_int_equal(view_list_hostname(&rv, KIND_HTTPROUTE, "x.example.com", &l), 2);
	assert_true(l[0] == a || l[1] == a);
	/* a real without fraction is the one value the text changes: 1.5 stays a real */
	assert_true(json_is_real(json_object_get(jv_obj(a, "spec"), "n")));

	/* non-route kinds are the store's own trees */
	assert_ptr_equal(view_get(&rv, KIND_GATEWAY, "a", "gw1"), view_get(&sv, KIND_GATEWAY, "a", "gw1"));
	/* the store's own view holds no compact routes */
	assert_null(view_get(&sv, KIND_HTTPROUTE, "a", "r2"));
	assert_int_equal(view_list_kind(&sv, KIND_HTTPROUTE, &l), 0);
	assert_int_equal(view_list_name(&sv, KIND_HTTPROUTE, "r1", &l), 0);
	assert_int_equal(view_list_kind(&sv, KIND_GATEWAY, &l), 2);
	assert_true(view_generation(&rv) != 0);
	assert_true(view_generation(&rv) == view_generation(&sv));

	/* after the reset the route is parsed again, equal */
	json_incref((json_t *)a);
	store_reader_reset(r);
	b = view_get(&rv, KIND_HTTPROUTE, "a", "r2");
	assert_non_null(b);
	assert_true(json_equal((json_t *)a, (json_t *)b));
	json_decref((json_t *)a);

	store_reader_free(r);
	store_free(s);
}

/* The view of a reader that could not be made answers nothing and has failed, and an
 * evaluation on it is out of memory rather than an allow. */
static void test_store_compact__failed_view(void **state)
{
	struct admit_opts o = { .now = 1 };
	struct findings fs;
	const json_t *const *l;
	struct view v;
	json_t *route = load(fixture[4]);
	enum kind k;

	(void)state;
	store_reader_view(NULL, &v);
	assert_true(view_failed(&v));
	assert_null(view_get(&v, KIND_GATEWAY, "a", "gw1"));
	assert_int_equal(view_list_kind(&v, KIND_HTTPROUTE, &l), 0);
	assert_int_equal(view_list_parent(&v, KIND_HTTPROUTE, "a", "gw1", &l), 0);
	assert_null(view_namespace_labels(&v, "a"));

	findings_init(&fs, NULL);
	assert_int_equal(admit_single(route, &fs, &k), 0);
	assert_int_equal(k, KIND_HTTPROUTE);
	assert_int_equal(admit_cross(&v, route, k, &o, &fs), ERR_NOMEM);
	findings_release(&fs);
	json_decref(route);
}

/* A route too deep to be written as text is refused with ERR_LIMIT and a message, and
 * the store keeps what it had (here: the earlier version of the same route). */
static void test_store_compact__too_deep(void **state)
{
	struct store *s = store_new();
	struct store_reader *r;
	json_t *route = load(fixture[6]), *deep = json_object(), *at = deep;
	const json_t *const *l;
	const json_t *got;
	struct view v;
	struct err e;

	(void)state;
	assert_non_null(s);
	assert_int_equal(store_set_compact_routes(s), 0);
	add_text(s, fixture[6]);
	for (int i = 0; i < 600; i++) {
		json_t *next = json_object();

		json_object_set_new(at, "x", next);
		at = next;
	}
	json_object_set_new(json_array_get(jv_arr(jv_obj(route, "spec"), "parentRefs"), 0), "junk", deep);
	json_object_set_new(jv_obj(route, "metadata"), "resourceVersion", json_string("2"));
	err_init(&e);
	assert_int_equal(store_add(s, route, &e), ERR_LIMIT);
	assert_non_null(strstr(e.msg, "deeper than 512 levels"));
	assert_int_equal(store_count(s, KIND_HTTPROUTE), 1);
	r = store_reader_new(s);
	assert_non_null(r);
	store_reader_view(r, &v);
	got = view_get(&v, KIND_HTTPROUTE, "a", "r2");
	assert_non_null(got);
	assert_null(jv_str(jv_obj(got, "metadata"), "resourceVersion"));
	assert_false(view_failed(&v));
	store_reader_free(r);

	/* added to a store of trees, then converted: it stays a tree, the rest is text */
	store_free(s);
	s = store_new();
	assert_non_null(s);
	add_text(s, fixture[5]);
	assert_int_equal(store_add(s, route, &e), 0);
	assert_int_equal(store_set_compact_routes(s), 0);
	r = store_reader_new(s);
	assert_non_null(r);
	store_reader_view(r, &v);
	got = view_get(&v, KIND_HTTPROUTE, "a", "r2");
	assert_non_null(got);
	assert_true(json_equal((json_t *)got, route));
	assert_non_null(view_get(&v, KIND_HTTPROUTE, "b", "r1"));
	assert_int_equal(view_list_kind(&v, KIND_HTTPROUTE, &l), 2);
	assert_false(view_failed(&v));
	store_reader_free(r);
	json_decref(route);
	store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_compact__same_answers),
		cmocka_unit_test(test_store_compact__reader),
		cmocka_unit_test(test_store_compact__failed_view),
		cmocka_unit_test(test_store_compact__too_deep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
