/*
 * test_conflict: XO-MATCH-CONFLICT. Routes are written as JSON with single quotes and
 * defaulted first, as the engine does; every scenario registers routes on listeners
 * and asserts which route is reported and where. The scale test registers 40,000
 * routes and checks counts only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "conflict.h"
#include "defaults.h"
#include "err.h"
#include "findings.h"
#include "kind.h"
#include "route_int.h"
#include "rules.h"
#include "testutil.h"

#define NOBJ 64

struct fx {
	struct conflict_index *ci;
	size_t nobj;                /* routes added (each freed right after conflict_add) */
	struct findings fs;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->ci = conflict_new();
	assert_non_null(f->ci);
	findings_init(&f->fs, NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	conflict_free(f->ci);
	findings_release(&f->fs);
	free(f);
	return 0;
}

#define J testutil_json

/* A defaulted route in namespace apps: ts NULL = no creationTimestamp, hosts a JSON
 * list or NULL, rules a JSON list or NULL (the defaulted catch-all). */
static json_t *mk(enum kind k, const char *name, const char *ts, const char *hosts, const char *rules)
{
	char buf[2048];
	char tsbuf[96] = "";
	json_t *o;

	if (ts != NULL)
		snprintf(tsbuf, sizeof(tsbuf), ",'creationTimestamp':'%s'", ts);
	snprintf(buf, sizeof(buf),
		 "{'apiVersion':'gateway.networking.k8s.io/v1','kind':'%s',"
		 "'metadata':{'name':'%s','namespace':'apps'%s},"
		 "'spec':{'parentRefs':[{'name':'gw','namespace':'infra'}]%s%s%s%s}}",
		 k == KIND_GRPCROUTE ? "GRPCRoute" : "HTTPRoute", name, tsbuf,
		 hosts ? ",'hostnames':" : "", hosts ? hosts : "", rules ? ",'rules':" : "",
		 rules ? rules : "");
	o = J(buf);
	assert_int_equal(defaults_apply(k, o), 0);
	return o;
}

/* Register a route (id = registration order) on listener; returns its id. */
static size_t add_on(struct fx *f, json_t *o, enum kind k, const char *listener, const char *lhost)
{
	size_t id = f->nobj;

	assert_true(f->nobj < NOBJ);
	f->nobj++;
	assert_int_equal(conflict_add(f->ci, id, k, o, listener, lhost), 0);
	/* the index must not need the route after conflict_add: free it now, so the
	 * sanitizer build catches any pointer the index kept into it */
	json_decref(o);
	return id;
}

#define LST "infra/gw/http"

static size_t add(struct fx *f, const char *name, const char *ts, const char *hosts, const char *rules)
{
	return add_on(f, mk(KIND_HTTPROUTE, name, ts, hosts, rules), KIND_HTTPROUTE, LST, NULL);
}

/* the findings conflict_report gives route id (fresh list each time) */
static size_t report(struct fx *f, size_t id)
{
	findings_release(&f->fs);
	findings_init(&f->fs, NULL);
	conflict_report(f->ci, id, &f->fs);
	for (size_t i = 0; i < f->fs.n; i++) {
		assert_string_equal(f->fs.v[i].rule, "XO-MATCH-CONFLICT");
		assert_int_equal(f->fs.v[i].sev, SEV_WARNING);
	}
	return f->fs.n;
}

static void contains(const char *s, const char *want)
{
	if (strstr(s, want) == NULL)
		fail_msg("\"%s\" not in \"%s\"", want, s);
}

#define PATH_A "[{'matches':[{'path':{'type':'Exact','value':'/a'}}]}]"
#define TS1 "2024-01-01T00:00:00Z"
#define TS2 "2024-02-01T00:00:00Z"

static void test_conflict_report__older_wins(void **state)
{
	struct fx *f = *state;
	size_t newer = add(f, "a-newer", TS2, "['foo.example.com']", PATH_A);
	size_t older = add(f, "z-older", TS1, "['foo.example.com']", PATH_A);

	assert_int_equal(report(f, older), 0);
	assert_int_equal(report(f, newer), 1);
	assert_string_equal(f->fs.v[0].field, "spec.rules[0].matches[0]");
	contains(f->fs.v[0].message, "route apps/z-older");
	contains(f->fs.v[0].message, "hostname foo.example.com");
	contains(f->fs.v[0].message, "path Exact /a");
	contains(f->fs.v[0].message, "listener " LST);
	contains(f->fs.v[0].message, "it is older");
}

