/* test_store_threads: with store_set_lock, several threads read one view at once,
 * including the reads that fill caches (namespace label sets, the by-name index),
 * and every answer is right. Without the lock the fills race on one hash table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "jv.h"
#include "kind.h"
#include "store.h"
#include "view.h"

#define NS_COUNT 400
#define THREADS 4
#define ROUNDS 3

static pthread_mutex_t fill_mu = PTHREAD_MUTEX_INITIALIZER;
static int fills;

static void lock(void *ud)
{
	pthread_mutex_lock(ud);
	fills++;
}

static void unlock(void *ud)
{
	pthread_mutex_unlock(ud);
}

struct reader {
	struct view v;
	int seed;
	int wrong;
};

static void *read_all(void *arg)
{
	struct reader *r = arg;

	for (int round = 0; round < ROUNDS; round++) {
		for (int i = 0; i < NS_COUNT; i++) {
			/* each thread walks the namespaces in its own order */
			int n = (i * 7 + r->seed * 101) % NS_COUNT;
			char ns[32], gw[32];
			const json_t *labels;
			const json_t *const *list;
			size_t cnt;

			snprintf(ns, sizeof(ns), "ns-%d", n);
			labels = view_namespace_labels(&r->v, ns);
			if (labels == NULL || !jv_streq(labels, "kubernetes.io/metadata.name", ns) ||
			    (n % 2 == 0 && !jv_streq(labels, "team", "even")))
				r->wrong++;
			snprintf(gw, sizeof(gw), "gw-%d", n % 50);
			cnt = view_list_name(&r->v, KIND_GATEWAY, gw, &list);
			if (cnt != NS_COUNT / 50)
				r->wrong++;
		}
	}
	return NULL;
}

static void test_store_threads__concurrent_readers(void **state)
{
	struct store *s = store_new();
	struct reader rd[THREADS];
	pthread_t th[THREADS];
	struct err e;

	(void)state;
	assert_non_null(s);
	err_init(&e);
	/* half the namespaces exist with a label; the other half are only referenced */
	for (int i = 0; i < NS_COUNT; i += 2) {
		char name[32];
		json_t *o;

		snprintf(name, sizeof(name), "ns-%d", i);
		o = json_pack("{s:s,s:s,s:{s:s,s:{s:s}}}", "apiVersion", "v1", "kind", "Namespace", "metadata", "name",
			      name, "labels", "team", "even");
		assert_int_equal(store_add(s, o, &e), 0);
		json_decref(o);
	}
	for (int i = 0; i < NS_COUNT; i++) {
		char ns[32], name[32];
		json_t *o;

		snprintf(ns, sizeof(ns), "ns-%d", i);
		snprintf(name, sizeof(name), "gw-%d", i % 50);
		o = json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:s,s:[]}}", "apiVersion", "gateway.networking.k8s.io/v1", "kind",
			      "Gateway", "metadata", "name", name, "namespace", ns, "spec", "gatewayClassName", "c",
			      "listeners");
		assert_int_equal(store_add(s, o, &e), 0);
		json_decref(o);
	}
	store_set_lock(s, lock, unlock, &fill_mu);
	for (int t = 0; t < THREADS; t++) {
		store_view(s, &rd[t].v);
		rd[t].seed = t;
		rd[t].wrong = 0;
		assert_int_equal(pthread_create(&th[t], NULL, read_all, &rd[t]), 0);
	}
	for (int t = 0; t < THREADS; t++) {
		assert_int_equal(pthread_join(th[t], NULL), 0);
		assert_int_equal(rd[t].wrong, 0);
	}
	/* the fills went through the lock */
	assert_true(fills >= NS_COUNT);
	store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_threads__concurrent_readers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
