/*
 * test_conflict: XO-MATCH-CONFLICT. Routes are written as JSON with single quotes and
 * defaulted first, as the engine does; every scenario registers routes on listeners
 * and asserts which route is reported and where. The scale test registers 40,000
 * routes and checks counts only. route_match_key, the match key it shares with
 * WX-RULE-SHADOW, is checked against a reference built from jansson alone, over
 * generated matches and hand-picked ones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cluster.h"
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

/* ---- route_match_key against a reference made of jansson alone ---- */

/* The reference: the canonical copy (absent, null and [] members dropped, each list
 * member sorted by its elements' own json_dumps text) through json_dumps. It holds
 * where json_dumps and jwrite write the same text, which is everything the generator
 * below makes; where they differ (\u001F, reals) the hand-picked cases give the text. */
static char *ref_text(const json_t *v)
{
	char *t = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

	assert_non_null(t);
	return t;
}

struct ref_elem {
	char *text;
	json_t *v;
};

static int ref_elem_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ref_elem *)a)->text, ((const struct ref_elem *)b)->text);
}

static char *ref_key(const json_t *m)
{
	json_t *c = json_object(), *v;
	const char *key;
	char *text;

	assert_non_null(c);
	json_object_foreach((json_t *)m, key, v) {
		size_t n = json_array_size(v);
		struct ref_elem *e;
		json_t *set;

		if (json_is_null(v) || (json_is_array(v) && n == 0))
			continue;
		if (!json_is_array(v)) {
			assert_int_equal(json_object_set(c, key, v), 0);
			continue;
		}
		e = calloc(n, sizeof(*e));
		set = json_array();
		assert_non_null(e);
		assert_non_null(set);
		for (size_t i = 0; i < n; i++) {
			e[i].v = json_array_get(v, i);
			e[i].text = ref_text(e[i].v);
		}
		qsort(e, n, sizeof(*e), ref_elem_cmp);
		for (size_t i = 0; i < n; i++) {
			assert_int_equal(json_array_append(set, e[i].v), 0);
			free(e[i].text);
		}
		free(e);
		assert_int_equal(json_object_set_new(c, key, set), 0);
	}
	text = ref_text(c);
	json_decref(c);
	return text;
}

/* xorshift64: the same matches on every run */
static uint64_t rnd_state = 0x9e3779b97f4a7c15ULL;

static unsigned rnd(unsigned n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (unsigned)(rnd_state % n);
}

/* escapes, UTF-8, a string longer than the writer's 8-byte steps */
static const char *const GEN_STR[] = {
	"", "a", "b", "B", "0", "GET", "x-tenant", "tenant-0", "/api/v0/items", "PathPrefix",
	"Exact", "RegularExpression", "quo\"te", "back\\slash", "tab\tnl\ncr\r", "bs\bff\f",
	"ctl\x01\x02", "caf\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac", "a-value-longer-than-eight-bytes/with/more",
};
#define NGEN_STR (sizeof(GEN_STR) / sizeof(GEN_STR[0]))

static const char *const GEN_KEY[] = {
	"name", "value", "type", "a", "b", "", "k\"q", "\xc3\xa9", "n\nl", "Z",
};
#define NGEN_KEY (sizeof(GEN_KEY) / sizeof(GEN_KEY[0]))

static json_t *gen_str(void)
{
	unsigned i = rnd(NGEN_STR + 1);

	if (i == NGEN_STR)
		return json_stringn("nul\0in", 6);
	return json_string(GEN_STR[i]);
}

/* any value, nested up to depth 3 (numbers only where both writers agree) */
static json_t *gen_any(int depth)
{
	json_t *v;
	unsigned n;

	switch (rnd(depth < 3 ? 10 : 8)) {
	case 0: return json_integer(rnd(3) == 0 ? -7 : (json_int_t)rnd(3) * 1234567890123LL);
	case 1: return json_real(rnd(2) ? 0.5 : -2.25);
	case 2: return json_true();
	case 3: return json_false();
	case 4: return json_null();
	case 8:
		v = json_array();
		n = rnd(4);
		for (unsigned i = 0; i < n; i++)
			json_array_append_new(v, gen_any(depth + 1));
		return v;
	case 9:
		v = json_object();
		n = rnd(4);
		for (unsigned i = 0; i < n; i++)
			json_object_set_new(v, GEN_KEY[rnd(NGEN_KEY)], gen_any(depth + 1));
		return v;
	default: return gen_str();
	}
}