static void test_conflict_report__tie_name_order(void **state)
{
	struct fx *f = *state;
	size_t b = add(f, "b", TS1, "['foo.example.com']", PATH_A);
	size_t a = add(f, "a", TS1, "['foo.example.com']", PATH_A);

	assert_int_equal(report(f, a), 0);
	assert_int_equal(report(f, b), 1);
	contains(f->fs.v[0].message, "route apps/a");
	contains(f->fs.v[0].message, "comes first by namespace/name");
}

static void test_conflict_report__different_hostnames(void **state)
{
	struct fx *f = *state;
	size_t a = add(f, "a", TS1, "['foo.example.com']", PATH_A);
	size_t b = add(f, "b", TS2, "['bar.example.com']", PATH_A);

	assert_int_equal(report(f, a), 0);
	assert_int_equal(report(f, b), 0);
}

static void test_conflict_report__inherits_listener_hostname(void **state)
{
	struct fx *f = *state;
	json_t *o1 = mk(KIND_HTTPROUTE, "a", TS1, NULL, PATH_A);
	json_t *o2 = mk(KIND_HTTPROUTE, "b", TS2, "['foo.example.com']", PATH_A);
	size_t a = add_on(f, o1, KIND_HTTPROUTE, LST, "foo.example.com");
	size_t b = add_on(f, o2, KIND_HTTPROUTE, LST, "foo.example.com");

	assert_int_equal(report(f, a), 0);
	assert_int_equal(report(f, b), 1);
	contains(f->fs.v[0].message, "route apps/a");
}

static void test_conflict_report__wildcard_listener_same_precise(void **state)
{
	struct fx *f = *state;
	json_t *o1 = mk(KIND_HTTPROUTE, "a", TS1, "['x.example.com']", PATH_A);
	json_t *o2 = mk(KIND_HTTPROUTE, "b", TS2, "['x.example.com']", PATH_A);
	json_t *o3 = mk(KIND_HTTPROUTE, "c", TS2, "['y.example.com']", PATH_A);
	size_t a = add_on(f, o1, KIND_HTTPROUTE, LST, "*.example.com");
	size_t b = add_on(f, o2, KIND_HTTPROUTE, LST, "*.example.com");
	size_t c = add_on(f, o3, KIND_HTTPROUTE, LST, "*.example.com");

	assert_int_equal(report(f, a), 0);
	assert_int_equal(report(f, b), 1);
	contains(f->fs.v[0].message, "hostname x.example.com");
	assert_int_equal(report(f, c), 0);
}

/* a route wildcard wider than the listener's narrows to the listener's */
static void test_conflict_report__wider_wildcard_becomes_listener(void **state)
{
	struct fx *f = *state;
	json_t *o1 = mk(KIND_HTTPROUTE, "a", TS1, "['*.com']", PATH_A);
	json_t *o2 = mk(KIND_HTTPROUTE, "b", TS2, "['*.example.com']", PATH_A);
	json_t *o3 = mk(KIND_HTTPROUTE, "c", TS2, "['*.x.example.com']", PATH_A);
	size_t a = add_on(f, o1, KIND_HTTPROUTE, LST, "*.example.com");
	size_t b = add_on(f, o2, KIND_HTTPROUTE, LST, "*.example.com");
	size_t c = add_on(f, o3, KIND_HTTPROUTE, LST, "*.example.com");

	assert_int_equal(report(f, a), 0);
	assert_int_equal(report(f, b), 1);
	contains(f->fs.v[0].message, "hostname *.example.com");
	assert_int_equal(report(f, c), 0);
}

static void test_conflict_report__no_hostnames_anywhere(void **state)
{
	struct fx *f = *state;
	size_t a = add(f, "a", TS1, NULL, NULL);
	size_t b = add(f, "b", TS2, NULL, NULL);

	assert_int_equal(report(f, a), 0);
	assert_int_equal(report(f, b), 1);
	contains(f->fs.v[0].message, "hostname *");
	contains(f->fs.v[0].message, "path PathPrefix /");
}

