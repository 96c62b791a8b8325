/* test_jpatch: JSON Patch diff and apply; the round-trip property on generated documents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "jpatch.h"
#include "testutil.h"

/* ---- helpers ---- */

static json_t *diff_ok(const json_t *a, const json_t *b)
{
	struct err e;
	json_t *p = NULL;

	err_init(&e);
	assert_int_equal(jpatch_diff(a, b, &p, &e), 0);
	assert_non_null(p);
	return p;
}

static json_t *apply_ok(const json_t *doc, const json_t *patch)
{
	struct err e;
	json_t *out = NULL;

	err_init(&e);
	if (jpatch_apply(doc, patch, &out, &e) != 0)
		fail_msg("apply failed: %s", e.msg);
	return out;
}

static void assert_patch(const char *from, const char *to, const char *want)
{
	json_t *a = testutil_json(from), *b = testutil_json(to), *w = testutil_json(want);
	json_t *p = diff_ok(a, b);

	if (!json_equal(p, w)) {
		char *s = json_dumps(p, JSON_COMPACT);

		fail_msg("patch %s", s);
	}
	json_decref(a);
	json_decref(b);
	json_decref(w);
	json_decref(p);
}

/* ---- diff shapes ---- */

static void test_jpatch_diff__equal_is_empty(void **state)
{
	(void)state;
	assert_patch("{'a':1,'b':[1,{'c':null}]}", "{'b':[1,{'c':null}],'a':1}", "[]");
}

static void test_jpatch_diff__escapes_tokens(void **state)
{
	(void)state;
	assert_patch("{'metadata':{}}",
		     "{'metadata':{'annotations':{'external-dns.alpha.kubernetes.io/hostname':'a','x~y':'b'}}}",
		     "[{'op':'add','path':'/metadata/annotations','value':"
		     "{'external-dns.alpha.kubernetes.io/hostname':'a','x~y':'b'}}]");
	assert_patch("{'m':{'a/b':'1','c~d':'2'}}", "{'m':{'a/b':'3','c~d':'4'}}",
		     "[{'op':'replace','path':'/m/a~1b','value':'3'},"
		     "{'op':'replace','path':'/m/c~0d','value':'4'}]");
}

static void test_jpatch_diff__objects_sorted(void **state)
{
	(void)state;
	assert_patch("{'z':1,'b':2,'y':3}", "{'a':0,'b':2,'c':4}",
		     "[{'op':'remove','path':'/y'},{'op':'remove','path':'/z'},"
		     "{'op':'add','path':'/a','value':0},{'op':'add','path':'/c','value':4}]");
}

static void test_jpatch_diff__arrays(void **state)
{
	(void)state;
	assert_patch("[1,2,3]", "[1,5]",
		     "[{'op':'replace','path':'/1','value':5},{'op':'remove','path':'/2'}]");
	assert_patch("[1,2,3,4]", "[1]",
		     "[{'op':'remove','path':'/3'},{'op':'remove','path':'/2'},{'op':'remove','path':'/1'}]");
	assert_patch("[1]", "[1,2,3]",
		     "[{'op':'add','path':'/1','value':2},{'op':'add','path':'/2','value':3}]");
}

static void test_jpatch_diff__type_change_and_root(void **state)
{
	(void)state;
	assert_patch("{'a':[1]}", "{'a':{'x':1}}", "[{'op':'replace','path':'/a','value':{'x':1}}]");
	{
		json_t *a = json_integer(1), *b = json_string("s"), *p = diff_ok(a, b);
		json_t *w = testutil_json("[{'op':'replace','path':'','value':'s'}]");

		assert_true(json_equal(p, w));
		json_decref(a);
		json_decref(b);
		json_decref(p);
		json_decref(w);
	}
	assert_patch("[]", "{}", "[{'op':'replace','path':'','value':{}}]");
	/* an integer and a real are different JSON values to the API server's decoder */
	assert_patch("{'a':1}", "{'a':1.5}", "[{'op':'replace','path':'/a','value':1.5}]");
}

/* ---- apply ---- */