/* a header or query param, members in any order; now and then anything else */
static json_t *gen_elem(void)
{
	static const char *const names[] = { "name", "value", "type" };
	json_t *e;
	unsigned first;

	if (rnd(10) < 3)
		return gen_any(1);
	e = json_object();
	first = rnd(3);
	for (unsigned i = 0; i < 3; i++) {
		const char *k = names[(first + i) % 3];

		if (strcmp(k, "type") == 0 && rnd(2))
			continue;
		json_object_set_new(e, k, gen_str());
	}
	return e;
}

/* 0 to 4 elements, some of them duplicates (the same value or an equal copy) */
static json_t *gen_list(void)
{
	json_t *l = json_array();
	unsigned n = rnd(5);

	for (unsigned i = 0; i < n; i++) {
		if (i > 0 && rnd(4) == 0) {
			json_t *prev = json_array_get(l, rnd(i));

			json_array_append_new(l, rnd(2) ? json_incref(prev) : json_deep_copy(prev));
		} else {
			json_array_append_new(l, gen_elem());
		}
	}
	return l;
}

static json_t *gen_path(void)
{
	json_t *p = json_object();

	if (rnd(8) == 0) {
		json_decref(p);
		return gen_any(1);
	}
	if (rnd(2)) {
		json_object_set_new(p, "type", gen_str());
		json_object_set_new(p, "value", gen_str());
	} else {
		json_object_set_new(p, "value", gen_str());
		json_object_set_new(p, "type", gen_str());
	}
	return p;
}

/* A match: HTTPRoute's members, gRPC's method object, odd extra members; each member
 * absent, null, [] or a value, inserted in a random order. */
static json_t *gen_match(void)
{
	static const char *const keys[] = { "path", "headers", "queryParams", "method", "k\"ey", "\xc3\xbcml", "" };
	unsigned order[7];
	json_t *m = json_object();

	for (unsigned i = 0; i < 7; i++)
		order[i] = i;
	for (unsigned i = 7; i > 1; i--) {
		unsigned j = rnd(i), t = order[i - 1];

		order[i - 1] = order[j];
		order[j] = t;
	}
	for (unsigned i = 0; i < 7; i++) {
		unsigned k = order[i], how = rnd(k >= 4 ? 12 : 5);
		json_t *v;

		if (how == 0 || how >= 5)
			continue;
		if (how == 1) {
			v = json_null();
		} else if (how == 2) {
			v = json_array();
		} else if (k == 1 || k == 2 || k == 5) {
			v = gen_list();
		} else if (k == 0) {
			v = gen_path();
		} else if (k == 3 && how == 4) {
			v = json_object();
			json_object_set_new(v, "service", gen_str());
			json_object_set_new(v, "method", gen_str());
		} else {
			v = gen_any(1);
		}
		json_object_set_new(m, keys[k], v);
	}
	return m;
}

/* m with its members inserted in reverse and every list reversed: the same match */
static json_t *reversed(const json_t *m)
{
	const char *keys[16];
	json_t *vals[16], *out = json_object(), *v;
	const char *key;
	size_t n = 0;

	json_object_foreach((json_t *)m, key, v) {
		assert_true(n < 16);
		keys[n] = key;
		vals[n++] = v;
	}
	while (n-- > 0) {
		v = vals[n];
		if (json_is_array(v)) {
			json_t *r = json_array();

			for (size_t i = json_array_size(v); i-- > 0;)
				json_array_append(r, json_array_get(v, i));
			json_object_set_new(out, keys[n], r);
		} else {
			json_object_set(out, keys[n], v);
		}
	}
	return out;
}

static void expect_key(const json_t *m, const char *want)
{
	char *got;

	assert_int_equal(route_match_key(m, &got), 0);
	assert_non_null(got);
	if (strcmp(got, want) != 0)
		fail_msg("key\n  %s\nwant\n  %s", got, want);
	free(got);
}

/* Generated matches: the key is the reference's text, and the same for the match
 * written in another order. */
static void test_route_match_key__generated(void **state)
{
	(void)state;
	for (int i = 0; i < 600; i++) {
		json_t *m = gen_match(), *r = reversed(m);
		char *want = ref_key(m);

		expect_key(m, want);
		expect_key(r, want);
		free(want);
		json_decref(r);
		json_decref(m);
	}
}

/* Every byte that needs escaping (and some that do not) at every offset around the
 * 8-byte steps of the scan, in keys and values of every length up to 20. */
