/* reviewloop: webhook_review in a loop, without HTTP or TLS, to see the engine's
 * share of a request (run it under callgrind for instruction counts):
 *     reviewloop STATE.yaml REVIEW.json N [mutate|validate [POLICY]]
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "filesrc.h"
#include "polsrc.h"
#include "stateload.h"
#include "store.h"
#include "webhook.h"

int main(int argc, char **argv)
{
	struct store *s = store_new();
	struct err err;
	size_t n = 0;
	const char *paths[1];
	struct filesrc *f;
	struct viewsrc src;
	struct webhook *w;
	struct polsrc *pol = NULL;
	FILE *fp;
	char *body;
	long len;
	long iters;
	struct timespec t0, t1;

	if (argc < 4) {
		fprintf(stderr, "usage: reviewloop STATE REVIEW N [mutate|validate [POLICY]]\n");
		return 2;
	}
	err_init(&err);
	/* the store serve --state builds: routes kept compact */
	if (s == NULL || store_set_compact_routes(s) != 0) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	paths[0] = argv[1];
	if (stateload_paths_slim(s, paths, 1, NULL, "default", &n, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	{
		struct mallinfo2 mi = mallinfo2();

		fprintf(stderr, "heap in use after load: %zu KB (arena %zu KB)\n", mi.uordblks / 1024, mi.arena / 1024);
	}
	if (argc > 5) {
		const char *pp[1] = { argv[5] };

		if (polsrc_start(pp, 1, NULL, 0, &pol, &err) != 0) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
	}
	f = filesrc_new(s, n);
	filesrc_viewsrc(f, &src);
	{
		struct webhook_config wc = { .src = &src, .body_max = 7 << 20, .json_depth_max = 100, .quiet = true,
					     .policies = pol };

		w = webhook_new(&wc);
	}
	fp = fopen(argv[2], "rb");
	if (fp == NULL)
		return 1;
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	rewind(fp);
	body = malloc((size_t)len + 1);
	if (fread(body, 1, (size_t)len, fp) != (size_t)len)
		return 1;
	body[len] = '\0';
	fclose(fp);
	iters = atol(argv[3]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < iters; i++) {
		struct httpd_response r = { 0 };

		webhook_review(w, argc > 4 && strcmp(argv[4], "mutate") == 0, body, (size_t)len, &r);
		if (i == 0)
			fprintf(stderr, "%.*s\n", (int)(r.len > 400 ? 400 : r.len), r.body);
		free(r.body);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%zu objects, %ld reviews, %.1f us each\n", n, iters,
	       ((double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3) / (double)iters);
	webhook_free(w);
	polsrc_stop(pol);
	filesrc_free(f);
	free(body);
	return 0;
}
