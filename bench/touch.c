/*
 * bench/touch.c: time the first touch of N MiB of fresh anonymous memory (advised for
 * transparent huge pages), to see what this machine charges for memory a process has
 * not used before. On the bench VM a first touch costs 6 to 7 ms per 100 MiB when the
 * guest's free pages are still backed by the host, and up to 180 ms when they were
 * handed back (bench/RESULTS.md); bench/interleave.sh runs it with WARM_MB to give
 * every measured run the same, warm, memory.
 *
 *   cc -O2 -o touch bench/touch.c && ./touch 700
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	char *end;
	unsigned long mib = argc == 2 ? strtoul(argv[1], &end, 10) : 0;
	size_t n;
	double t0, t1;
	char *p;

	if (argc != 2 || *end != '\0' || mib == 0 || mib > (1UL << 20)) {
		fprintf(stderr, "usage: touch MIB (1 to 1048576)\n");
		return 2;
	}
	n = (size_t)mib << 20;
	t0 = now_s();
	p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("touch: mmap");
		return 1;
	}
	madvise(p, n, MADV_HUGEPAGE);
	for (size_t i = 0; i < n; i += 4096)
		p[i] = 1;
	t1 = now_s();
	printf("%lu MiB: %.3f s, %.2f ms per 100 MiB\n", mib, t1 - t0, (t1 - t0) * 1000 / ((double)mib / 100));
	munmap(p, n);
	return 0;
}
