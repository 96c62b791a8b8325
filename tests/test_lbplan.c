/*
 * test_lbplan: the datapath plan built from a cluster (core/lbplan.c). Fixtures are
 * YAML streams in data/lbplan/; each test loads one into a store and compares the
 * plan, dumped as text, with what it must be: frontends sorted by (family, address,
 * port, protocol), backends sorted by (address, port), weights in units of
 * LBPLAN_WEIGHT_SCALE (720720).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "lbplan.h"
#include "store.h"
#include "view.h"
#include "yamldoc.h"
#include "testutil.h"

struct mem {
	const char *p;
	size_t left;
};

static int rd(void *data, unsigned char *buf, size_t size, size_t *size_read)
{
	struct mem *m = data;
	size_t n = m->left < size ? m->left : size;

	memcpy(buf, m->p, n);
	m->p += n;
	m->left -= n;
	*size_read = n;
	return 1;
}

struct docs {
	json_t *v[64];
	size_t n;
};

static int collect(void *ud, struct yamldoc *doc)
{
	struct docs *d = ud;

	if (doc->root == NULL || json_is_null(doc->root)) {
		json_decref(doc->root);
		return 0;
	}
	assert_true(d->n < 64);
	d->v[d->n++] = doc->root;
	return 0;
}

static void load(const char *file, struct docs *d)
{
	char path[128], *text;
	struct mem m;
	struct err e;

	snprintf(path, sizeof(path), "data/lbplan/%s", file);
	text = testutil_slurp(path);
	m.p = text;
	m.left = strlen(text);
	d->n = 0;
	err_init(&e);
	assert_int_equal(yamldoc_parse_stream(rd, &m, collect, d, &e), 0);
	free(text);
}

static void docs_free(struct docs *d)
{
	for (size_t i = 0; i < d->n; i++)
		json_decref(d->v[i]);
	d->n = 0;
}

/* The plan of the documents, added in order (reverse: last first), as text. */
static char *plan_text_of(struct docs *d, bool reverse, bool allow_http)
{
	struct store *s = store_new();
	struct lbplan_opts o = { .allow_http = allow_http };
	struct lbplan p;
	struct view v;
	struct err e;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	assert_non_null(s);
	err_init(&e);
	for (size_t i = 0; i < d->n; i++)
		assert_int_equal(store_add(s, d->v[reverse ? d->n - 1 - i : i], &e), 0);
	store_view(s, &v);
	assert_int_equal(lbplan_build(&v, &o, &p, &e), 0);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	for (size_t i = 0; i < p.n_frontends; i++) {
		const struct lbplan_frontend *fe = &p.frontends[i];
		char a[INET6_ADDRSTRLEN];

		inet_ntop(fe->addr.family == 4 ? AF_INET : AF_INET6, fe->addr.bytes, a, sizeof(a));
		fprintf(f, "%s %s%s%s:%u <- %s\n", fe->proto == LBPLAN_TCP ? "tcp" : "udp", fe->addr.family == 6 ? "[" : "",
			a, fe->addr.family == 6 ? "]" : "", fe->port, fe->source);
		for (size_t j = 0; j < fe->n_backends; j++) {
			const struct lbplan_backend *b = &fe->backends[j];

			inet_ntop(b->addr.family == 4 ? AF_INET : AF_INET6, b->addr.bytes, a, sizeof(a));
			fprintf(f, "  %s:%u %llu\n", a, b->port, (unsigned long long)b->weight);
		}
	}
	fclose(f);
	lbplan_free(&p);
	assert_null(p.frontends);
	store_free(s);
	return buf;
}

static void expect_plan(const char *file, bool allow_http, const char *want)
{
	struct docs d;
	char *got, *rev;

	load(file, &d);
	got = plan_text_of(&d, false, allow_http);
	rev = plan_text_of(&d, true, allow_http);
	assert_string_equal(got, want);
	/* deterministic: the order objects arrive in does not matter */
	assert_string_equal(rev, want);
	free(got);
	free(rev);
	docs_free(&d);
}