static void test_jpatch_apply__ops(void **state)
{
	json_t *doc = testutil_json("{'a':{'b':[1,2]},'k/x':1}");
	json_t *p = testutil_json("[{'op':'add','path':'/a/b/-','value':3},"
				  "{'op':'add','path':'/a/b/0','value':0},"
				  "{'op':'test','path':'/a/b','value':[0,1,2,3]},"
				  "{'op':'remove','path':'/k~1x'},"
				  "{'op':'replace','path':'/a/c','value':1}]");
	json_t *out;
	struct err e;

	(void)state;
	err_init(&e);
	/* replace of a missing member fails and the input is untouched */
	assert_int_equal(jpatch_apply(doc, p, &out, &e), ERR_INVALID);
	assert_null(out);
	assert_non_null(strstr(e.msg, "operation 4"));
	assert_non_null(strstr(e.msg, "/a/c"));
	assert_non_null(json_object_get(doc, "k/x"));
	json_array_remove(p, 4);
	out = apply_ok(doc, p);
	{
		json_t *want = testutil_json("{'a':{'b':[0,1,2,3]}}");

		assert_true(json_equal(out, want));
		json_decref(want);
	}
	json_decref(out);
	json_decref(p);
	json_decref(doc);
}

static void test_jpatch_apply__errors(void **state)
{
	static const char *const bad[] = {
		"{'op':'move','from':'/a','path':'/b'}",
		"{'op':'add','path':'a','value':1}",
		"{'op':'add','path':'/x/y','value':1}",
		"{'op':'remove','path':''}",
		"{'op':'add','path':'/l/01','value':1}",
		"{'op':'add','path':'/l/3','value':1}",
		"{'op':'remove','path':'/l/2'}",
		"{'op':'add','path':'/a~2','value':1}",
		"{'op':'add','path':'/a'}",
		"{'op':'test','path':'/a','value':2}",
		"{'path':'/a'}",
		"{'op':'add','path':'/a/x','value':1}",
	};
	json_t *doc = testutil_json("{'a':1,'l':[1,2]}");
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *op = testutil_json(bad[i]), *patch = json_array(), *out = (json_t *)1;
		struct err e;

		err_init(&e);
		json_array_append_new(patch, op);
		if (jpatch_apply(doc, patch, &out, &e) != ERR_INVALID)
			fail_msg("case %zu accepted", i);
		assert_null(out);
		assert_true(e.msg[0] != '\0');
		json_decref(patch);
	}
	{
		json_t *out = (json_t *)1, *notarr = json_object();
		struct err e;

		err_init(&e);
		assert_int_equal(jpatch_apply(doc, notarr, &out, &e), ERR_INVALID);
		json_decref(notarr);
	}
	json_decref(doc);
}

static void test_jpatch_diff__depth_limit(void **state)
{
	json_t *a = json_object(), *b = json_object(), *ca = a, *cb = b, *p = (json_t *)1;
	struct err e;
	int i;

	(void)state;
	for (i = 0; i < JPATCH_MAX_DEPTH + 5; i++) {
		json_t *na = json_object(), *nb = json_object();

		json_object_set_new(ca, "x", na);
		json_object_set_new(cb, "x", nb);
		ca = na;
		cb = nb;
	}
	json_object_set_new(cb, "leaf", json_true());
	err_init(&e);
	assert_int_equal(jpatch_diff(a, b, &p, &e), ERR_LIMIT);
	assert_null(p);
	json_decref(a);
	json_decref(b);
}

static void test_jpatch_pointer_append(void **state)
{
	char buf[16] = "";
	size_t n;

	(void)state;
	n = jpatch_pointer_append(buf, 0, sizeof(buf), "a/b~c");
	assert_int_equal(n, 8);
	assert_string_equal(buf, "/a~1b~0c");
	assert_int_equal(jpatch_pointer_append(buf, n, sizeof(buf), "toolongtoken"), (size_t)-1);
}

/* ---- the property: apply(from, diff(from, to)) == to ---- */

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rng_state >> 33) % n;
}

static const char *const keys[] = { "a", "b", "c/d", "e~f", "~1", "", "metadata", "x" };

