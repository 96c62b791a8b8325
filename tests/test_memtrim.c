/*
 * test_memtrim: memtrim (common/memtrim.h) from several threads at once, at the very
 * start of a process, as the kcache workers call it when their first lists end
 * together. Each round is a fresh child process (the race is in malloc's first
 * initialisation), eight threads released by one barrier; every child must exit 0.
 * Under AddressSanitizer, glibc's malloc_trim called this way crashed about one child
 * in thirty (SEGV in mtrim), so 300 children fail the old code all but surely.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "memtrim.h"

#define THREADS 8
#define CHILDREN 300

static pthread_barrier_t start;

static void *trim_main(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&start);
	memtrim();
	return NULL;
}

static int child(void)
{
	pthread_t th[THREADS];

	if (pthread_barrier_init(&start, NULL, THREADS) != 0)
		return 2;
	for (int i = 0; i < THREADS; i++)
		if (pthread_create(&th[i], NULL, trim_main, NULL) != 0)
			return 2;
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	return 0;
}

static void test_memtrim__threads_at_start(void **state)
{
	int bad = 0;

	(void)state;
	for (int i = 0; i < CHILDREN; i++) {
		int st;
		pid_t pid = fork();

		assert_true(pid >= 0);
		if (pid == 0)
			_exit(child());
		assert_int_equal(waitpid(pid, &st, 0), pid);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			bad++;
	}
	if (bad > 0)
		fail_msg("%d of %d children did not exit 0", bad, CHILDREN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memtrim__threads_at_start),
	};

	return cmocka_run_group_tests_name("memtrim", tests, NULL, NULL);
}
