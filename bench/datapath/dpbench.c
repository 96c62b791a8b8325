/*
 * dpbench: programs the eBPF datapath with a synthetic plan through the same
 * datapath_program() that `gatewarden datapath sync` uses, and times it.
 *
 *   dpbench PIN_DIR N VARIANT
 *
 * The plan: N dummy TCP frontends 10.x.y.z:80 (two backends each, 192.0.2.x:8080,
 * weights 95/5 for VARIANT 0 and 5/95 for 1, so going from one variant to the
 * other rewrites every table), plus the measured frontend 127.100.0.1:8080 ->
 * 127.0.0.1:18081/18082 (95/5), which sorts last. Prints the time of
 * datapath_program() and its counts.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "datapath.h"
#include "lbplan.h"

static void addr4(struct lbplan_addr *a, const char *s)
{
	memset(a, 0, sizeof(*a));
	a->family = 4;
	inet_pton(AF_INET, s, a->bytes);
}

int main(int argc, char **argv)
{
	struct lbplan plan = { 0 };
	struct datapath_result res;
	struct datapath *dp = NULL;
	struct timespec a, b;
	struct err e;
	long n;
	int variant;

	if (argc != 4 || (n = atol(argv[2])) < 0 || n > 60000) {
		fprintf(stderr, "usage: dpbench PIN_DIR N(0..60000) VARIANT(0|1)\n");
		return 2;
	}
	variant = atoi(argv[3]);
	plan.n_frontends = (size_t)n + 1;
	plan.frontends = calloc(plan.n_frontends, sizeof(*plan.frontends));
	if (plan.frontends == NULL)
		return 1;
	for (size_t i = 0; i < plan.n_frontends; i++) {
		struct lbplan_frontend *f = &plan.frontends[i];
		char ip[32];

		f->backends = calloc(2, sizeof(*f->backends));
		if (f->backends == NULL)
			return 1;
		f->n_backends = 2;
		f->proto = LBPLAN_TCP;
		if (i < (size_t)n) {
			snprintf(ip, sizeof(ip), "10.%zu.%zu.%zu", i >> 16 & 255, i >> 8 & 255, i & 255);
			addr4(&f->addr, ip);
			f->port = 80;
			f->source = "dpbench dummy";
			snprintf(ip, sizeof(ip), "192.0.2.%zu", i % 250 + 1);
			addr4(&f->backends[0].addr, ip);
			addr4(&f->backends[1].addr, ip);
			f->backends[0].port = 8080;
			f->backends[1].port = 8081;
			f->backends[0].weight = variant ? 5 : 95;
			f->backends[1].weight = variant ? 95 : 5;
		} else {
			addr4(&f->addr, "127.100.0.1");
			f->port = 8080;
			f->source = "dpbench measured";
			addr4(&f->backends[0].addr, "127.0.0.1");
			addr4(&f->backends[1].addr, "127.0.0.1");
			f->backends[0].port = 18081;
			f->backends[1].port = 18082;
			f->backends[0].weight = 95;
			f->backends[1].weight = 5;
		}
	}
	err_init(&e);
	if (datapath_open(argv[1], DATAPATH_MAPS, &dp, &e) != 0) {
		fprintf(stderr, "dpbench: %s\n", e.msg);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	if (datapath_program(dp, &plan, NULL, NULL, &res, &e) != 0) {
		fprintf(stderr, "dpbench: %s\n", e.msg);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("program_ms=%.1f frontends=%zu changed=%zu unchanged=%zu removed=%zu\n",
	       (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6, plan.n_frontends,
	       res.changed, res.unchanged, res.removed);
	datapath_close(dp);
	for (size_t i = 0; i < plan.n_frontends; i++)
		free(plan.frontends[i].backends);
	free(plan.frontends);
	return 0;
}