static json_t *gen(int depth)
{
	uint32_t k = depth == 0 ? 5 + rnd(2) : rnd(depth > 3 ? 5 : 7);
	json_t *v;
	uint32_t i, n;

	switch (k) {
	case 0: return json_null();
	case 1: return json_integer(rnd(4));
	case 2: return json_string(keys[rnd(8)]);
	case 3: return rnd(2) ? json_true() : json_real(0.5);
	case 4: return json_integer(rnd(3));
	case 5:
		v = json_array();
		n = rnd(4);
		for (i = 0; i < n; i++)
			json_array_append_new(v, gen(depth + 1));
		return v;
	default:
		v = json_object();
		n = rnd(4);
		for (i = 0; i < n; i++)
			json_object_set_new(v, keys[rnd(8)], gen(depth + 1));
		return v;
	}
}

/* A variant of v: some members changed, dropped or added, recursively. */
static json_t *mutate(const json_t *v, int depth)
{
	json_t *out, *x;
	const char *key;
	size_t i;

	if (rnd(6) == 0)
		return gen(depth);
	if (json_is_object(v)) {
		out = json_object();
		json_object_foreach((json_t *)v, key, x) {
			if (rnd(5) == 0)
				continue;
			json_object_set_new(out, key, rnd(2) ? json_deep_copy(x) : mutate(x, depth + 1));
		}
		if (rnd(3) == 0)
			json_object_set_new(out, keys[rnd(8)], gen(depth + 1));
		return out;
	}
	if (json_is_array(v)) {
		out = json_array();
		json_array_foreach(v, i, x) {
			if (rnd(5) == 0)
				continue;
			json_array_append_new(out, rnd(2) ? json_deep_copy(x) : mutate(x, depth + 1));
		}
		if (rnd(3) == 0)
			json_array_append_new(out, gen(depth + 1));
		return out;
	}
	return json_deep_copy(v);
}

static void test_jpatch__round_trip_property(void **state)
{
	int n, nonempty = 0;

	(void)state;
	rng_state = 42;
	for (n = 0; n < 5000; n++) {
		json_t *from = gen(0), *to = rnd(4) == 0 ? gen(0) : mutate(from, 0);
		json_t *patch = diff_ok(from, to), *out = apply_ok(from, patch), *again;

		if (!json_equal(out, to)) {
			char *a = json_dumps(from, JSON_ENCODE_ANY), *b = json_dumps(to, JSON_ENCODE_ANY);

			fail_msg("case %d: %s -> %s", n, a, b);
		}
		if (json_array_size(patch) > 0)
			nonempty++;
		/* idempotent: nothing left to do once applied */
		again = diff_ok(out, to);
		assert_int_equal(json_array_size(again), 0);
		json_decref(again);
		json_decref(out);
		json_decref(patch);
		json_decref(from);
		json_decref(to);
	}
	/* the generator must actually exercise the diff */
	print_message("%d of 5000 patches non-empty\n", nonempty);
	assert_true(nonempty > 2500);
}

/* a member key longer than apply's stack buffer for path tokens (jpatch_diff writes
 * any key; apply refused keys of 1,024 bytes or more as "bad token in path") */
static void test_jpatch__long_key(void **state)
{
	char key[3000];
	json_t *from, *to, *patch, *out;

	(void)state;
	for (size_t n = 1023; n <= 2999; n += 988) { /* 1023, 2011, 2999 bytes */
		memset(key, 'k', n);
		key[n] = '\0';
		key[n / 2] = '/'; /* escaped in the path: the token is shorter than its path */
		from = json_pack("{s:{s:i}}", "a", key, 1);
		to = json_pack("{s:{s:i, s:i}}", "a", key, 2, "b", 3);
		patch = diff_ok(from, to);
		out = apply_ok(from, patch);
		assert_true(json_equal(out, to));
		json_decref(out);
		json_decref(patch);
		json_decref(from);
		json_decref(to);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jpatch_diff__equal_is_empty),
		cmocka_unit_test(test_jpatch_diff__escapes_tokens),
		cmocka_unit_test(test_jpatch_diff__objects_sorted),
		cmocka_unit_test(test_jpatch_diff__arrays),
		cmocka_unit_test(test_jpatch_diff__type_change_and_root),
		cmocka_unit_test(test_jpatch_apply__ops),
		cmocka_unit_test(test_jpatch_apply__errors),
		cmocka_unit_test(test_jpatch_diff__depth_limit),
		cmocka_unit_test(test_jpatch_pointer_append),
		cmocka_unit_test(test_jpatch__round_trip_property),
		cmocka_unit_test(test_jpatch__long_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