static void test_lbplan__tcp_and_udp_routes(void **state)
{
	(void)state;
	/* 95/5 over db (2 ready endpoints of 3) and db-canary (no slices: its clusterIP);
	 * the UDPRoute's weight 1 over 3 endpoints from two slices; both addresses, the
	 * duplicate and the non-IP ones dropped; the HTTP listener has no route */
	expect_plan("l4.yaml", false,
		    "udp 10.0.0.1:53 <- gateway apps/edge listener udp; UDPRoute apps/dns\n"
		    "  10.2.0.1:1053 240240\n"
		    "  10.2.0.2:1053 240240\n"
		    "  10.2.0.3:1053 240240\n"
		    "tcp 10.0.0.1:5432 <- gateway apps/edge listener tcp; TCPRoute apps/db\n"
		    "  10.1.0.1:5433 34234200\n"
		    "  10.1.0.2:5433 34234200\n"
		    "  10.96.0.5:5432 3603600\n"
		    "udp [2001:db8::1]:53 <- gateway apps/edge listener udp; UDPRoute apps/dns\n"
		    "  10.2.0.1:1053 240240\n"
		    "  10.2.0.2:1053 240240\n"
		    "  10.2.0.3:1053 240240\n"
		    "tcp [2001:db8::1]:5432 <- gateway apps/edge listener tcp; TCPRoute apps/db\n"
		    "  10.1.0.1:5433 34234200\n"
		    "  10.1.0.2:5433 34234200\n"
		    "  10.96.0.5:5432 3603600\n");
}