static void test_conflict_report__different_listeners(void **state)
{
	struct fx *f = *state;
	json_t *o1 = mk(KIND_HTTPROUTE, "a", TS1, "['foo.example.com']", PATH_A);
	json_t *o2 = mk(KIND_HTTPROUTE, "b", TS2, "['foo.example.com']", PATH_A);
	size_t a = add_on(f, o1, KIND_HTTPROUTE, "infra/gw/http", NULL);
	size_t b = add_on(f, o2, KIND_HTTPROUTE, "infra/gw/https", NULL);

	assert_int_equal(report(f, a), 0);
	assert_int_equal(report(f, b), 0);
}

static void test_conflict_report__exact_vs_prefix(void **state)
{
	struct fx *f = *state;
	size_t a = add(f, "a", TS1, NULL, PATH_A);
	size_t b = add(f, "b", TS2, NULL, "[{'matches':[{'path':{'type':'PathPrefix','value':'/a'}}]}]");

	assert_int_equal(report(f, a), 0);
	assert_int_equal(report(f, b), 0);
}

static void test_conflict_report__header_order_irrelevant(void **state)
{
	struct fx *f = *state;
	size_t a = add(f, "a", TS1, NULL,
		       "[{'matches':[{'headers':[{'name':'x-a','value':'1'},{'name':'x-b','value':'2'}]}]}]");
	size_t b = add(f, "b", TS2, NULL,
		       "[{'matches':[{'path':{'type':'PathPrefix','value':'/'},"
		       "'headers':[{'name':'x-b','value':'2','type':'Exact'},{'name':'x-a','value':'1'}]}]}]");

	assert_int_equal(report(f, a), 0);
	assert_int_equal(report(f, b), 1);
	/* the match is described in its canonical form: header names sorted */
	contains(f->fs.v[0].message, "headers x-a, x-b");
}

static void test_conflict_report__grpc_vs_http(void **state)
{
	struct fx *f = *state;
	json_t *g = mk(KIND_GRPCROUTE, "a", TS1, NULL, "[{}]");
	size_t h = add(f, "b", TS2, NULL, NULL);
	size_t gid = add_on(f, g, KIND_GRPCROUTE, LST, NULL);

	assert_int_equal(report(f, h), 0);
	assert_int_equal(report(f, gid), 0);
}

static void test_conflict_report__grpc_same_method(void **state)
{
	struct fx *f = *state;
	json_t *o1 = mk(KIND_GRPCROUTE, "a", TS1, NULL,
			"[{'matches':[{'method':{'service':'pkg.Svc','method':'Get'}}]},{}]");
	json_t *o2 = mk(KIND_GRPCROUTE, "b", TS2, NULL,
			"[{'matches':[{'method':{'type':'Exact','service':'pkg.Svc','method':'Get'}}]},"
			"{'matches':[]}]");
	size_t a = add_on(f, o1, KIND_GRPCROUTE, LST, NULL);
	size_t b = add_on(f, o2, KIND_GRPCROUTE, LST, NULL);

	assert_int_equal(report(f, a), 0);
	assert_int_equal(report(f, b), 2);
	assert_string_equal(f->fs.v[0].field, "spec.rules[0].matches[0]");
	contains(f->fs.v[0].message, "method Exact pkg.Svc/Get");
	assert_string_equal(f->fs.v[1].field, "spec.rules[1]");
	contains(f->fs.v[1].message, "catch-all");
	contains(f->fs.v[1].message, "at its spec.rules[1] ");
}

static void test_conflict_report__missing_timestamp_loses(void **state)
{
	struct fx *f = *state;
	size_t a = add(f, "a", NULL, NULL, PATH_A);
	size_t z = add(f, "z", TS2, NULL, PATH_A);

	assert_int_equal(report(f, z), 0);
	assert_int_equal(report(f, a), 1);
	contains(f->fs.v[0].message, "route apps/z");
	contains(f->fs.v[0].message, "no creationTimestamp");
}