static void test_route_match_key__strings(void **state)
{
	static const unsigned char special[] = { 0x00, 0x01, 0x0a, '"', '\\', 0x20, 0x7f, 0xc3 };

	(void)state;
	for (size_t len = 1; len <= 20; len++) {
		for (size_t at = 0; at < len; at++) {
			for (size_t k = 0; k < sizeof(special); k++) {
				char in[24];
				json_t *m;
				char *want;

				for (size_t i = 0; i < len; i++)
					in[i] = (char)('a' + i % 26);
				in[len] = '\0';
				in[at] = (char)special[k];
				if (special[k] == 0xc3) { /* a whole UTF-8 sequence: "\xc3\xa9" */
					if (at + 1 >= len)
						continue;
					in[at + 1] = (char)0xa9;
				}
				m = json_object();
				json_object_set_new(m, "value", json_stringn(in, len));
				if (special[k] != 0x00)
					json_object_set_new(m, in, json_pack("[s,s]", in, "z"));
				want = ref_key(m);
				expect_key(m, want);
				free(want);
				json_decref(m);
			}
		}
	}
}

/* Larger than any real match: more than 16 members, more than 16 elements, a key
 * longer than a few hundred bytes. */
static void test_route_match_key__large(void **state)
{
	json_t *m = json_object(), *h = json_array();
	char name[16], *want;

	(void)state;
	for (int i = 0; i < 40; i++) {
		json_t *e = json_object();

		snprintf(name, sizeof(name), "h%02d", (i * 7) % 23);
		json_object_set_new(e, "value", json_string(i % 3 ? "v" : "a-value-longer-than-eight-bytes"));
		json_object_set_new(e, "name", json_string(name));
		json_array_append_new(h, e);
	}
	json_object_set_new(m, "headers", h);
	for (int i = 19; i >= 0; i--) {
		json_t *l = json_array();

		snprintf(name, sizeof(name), "m%02d", i);
		for (int k = 3; k > 0; k--)
			json_array_append_new(l, json_integer(k * i));
		json_object_set_new(m, name, l);
	}
	want = ref_key(m);
	assert_true(strlen(want) > 1000);
	expect_key(m, want);
	free(want);
	json_decref(m);
}

/* a string at depth n (the match is depth 0) under path, by objects or arrays */
static json_t *nested(int n, bool arrays, const char *member)
{
	json_t *v = json_string("x"), *m = json_object();

	for (int i = 1; i < n; i++) {
		json_t *w = arrays ? json_array() : json_object();

		if (arrays)
			json_array_append_new(w, v);
		else
			json_object_set_new(w, "a", v);
		v = w;
	}
	json_object_set_new(m, member, v);
	return m;
}

/* Hand-picked: what is dropped, what is kept, jwrite's text where json_dumps's
 * differs, and the depth cap (32 levels below the match; deeper gets no key, like a
 * malformed match: it is not an allocation failure). */
