/* test_store_nomem: a store_add that runs out of memory leaves every index as it was
 * (store.h's promise), whichever of its allocations fails: a new route whose hostnames
 * need new lists, a second route on a hostname (its list grows out of the slot it
 * starts with), and a replacement that changes hostnames and parents. The store's own
 * malloc, calloc and realloc calls are wrapped (-Wl,--wrap, see CMakeLists.txt); the
 * n-th one from the start of the add fails, for every n until the add succeeds. */
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

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t sz);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t sz);
void *__wrap_realloc(void *p, size_t n);

static long fail_in = -1; /* allocations left before one fails; -1: none fails */

static bool fail_now(void)
{
	if (fail_in < 0)
		return false;
	return fail_in-- == 0;
}

void *__wrap_malloc(size_t n)
{
	return fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t sz)
{
	return fail_now() ? NULL : __real_calloc(n, sz);
}

void *__wrap_realloc(void *p, size_t n)
{
	return fail_now() ? NULL : __real_realloc(p, n);
}

static json_t *route(const char *ns, const char *name, const char *gw, const char *h1, const char *h2)
{
	json_t *r = json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:[{s:s}],s:[]}}", "apiVersion", GAPI, "kind", "HTTPRoute",
			      "metadata", "name", name, "namespace", ns, "spec", "parentRefs", "name", gw,
			      "hostnames");

	assert_non_null(r);
	if (h1 != NULL)
		json_array_append_new(jv_arr(jv_obj(r, "spec"), "hostnames"), json_string(h1));
	if (h2 != NULL)
		json_array_append_new(jv_arr(jv_obj(r, "spec"), "hostnames"), json_string(h2));
	return r;
}

static void add(struct store *s, json_t *o)
{
	struct err e;

	err_init(&e);
	assert_int_equal(store_add(s, o, &e), 0);
	json_decref(o);
}

/* the names in a list, sorted, appended to out */
static void put_list(char *out, size_t cap, const char *what, const json_t *const *l, size_t n)
{
	const char *names[64];

	assert_true(n <= 64);
	for (size_t i = 0; i < n; i++)
		names[i] = jv_str(jv_obj(l[i], "metadata"), "name");
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			const char *t = names[j];

			names[j] = names[j - 1];
			names[j - 1] = t;
		}
	strncat(out, what, cap - strlen(out) - 1);
	for (size_t i = 0; i < n; i++) {
		strncat(out, " ", cap - strlen(out) - 1);
		strncat(out, names[i], cap - strlen(out) - 1);
	}
	strncat(out, ";", cap - strlen(out) - 1);
}

/* what every index answers, as text; through a store_reader when r is not NULL (a
 * store with compact routes) */
static void snapshot_view(struct store *s, struct store_reader *r, char *out, size_t cap)
{
	static const char *const hosts[] = { "a.example.com", "b.example.com", "c.example.com", "d.example.com",
					     "*" };
	static const char *const gws[] = { "gw1", "gw2" };
	const json_t *const *l;
	const json_t *got;
	struct view v;
	size_t n;

	out[0] = '\0';
	if (r != NULL)
		store_reader_view(r, &v);
	else
		store_view(s, &v);
	n = view_list_kind(&v, KIND_HTTPROUTE, &l);
	put_list(out, cap, "all", l, n);
	n = view_list_ns(&v, KIND_HTTPROUTE, "ns", &l);
	put_list(out, cap, "ns", l, n);
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		n = view_list_hostname(&v, KIND_HTTPROUTE, hosts[i], &l);
		put_list(out, cap, hosts[i], l, n);
	}
	for (size_t i = 0; i < sizeof(gws) / sizeof(gws[0]); i++) {
		n = view_list_parent(&v, KIND_HTTPROUTE, "ns", gws[i], &l);
		put_list(out, cap, gws[i], l, n);
	}
	n = view_list_name(&v, KIND_HTTPROUTE, "r1", &l);
	put_list(out, cap, "named r1", l, n);
	got = view_get(&v, KIND_HTTPROUTE, "ns", "r1");
	put_list(out, cap, "get r1", &got, got != NULL);
	snprintf(out + strlen(out), cap - strlen(out), "count %zu", store_count(s, KIND_HTTPROUTE));
}

/* the snapshot of s as its evaluations see it: through a fresh reader when compact */
static void snapshot(struct store *s, char *out, size_t cap)
{
	struct store_reader *r = NULL;

	if (store_keeps_text(s, KIND_HTTPROUTE)) {
		r = store_reader_new(s);
		assert_non_null(r);
	}
	snapshot_view(s, r, out, cap);
	if (r != NULL) {
		struct view v;

		store_reader_view(r, &v);
		assert_false(view_failed(&v));
	}
	store_reader_free(r);
}

static bool compact_mode; /* the stores of add_under_failures keep routes as text */

static struct store *new_store(void)
{
	struct store *s = store_new();

	assert_non_null(s);
	if (compact_mode)
		assert_int_equal(store_set_compact_routes(s), 0);
	return s;
}

/* A store holding r1 (a, b on gw1) and r2 (c on gw1), each add of make() on it
 * failing at every allocation in turn: the indexes must answer as before until the
 * add succeeds, and then as after a plain add. */