/* identical matches inside one route are WX-RULE-SHADOW's; reported once per claim */
static void test_conflict_report__own_duplicates_ignored(void **state)
{
	struct fx *f = *state;
	size_t b = add(f, "b", TS2, "['foo.example.com','*.example.com']",
		       "[{'matches':[{'path':{'type':'Exact','value':'/a'}}]}," PATH_A "]");

	assert_int_equal(report(f, b), 0);
	(void)add(f, "a", TS1, "['foo.example.com']", PATH_A);
	assert_int_equal(report(f, b), 1);
	assert_string_equal(f->fs.v[0].field, "spec.rules[0].matches[0]");
}

/* a route overtaken between two registrations on one listener is reported once */
static void test_conflict_report__registered_twice(void **state)
{
	struct fx *f = *state;
	json_t *o = mk(KIND_HTTPROUTE, "b", TS2, NULL, PATH_A);
	size_t b = add_on(f, json_incref(o), KIND_HTTPROUTE, LST, NULL);

	(void)add(f, "a", TS1, NULL, PATH_A);
	assert_int_equal(conflict_add(f->ci, b, KIND_HTTPROUTE, o, LST, NULL), 0);
	json_decref(o);
	assert_int_equal(report(f, b), 1);
}

static void test_conflict_report__capped(void **state)
{
	struct fx *f = *state;
	char rules[1024] = "[{'matches':[";
	size_t at = strlen(rules), a, b;

	for (int i = 0; i < 11; i++)
		at += (size_t)snprintf(rules + at, sizeof(rules) - at, "%s{'path':{'type':'Exact','value':'/%d'}}",
				       i ? "," : "", i);
	snprintf(rules + at, sizeof(rules) - at, "]}]");
	a = add(f, "a", TS1, NULL, rules);
	b = add(f, "b", TS2, NULL, rules);
	assert_int_equal(report(f, a), 0);
	assert_int_equal(report(f, b), CONFLICT_REPORT_MAX + 1);
	assert_string_equal(f->fs.v[CONFLICT_REPORT_MAX].field, "spec.rules");
	contains(f->fs.v[CONFLICT_REPORT_MAX].message, "and 3 more");
}

static void test_conflict_report__unknown_route(void **state)
{
	struct fx *f = *state;

	assert_int_equal(report(f, 42), 0);
}

static void test_conflict_add__other_kind_ignored(void **state)
{
	struct fx *f = *state;
	json_t *o = mk(KIND_HTTPROUTE, "a", TS1, NULL, NULL);

	assert_int_equal(conflict_add(f->ci, 7, KIND_GATEWAY, o, LST, NULL), 0);
	json_decref(o);
	assert_int_equal(report(f, 7), 0);
}

/* TCPRoute/UDPRoute: no hostnames or matches, so any two of a kind on one listener
 * conflict (the older wins); a TCPRoute and a UDPRoute, or other listeners, do not. */
static json_t *mk_l4(const char *kind, const char *name, const char *ts)
{
	char buf[512];
	json_t *o;

	snprintf(buf, sizeof(buf),
		 "{'apiVersion':'gateway.networking.k8s.io/v1alpha2','kind':'%s',"
		 "'metadata':{'name':'%s','namespace':'apps','creationTimestamp':'%s'},"
		 "'spec':{'parentRefs':[{'name':'gw','namespace':'infra'}],"
		 "'rules':[{'backendRefs':[{'name':'s','port':1}]}]}}",
		 kind, name, ts);
	o = J(buf);
	assert_int_equal(defaults_apply(strcmp(kind, "TCPRoute") == 0 ? KIND_TCPROUTE : KIND_UDPROUTE, o), 0);
	return o;
}

static void test_conflict_report__l4_routes_share_listener(void **state)
{
	struct fx *f = *state;
	size_t young = add_on(f, mk_l4("TCPRoute", "young", TS2), KIND_TCPROUTE, "infra/gw/tcp", NULL);
	size_t old = add_on(f, mk_l4("TCPRoute", "old", TS1), KIND_TCPROUTE, "infra/gw/tcp", NULL);
	size_t udp = add_on(f, mk_l4("UDPRoute", "udp", TS2), KIND_UDPROUTE, "infra/gw/tcp", NULL);
	size_t other = add_on(f, mk_l4("TCPRoute", "other", TS2), KIND_TCPROUTE, "infra/gw/tcp2", NULL);

	assert_int_equal(report(f, old), 0);
	assert_int_equal(report(f, udp), 0);
	assert_int_equal(report(f, other), 0);
	assert_int_equal(report(f, young), 1);
	assert_string_equal(f->fs.v[0].field, "spec.parentRefs");
	contains(f->fs.v[0].message, "TCPRoute apps/old is attached to listener infra/gw/tcp too and wins");
	contains(f->fs.v[0].message, "it is older");
}