static void test_route_match_key__edges(void **state)
{
	json_t *m, *e;
	char *k;

	(void)state;
	expect_key(NULL, "{}");
	m = J("{}");
	expect_key(m, "{}");
	json_decref(m);
	m = J("{'path':null,'headers':[],'queryParams':null}");
	expect_key(m, "{}");
	json_decref(m);
	/* only the match's own members are sets: nested lists keep their order and
	 * nested empties stay */
	m = J("{'headers':[{'v':['b','a'],'n':null,'e':[]},'s'],'path':{'value':'/','type':'Exact'}}");
	expect_key(m, "{\"headers\":[\"s\",{\"e\":[],\"n\":null,\"v\":[\"b\",\"a\"]}],\"path\":{\"type\":\"Exact\",\"value\":\"/\"}}");
	json_decref(m);
	/* duplicates stay, also the same value twice */
	m = J("{'headers':[{'name':'b'},{'name':'a'}]}");
	e = json_array_get(json_object_get(m, "headers"), 0);
	json_array_append(json_object_get(m, "headers"), e);
	expect_key(m, "{\"headers\":[{\"name\":\"a\"},{\"name\":\"b\"},{\"name\":\"b\"}]}");
	json_decref(m);
	/* a one-element list is written as it is, a scalar member too */
	m = J("{'method':'GET','queryParams':[{'value':'1','name':'v'}],'x':true,'y':false,'z':-3}");
	expect_key(m, "{\"method\":\"GET\",\"queryParams\":[{\"name\":\"v\",\"value\":\"1\"}],\"x\":true,\"y\":false,\"z\":-3}");
	json_decref(m);
	/* keys and values that need escaping; jwrite writes \u001f where json_dumps
	 * writes \u001F, and reals as %.17g (2, e+300) where json_dumps writes 2.0 and
	 * e300: the key has always been jwrite's text */
	m = json_object();
	json_object_set_new(m, "k\"e\\y\n", json_string("\x1f\x0b"));
	json_object_set_new(m, "r", json_pack("[f,f,f]", 1e300, 2.0, 0.5));
	json_object_set_new(m, "s", json_pack("[s,s]", "\x1f", "\x0b"));
	json_object_set_new(m, "\xc3\xa9", json_stringn("a\0b", 3));
	expect_key(m, "{\"k\\\"e\\\\y\\n\":\"\\u001f\\u000b\",\"r\":[0.5,1.0000000000000001e+300,2],"
		      "\"s\":[\"\\u000b\",\"\\u001f\"],\"\xc3\xa9\":\"a\\u0000b\"}");
	json_decref(m);
	/* one text a prefix of another: the shorter first, as strcmp orders them */
	m = J("{'x':[12,1,'a',0.5,0,1]}");
	expect_key(m, "{\"x\":[\"a\",0,0.5,1,1,12]}");
	json_decref(m);
	/* not an object: no key, no error */
	m = J("['x',{}]");
	assert_int_equal(route_match_key(json_array_get(m, 0), &k), 0);
	assert_null(k);
	json_decref(m);
	/* 32 levels below the match are written, 33 get no key (and no error): nested
	 * objects, and nested lists in a one-element list and in a set */
	for (int shape = 0; shape < 3; shape++) {
		for (int deep = 31; deep <= 34; deep++) {
			const char *member = shape ? "headers" : "path";

			m = nested(deep, shape > 0, member);
			if (shape == 2)
				json_array_append_new(json_object_get(m, member), json_string("y"));
			k = (char *)1;
			if (deep <= 32) {
				assert_int_equal(route_match_key(m, &k), 0);
				assert_non_null(k);
				free(k);
			} else {
				assert_int_equal(route_match_key(m, &k), 0);
				assert_null(k);
			}
			json_decref(m);
		}
	}
}

/*
 * A hostname one route alone has offered holds no claims until a second route comes
 * (conflict.c). Route a offers foo (alone) then bar (where c already is); b, older,
 * then comes to foo and to bar. a loses both, and its report must still follow the
 * order in which a offered them (foo's match before bar's, rule 0 before rule 1), not
 * the order in which the claims were made; on another listener a stays alone, and
 * nothing is reported there.
 */
static void test_conflict_report__late_second_route_keeps_order(void **state)
{
	struct fx *f = *state;
	const char *rules = "[{'matches':[{'path':{'type':'Exact','value':'/a'}}]},"
			    "{'matches':[{'path':{'type':'Exact','value':'/b'}}]}]";
	size_t c = add(f, "c", TS2, "['bar.example.com']", rules);
	size_t a = add(f, "a", TS2, "['foo.example.com','bar.example.com']", rules);
	size_t a2 = add_on(f, mk(KIND_HTTPROUTE, "alone", TS2, "['foo.example.com']", rules), KIND_HTTPROUTE,
			   "infra/gw/https", NULL);
	size_t b = add(f, "b", TS1, "['foo.example.com','bar.example.com']", rules);

	assert_int_equal(report(f, b), 0);
	assert_int_equal(report(f, a2), 0);
	assert_int_equal(report(f, c), 2); /* loses /a and /b on bar to b */
	assert_int_equal(report(f, a), 4);
	assert_string_equal(f->fs.v[0].field, "spec.rules[0].matches[0]");
	contains(f->fs.v[0].message, "hostname foo.example.com");
	contains(f->fs.v[0].message, "route apps/b");
	assert_string_equal(f->fs.v[1].field, "spec.rules[0].matches[0]");
	contains(f->fs.v[1].message, "hostname bar.example.com");
	assert_string_equal(f->fs.v[2].field, "spec.rules[1].matches[0]");
	contains(f->fs.v[2].message, "hostname foo.example.com");
	contains(f->fs.v[2].message, "path Exact /b");
	assert_string_equal(f->fs.v[3].field, "spec.rules[1].matches[0]");
	contains(f->fs.v[3].message, "hostname bar.example.com");
	contains(f->fs.v[3].message, "route apps/b");
}