static void add_under_failures(json_t *(*make)(void), const char *what)
{
	char want[2048], before[2048], got[2048];
	struct store *s;
	int rc;

	/* the state a successful add gives */
	s = new_store();
	add(s, route("ns", "r1", "gw1", "a.example.com", "b.example.com"));
	add(s, route("ns", "r2", "gw1", "c.example.com", NULL));
	snapshot(s, before, sizeof(before));
	add(s, make());
	snapshot(s, want, sizeof(want));
	store_free(s);
	assert_string_not_equal(before, want);

	for (long n = 0;; n++) {
		json_t *o = make();
		struct err e;

		s = new_store();
		add(s, route("ns", "r1", "gw1", "a.example.com", "b.example.com"));
		add(s, route("ns", "r2", "gw1", "c.example.com", NULL));
		snapshot(s, got, sizeof(got)); /* builds the by-name index first, as a reader would */
		err_init(&e);
		fail_in = n;
		rc = store_add(s, o, &e);
		fail_in = -1;
		json_decref(o);
		snapshot(s, got, sizeof(got));
		if (rc == 0) {
			if (strcmp(got, want) != 0)
				fail_msg("%s, allocation %ld failing: after the add\n  %s\nwant\n  %s", what, n, got,
					 want);
			store_free(s);
			assert_true(n > 0); /* at least one allocation was made to fail */
			return;
		}
		assert_int_equal(rc, ERR_NOMEM);
		if (strcmp(got, before) != 0)
			fail_msg("%s, allocation %ld failing: the store changed\n  %s\nwas\n  %s", what, n, got, before);
		store_free(s);
		assert_true(n < 1000);
	}
}

static json_t *new_route(void)
{
	return route("ns", "r3", "gw2", "d.example.com", NULL); /* new lists everywhere */
}

static json_t *shared_host(void)
{
	return route("ns", "r3", "gw1", "c.example.com", NULL); /* c's list grows past one */
}

static json_t *replacement(void)
{
	return route("ns", "r1", "gw2", "c.example.com", "d.example.com"); /* r1 moves */
}

static json_t *no_hostname(void)
{
	return route("ns", "r3", "gw1", NULL, NULL); /* the "*" list */
}

static void test_store_nomem__new_route(void **state)
{
	(void)state;
	add_under_failures(new_route, "a new route");
}

static void test_store_nomem__shared_hostname(void **state)
{
	(void)state;
	add_under_failures(shared_host, "a second route on a hostname");
}

static void test_store_nomem__replacement(void **state)
{
	(void)state;
	add_under_failures(replacement, "a replacement");
}

static void test_store_nomem__no_hostname(void **state)
{
	(void)state;
	add_under_failures(no_hostname, "a route without hostnames");
}

/* the same four adds into a store that keeps routes as text (its text is written
 * before anything visible changes) */
static void test_store_nomem__compact_adds(void **state)
{
	(void)state;
	compact_mode = true;
	add_under_failures(new_route, "a new compact route");
	add_under_failures(shared_host, "a second compact route on a hostname");
	add_under_failures(replacement, "a compact replacement");
	add_under_failures(no_hostname, "a compact route without hostnames");
	compact_mode = false;
}

/*
 * A reader that runs out of memory parsing or listing compact routes: each allocation
 * fails in turn during one evaluation (the snapshot). Either the evaluation saw
 * everything and the view has not failed, or the view says it failed; after the
 * reset the same reader sees everything again.
 */
static void test_store_nomem__reader(void **state)
{
	char want[2048], got[2048];
	struct store *s;

	(void)state;
	compact_mode = true;
	s = new_store();
	compact_mode = false;
	add(s, route("ns", "r1", "gw1", "a.example.com", "b.example.com"));
	add(s, route("ns", "r2", "gw1", "c.example.com", NULL));
	add(s, route("ns", "r3", "gw2", NULL, NULL));
	snapshot(s, want, sizeof(want));
	for (long n = 0;; n++) {
		struct store_reader *r = store_reader_new(s);
		struct view v;
		bool failed;

		assert_non_null(r);
		store_reader_view(r, &v);
		fail_in = n;
		snapshot_view(s, r, got, sizeof(got));
		fail_in = -1;
		failed = view_failed(&v);
		if (!failed) {
			if (strcmp(got, want) != 0)
				fail_msg("allocation %ld failing: a reader that did not fail saw\n  %s\nwant\n  %s", n,
					 got, want);
			store_reader_free(r);
			assert_true(n > 0);
			break;
		}
		store_reader_reset(r);
		assert_false(view_failed(&v));
		snapshot_view(s, r, got, sizeof(got));
		assert_string_equal(got, want);
		assert_false(view_failed(&v));
		store_reader_free(r);
		assert_true(n < 1000);
	}
	store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_nomem__new_route),
		cmocka_unit_test(test_store_nomem__shared_hostname),
		cmocka_unit_test(test_store_nomem__replacement),
		cmocka_unit_test(test_store_nomem__no_hostname),
		cmocka_unit_test(test_store_nomem__compact_adds),
		cmocka_unit_test(test_store_nomem__reader),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