/* 40,000 routes on one listener: pairs share a hostname and a match (the odd one of
 * each pair is newer and loses), and every route has a second, unique match. */
#define SCALE 40000

static void test_conflict_report__scale(void **state)
{
	struct fx *f = *state;
	json_t **v = calloc(SCALE, sizeof(*v));
	size_t losers = 0, findings = 0;

	(void)f;
	assert_non_null(v);
	for (size_t i = 0; i < SCALE; i++) {
		char name[32], host[64], rules[256];

		snprintf(name, sizeof(name), "r%05zu", i);
		snprintf(host, sizeof(host), "['h%zu.example.com']", i / 2);
		snprintf(rules, sizeof(rules),
			 "[{'matches':[{'path':{'type':'PathPrefix','value':'/api'}},"
			 "{'path':{'type':'Exact','value':'/only/%zu'}}]}]", i);
		v[i] = mk(KIND_HTTPROUTE, name, i % 2 ? TS2 : TS1, host, rules);
		assert_int_equal(conflict_add(f->ci, i, KIND_HTTPROUTE, v[i], "infra/gw/https", "*.example.com"), 0);
	}
	for (size_t i = 0; i < SCALE; i++) {
		size_t n = report(f, i);

		findings += n;
		losers += n > 0;
		if (n > 0)
			assert_true(i % 2 == 1);
	}
	assert_int_equal(losers, SCALE / 2);
	assert_int_equal(findings, SCALE / 2);
	conflict_free(f->ci);
	f->ci = NULL;
	for (size_t i = 0; i < SCALE; i++)
		json_decref(v[i]);
	free(v);
}

/* the shared canonical key: defaulted members, set order and empty members */
static void test_route_match_key__canonical(void **state)
{
	json_t *a = J("{'path':{'value':'/','type':'PathPrefix'},'headers':[{'name':'b','value':'2'},{'name':'a','value':'1'}],'queryParams':[]}");
	json_t *b = J("{'headers':[{'value':'1','name':'a'},{'name':'b','value':'2'}],'path':{'type':'PathPrefix','value':'/'}}");
	json_t *bad = J("['x']");
	char *ka, *kb, *kn;

	(void)state;
	assert_int_equal(route_match_key(a, &ka), 0);
	assert_int_equal(route_match_key(b, &kb), 0);
	assert_string_equal(ka, kb);
	assert_int_equal(route_match_key(NULL, &kn), 0);
	assert_string_equal(kn, "{}");
	free(ka);
	free(kb);
	free(kn);
	assert_int_equal(route_match_key(json_array_get(bad, 0), &ka), 0);
	assert_null(ka);
	json_decref(bad);
	json_decref(a);
	json_decref(b);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_conflict_report__older_wins),
		T(test_conflict_report__tie_name_order),
		T(test_conflict_report__different_hostnames),
		T(test_conflict_report__inherits_listener_hostname),
		T(test_conflict_report__wildcard_listener_same_precise),
		T(test_conflict_report__wider_wildcard_becomes_listener),
		T(test_conflict_report__no_hostnames_anywhere),
		T(test_conflict_report__different_listeners),
		T(test_conflict_report__exact_vs_prefix),
		T(test_conflict_report__header_order_irrelevant),
		T(test_conflict_report__grpc_vs_http),
		T(test_conflict_report__grpc_same_method),
		T(test_conflict_report__missing_timestamp_loses),
		T(test_conflict_report__own_duplicates_ignored),
		T(test_conflict_report__registered_twice),
		T(test_conflict_report__capped),
		T(test_conflict_report__unknown_route),
		T(test_conflict_add__other_kind_ignored),
		T(test_conflict_report__l4_routes_share_listener),
		T(test_conflict_report__scale),
		T(test_route_match_key__canonical),
	};

	return cmocka_run_group_tests_name("conflict", tests, NULL, NULL);
}
