/* test_jarena: per-thread regions for jansson values (common/jarena.h): values made in
 * a region are recycled when it closes, values from malloc mix with them both ways,
 * suspended sections make values that outlive the region, and the two bugs the module
 * guards against (a value kept past its region, a value freed after it) are caught. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "jarena.h"
#include "sanitize.h"

#define ASAN_BUILD GW_ASAN

static json_t *make_tree(int i)
{
	json_t *o = json_pack("{s:s, s:i, s:[s, s, {s:b}]}", "name", "route", "port", i, "hosts", "a.example.com",
			      "b.example.com", "tls", 1);

	assert_non_null(o);
	return o;
}

static int setup(void **state)
{
	(void)state;
	jarena_install();
	return 0;
}

static void test_open_close(void **state)
{
	(void)state;
	assert_int_equal(jarena_close(), 0); /* none open */
	assert_int_equal(jarena_open(), 0);
	assert_int_equal(jarena_open(), -1); /* no nesting */
	assert_int_equal(jarena_close(), 0);
	assert_int_equal(jarena_close(), 0);
}

/* inside a region freed memory is not reused (a bump pointer, unlike malloc's
 * free lists); a closed region's memory serves the next region from its start */
static void test_recycled(void **state)
{
	json_t *a, *b, *c;
	uintptr_t first;

	(void)state;
	assert_int_equal(jarena_open(), 0);
	a = json_integer(1);
	first = (uintptr_t)a;
	json_decref(a);
	b = json_integer(2);
	assert_true((uintptr_t)b != first);
	json_decref(b);
	assert_int_equal(jarena_close(), 0);
	assert_int_equal(jarena_open(), 0);
	c = json_integer(3);
	assert_true((uintptr_t)c == first);
	assert_int_equal(json_integer_value(c), 3);
	json_decref(c);
	assert_int_equal(jarena_close(), 0);
}

/* values from malloc freed inside a region, big blocks, and many values */
static void test_mixed(void **state)
{
	json_t *outside = make_tree(7), *big, *arr;
	char *text;

	(void)state;
	assert_int_equal(jarena_open(), 0);
	text = calloc(1, JARENA_BIG * 3);
	assert_non_null(text);
	memset(text, 'x', JARENA_BIG * 3 - 1);
	big = json_string(text); /* its copy of the text is above JARENA_BIG */
	free(text);
	assert_non_null(big);
	assert_int_equal(json_string_length(big), JARENA_BIG * 3 - 1);
	arr = json_array();
	for (int i = 0; i < 20000; i++) /* several chunks */
		assert_int_equal(json_array_append_new(arr, make_tree(i)), 0);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(arr, 19999), "port")), 19999);
	json_decref(outside); /* made by malloc before the region */
	json_decref(big);
	json_decref(arr);
	assert_int_equal(jarena_close(), 0);
}

/* suspended: values live on after the region, and are freed later, anywhere */
static void test_suspend(void **state)
{
	json_t *kept, *tmp;

	(void)state;
	assert_int_equal(jarena_open(), 0);
	tmp = make_tree(1);
	jarena_suspend();
	jarena_suspend();
	kept = make_tree(2);
	jarena_resume();
	jarena_resume();
	json_decref(tmp);
	assert_int_equal(jarena_close(), 0);
	assert_int_equal(jarena_open(), 0);
	tmp = make_tree(3); /* reuses the recycled memory */
	assert_int_equal(json_integer_value(json_object_get(kept, "port")), 2);
	json_decref(kept);
	json_decref(tmp);
	assert_int_equal(jarena_close(), 0);
}

/* json_dumps text is jansson's: jarena_free; jarena_dumps text is malloc's */
static void test_dumps(void **state)
{
	json_t *o;
	char *a, *b;

	(void)state;
	assert_int_equal(jarena_open(), 0);
	o = make_tree(5);
	a = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	b = jarena_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	assert_non_null(a);
	assert_non_null(b);
	assert_string_equal(a, b);
	assert_string_equal(b, "{\"hosts\":[\"a.example.com\",\"b.example.com\",{\"tls\":true}],\"name\":\"route\",\"port\":5}");
	jarena_free(a);
	json_decref(o);
	assert_int_equal(jarena_close(), 0);
	free(b); /* after the region: plain malloc memory */
}

static void *worker(void *arg)
{
	long id = (long)arg;
	long bad = 0;

	for (int round = 0; round < 200; round++) {
		json_t *arr;

		if (jarena_open() != 0)
			return (void *)1;
		arr = json_array();
		for (int i = 0; i < 100; i++)
			json_array_append_new(arr, make_tree((int)id * 100000 + round * 100 + i));
		for (int i = 0; i < 100; i++)
			if (json_integer_value(json_object_get(json_array_get(arr, (size_t)i), "port")) !=
			    id * 100000 + round * 100 + i)
				bad++;
		json_decref(arr);
		if (jarena_close() != 0)
			bad++;
	}
	return (void *)bad;
}

/* regions of several threads at once, each with its own chunks */
static void test_threads(void **state)
{
	pthread_t th[4];

	(void)state;
	for (long i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, worker, (void *)(i + 1)), 0);
	for (int i = 0; i < 4; i++) {
		void *ret;

		assert_int_equal(pthread_join(th[i], &ret), 0);
		assert_null(ret);
	}
}