/*
 * A source (conflict_set_source): the index keeps nothing of a route and asks for it
 * again when another route contests its matches, as check does with the routes it
 * keeps as text. The late-second-route scenario above, HTTP and gRPC, routes whole and
 * pruned (cluster_prune_route), with and without a source: the same findings in the
 * same order. add_on frees each route right after adding it, so the sanitizer build
 * sees any pointer the index kept; the source makes each route anew.
 */
static const char *const late_names[] = { "c", "a", "alone", "b" };
static const char *const late_hosts[] = { "['bar.example.com']", "['foo.example.com','bar.example.com']",
					   "['foo.example.com']", "['foo.example.com','bar.example.com']" };

struct late {
	enum kind k;
	bool prune;
	size_t fetched[4];
};

static json_t *late_route(const struct late *l, size_t i)
{
	const char *rules = l->k == KIND_GRPCROUTE ?
		"[{'matches':[{'method':{'service':'s.A','method':'Get'}}]},{'matches':[{'method':{'service':'s.B'}}]}]" :
		"[{'matches':[{'path':{'type':'Exact','value':'/a'}},{'method':'GET'}]},"
		"{'matches':[{'path':{'type':'Exact','value':'/b'}}]}]";
	json_t *o = mk(l->k, late_names[i], i == 3 ? TS1 : TS2, late_hosts[i], rules);

	if (l->prune)
		assert_int_equal(cluster_prune_route(o), 0);
	return o;
}

static json_t *late_fetch(void *ud, size_t route_id)
{
	struct late *l = ud;

	assert_true(route_id < 4);
	l->fetched[route_id]++;
	return late_route(l, route_id);
}

static void late_scenario(struct late *l, bool source, char *out, size_t outlen)
{
	struct fx f = { .ci = conflict_new() };
	size_t ids[4], at = 0;

	assert_non_null(f.ci);
	findings_init(&f.fs, NULL);
	if (source)
		conflict_set_source(f.ci, late_fetch, l);
	for (size_t i = 0; i < 4; i++)
		ids[i] = add_on(&f, late_route(l, i), l->k, i == 2 ? "infra/gw/https" : LST, NULL);
	out[0] = '\0';
	for (size_t i = 0; i < 4; i++) {
		report(&f, ids[i]);
		for (size_t j = 0; j < f.fs.n; j++)
			at += (size_t)snprintf(out + at, outlen - at, "%s|%s|%s\n", late_names[i], f.fs.v[j].field,
					       f.fs.v[j].message);
		assert_true(at < outlen);
	}
	conflict_free(f.ci);
	findings_release(&f.fs);
}

static void test_conflict_report__source_same(void **state)
{
	static const enum kind kinds[] = { KIND_HTTPROUTE, KIND_GRPCROUTE };
	char held[8192], asked[8192];

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		struct late l = { .k = kinds[i / 2], .prune = i % 2 };

		late_scenario(&l, false, held, sizeof(held));
		assert_int_equal(l.fetched[0] + l.fetched[1] + l.fetched[2] + l.fetched[3], 0);
		late_scenario(&l, true, asked, sizeof(asked));
		assert_string_equal(held, asked);
		/* c loses every match on bar to b, a every match on foo and bar */
		contains(asked, "c|spec.rules[0].matches[0]|");
		contains(asked, "a|spec.rules[1].matches[0]|");
		assert_null(strstr(asked, "b|"));
		assert_null(strstr(asked, "alone|"));
		/* asked once each when contested; "alone" never is */
		assert_int_equal(l.fetched[0], 1);
		assert_int_equal(l.fetched[1], 1);
		assert_int_equal(l.fetched[2], 0);
		assert_int_equal(l.fetched[3], 1);
	}
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
		T(test_conflict_report__late_second_route_keeps_order),
		T(test_conflict_report__source_same),
		T(test_conflict_report__capped),
		T(test_conflict_report__unknown_route),
		T(test_conflict_add__other_kind_ignored),
		T(test_conflict_report__l4_routes_share_listener),
		T(test_conflict_report__scale),
		T(test_route_match_key__canonical),
		T(test_route_match_key__generated),
		T(test_route_match_key__strings),
		T(test_route_match_key__large),
		T(test_route_match_key__edges),
	};

	return cmocka_run_group_tests_name("conflict", tests, NULL, NULL);
}