static void test_lbplan__weights_keep_the_split(void **state)
{
	struct docs d;
	struct store *s = store_new();
	struct lbplan p;
	struct view v;
	struct err e;
	uint64_t total = 0, canary = 0;

	(void)state;
	load("l4.yaml", &d);
	err_init(&e);
	for (size_t i = 0; i < d.n; i++)
		assert_int_equal(store_add(s, d.v[i], &e), 0);
	store_view(s, &v);
	assert_int_equal(lbplan_build(&v, NULL, &p, &e), 0);
	assert_int_equal(p.n_frontends, 4);
	for (size_t j = 0; j < p.frontends[1].n_backends; j++) {
		total += p.frontends[1].backends[j].weight;
		if (p.frontends[1].backends[j].port == 5432)
			canary += p.frontends[1].backends[j].weight;
	}
	/* exactly 5 % */
	assert_int_equal(canary * 100, total * 5);
	assert_int_equal(p.frontends[1].proto, LBPLAN_TCP);
	assert_int_equal(p.frontends[1].addr.family, 4);
	assert_memory_equal(p.frontends[1].addr.bytes, "\x0a\x00\x00\x01\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	lbplan_free(&p);
	lbplan_free(&p); /* idempotent */
	lbplan_free(NULL);
	store_free(s);
	docs_free(&d);
}

static void test_lbplan__http_only_when_allowed_and_plain(void **state)
{
	(void)state;
	expect_plan("http.yaml", false, "");
	/* plain and explicit (the catch-all written out) qualify; paths (a match),
	 * filtered (a filter) and shared (a GRPCRoute on the same listener) do not;
	 * app-v2 is headless with one slice */
	expect_plan("http.yaml", true,
		    "tcp 192.0.2.10:80 <- gateway web/web listener plain; HTTPRoute web/plain\n"
		    "  10.3.0.1:8001 3603600\n"
		    "  10.96.1.1:8000 68468400\n"
		    "tcp 192.0.2.10:8083 <- gateway web/web listener explicit; HTTPRoute web/explicit\n"
		    "  10.96.1.1:8000 720720\n");
}

static void test_lbplan__only_accepted_routes_and_resolved_backends(void **state)
{
	(void)state;
	expect_plan("refs.yaml", false,
		    "tcp 198.51.100.7:9000 <- gateway infra/gw listener tcp; TCPRoute team/mixed\n"
		    "  10.96.2.1:80 720720\n"
		    "  10.96.2.3:80 2162160\n");
}

static void test_lbplan__conflicts_oldest_wins(void **state)
{
	(void)state;
	/* r1 names the Gateway twice: one candidate, its weight counted once */
	expect_plan("conflict.yaml", false,
		    "tcp 203.0.113.1:7000 <- gateway b/old listener tcp; TCPRoute b/r1\n"
		    "  10.96.3.2:1 1441440\n");
}

static void test_lbplan__empty_view(void **state)
{
	struct view v = { 0 };
	struct lbplan p;
	struct err e;

	(void)state;
	err_init(&e);
	memset(&p, 0xff, sizeof(p));
	assert_int_equal(lbplan_build(&v, NULL, &p, &e), 0);
	assert_int_equal(p.n_frontends, 0);
	assert_null(p.frontends);
}

static void test_lbplan__malformed_objects_are_skipped(void **state)
{
	struct store *s = store_new();
	struct view v;
	struct lbplan p;
	struct err e;
	const char *objs[] = {
		"{'apiVersion':'gateway.networking.k8s.io/v1','kind':'Gateway','metadata':{'name':'g','namespace':'n'},"
		"'spec':{'addresses':[{'value':5},'x',{'type':'IPAddress','value':'1.2.3.4'}],"
		"'listeners':[{'name':'t','protocol':'TCP','port':70000},{'name':'u','protocol':'TCP','port':'80'},"
		"{'name':'ok','protocol':'TCP','port':81}]}}",
		"{'apiVersion':'gateway.networking.k8s.io/v1alpha2','kind':'TCPRoute','metadata':{'name':'r','namespace':'n'},"
		"'spec':{'parentRefs':[{'name':'g'}],'rules':[{'backendRefs':[{'name':'s','port':1,'weight':'9'},"
		"{'name':'s','port':1}]},'junk',{'backendRefs':5}]}}",
		"{'apiVersion':'v1','kind':'Service','metadata':{'name':'s','namespace':'n'},"
		"'spec':{'clusterIP':'10.0.0.9','ports':[{'port':1}]}}",
		"{'apiVersion':'discovery.k8s.io/v1','kind':'EndpointSlice','metadata':{'name':'s1','namespace':'n',"
		"'labels':{'kubernetes.io/service-name':'s'}},'addressType':'IPv4','ports':[{'port':2}],"
		"'endpoints':[{'addresses':['fe80::1']},{'addresses':[]},{'addresses':[7]},{'addresses':['10.0.0.7']}]}",
	};

	(void)state;
	err_init(&e);
	for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
		json_t *o = testutil_json(objs[i]);

		assert_int_equal(store_add(s, o, &e), 0);
		json_decref(o);
	}
	store_view(s, &v);
	assert_int_equal(lbplan_build(&v, NULL, &p, &e), 0);
	assert_int_equal(p.n_frontends, 1);
	assert_int_equal(p.frontends[0].port, 81);
	assert_string_equal(p.frontends[0].source, "gateway n/g listener ok; TCPRoute n/r");
	/* the slice wins over the clusterIP; the IPv6 address of an IPv4 slice is dropped */
	assert_int_equal(p.frontends[0].n_backends, 1);
	assert_int_equal(p.frontends[0].backends[0].port, 2);
	assert_int_equal(p.frontends[0].backends[0].weight, LBPLAN_WEIGHT_SCALE);
	lbplan_free(&p);
	store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lbplan__tcp_and_udp_routes),
		cmocka_unit_test(test_lbplan__weights_keep_the_split),
		cmocka_unit_test(test_lbplan__http_only_when_allowed_and_plain),
		cmocka_unit_test(test_lbplan__only_accepted_routes_and_resolved_backends),
		cmocka_unit_test(test_lbplan__conflicts_oldest_wins),
		cmocka_unit_test(test_lbplan__empty_view),
		cmocka_unit_test(test_lbplan__malformed_objects_are_skipped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