/* run fn in a child; its wait status */
static int in_child(void (*fn)(void))
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		fn();
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void keep_past_region(void)
{
	json_t *leaked, *next;
	size_t left;

	if (jarena_open() != 0)
		_exit(10);
	leaked = make_tree(42);
	left = jarena_close();
	if (left == 0) /* the tree is some 15 blocks */
		_exit(11);
	/* the memory was not recycled: a new region's values land elsewhere */
	if (jarena_open() != 0)
		_exit(70);
	next = make_tree(43);
	if (json_integer_value(json_object_get(leaked, "port")) != 42)
		_exit(71);
	json_decref(next);
	jarena_close();
	json_decref(leaked); /* outside any region, into abandoned memory: a no-op */
	_exit(0);
}

/* a region closed with a value alive: counted and kept (aborts in ASan builds) */
static void test_kept_value(void **state)
{
	int status;

	(void)state;
	status = in_child(keep_past_region);
	if (ASAN_BUILD) {
		assert_true(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0));
	} else {
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
}

static void free_after_close(void)
{
	json_t *v;
	json_t *copy;

	if (jarena_open() != 0)
		_exit(10);
	v = json_string("made in the region");
	copy = v;
	json_decref(v);
	jarena_close();
	/* the bug: a second drop of a value whose region is gone */
	jarena_free(copy);
	_exit(0);
}

/* a value freed after its region closed stops the process */
static void test_free_after_close(void **state)
{
	int status;

	(void)state;
	status = in_child(free_after_close);
	assert_false(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* the keep area: values made between keep_begin and keep_end are cut from it side by
 * side (no block headers), freeing them does nothing, a region's count does not see
 * them and they outlive it; sanitizer builds never keep (values come from malloc) */
static void test_keep(void **state)
{
	json_t *a, *b, *outside, *copy;
	size_t before, after;

	(void)state;
	jarena_keep_init();
	jarena_keep_init(); /* idempotent */
	before = jarena_keep_used();
	assert_int_equal(jarena_open(), 0);
	jarena_keep_begin();
	a = make_tree(1);
	b = make_tree(2);
	jarena_keep_end();
	outside = make_tree(3);
	after = jarena_keep_used();
	/* kept values are not the region's: it closes clean, and they live on */
	json_decref(outside);
	assert_int_equal(jarena_close(), 0);
	if (ASAN_BUILD) {
		assert_int_equal(after, 0);
	} else {
		/* a's nodes and b's nodes follow each other in the area: b starts where a ends */
		assert_true(after > before);
		assert_true((uintptr_t)b > (uintptr_t)a);
		assert_true((uintptr_t)b - (uintptr_t)a < after - before);
	}
	assert_int_equal(json_integer_value(json_object_get(a, "port")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(b, "hosts"), 1)), "b.example.com");
	/* a deep copy made while keeping is equal and lies in the area too */
	jarena_keep_begin();
	copy = json_deep_copy(b);
	jarena_keep_end();
	assert_non_null(copy);
	assert_true(json_equal(copy, b));
	if (!ASAN_BUILD)
		assert_true(jarena_keep_used() > after);
	/* freeing kept values (a no-op) and making new ones outside still work */
	json_decref(a);
	json_decref(b);
	json_decref(copy);
	outside = make_tree(4);
	json_decref(outside);
	jarena_keep_release();
	assert_int_equal(jarena_keep_used(), 0);
	/* after the release nothing is kept: begin..end values come from malloc */
	jarena_keep_begin();
	a = make_tree(5);
	jarena_keep_end();
	assert_int_equal(jarena_keep_used(), 0);
	json_decref(a);
}

/* jarena_keep_alloc: bytes cut from the area side by side, jarena_keep_free a no-op
 * for them; without an area (released, or a sanitizer build) malloc's, which
 * jarena_keep_free frees (LeakSanitizer sees any it does not) */
static void test_keep_alloc(void **state)
{
	char *p, *q;
	size_t before;

	(void)state;
	jarena_keep_init();
	before = jarena_keep_used();
	p = jarena_keep_alloc(100);
	q = jarena_keep_alloc(1);
	assert_non_null(p);
	assert_non_null(q);
	memset(p, 'x', 100);
	*q = 'y';
	if (!ASAN_BUILD) {
		assert_int_equal(jarena_keep_used(), before + 112 + 16); /* 16-byte aligned */
		assert_ptr_equal(q, p + 112);
	}
	assert_int_equal(p[99], 'x');
	jarena_keep_free(p);
	jarena_keep_free(q);
	jarena_keep_release();
	p = jarena_keep_alloc(64);
	assert_non_null(p);
	assert_int_equal(jarena_keep_used(), 0);
	memset(p, 'z', 64);
	jarena_keep_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_close), cmocka_unit_test(test_recycled), cmocka_unit_test(test_mixed),
		cmocka_unit_test(test_suspend),    cmocka_unit_test(test_dumps),    cmocka_unit_test(test_threads),
		cmocka_unit_test(test_kept_value), cmocka_unit_test(test_free_after_close),
		cmocka_unit_test(test_keep),
		cmocka_unit_test(test_keep_alloc),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
