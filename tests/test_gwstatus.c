/*
 * test_gwstatus: the Gateway side of the cross-object checks. Every XO-CERT-* finding
 * has a cluster that passes and one that fails; the listener status (supportedKinds,
 * Accepted, ResolvedRefs, Conflicted, Programmed, attachedRoutes) is checked as a
 * controller would write it. Secrets are built from the committed PEMs in data/tls/
 * and annotated by certs/tlsinfo.c, so the two modules are tested together. Objects
 * are written as JSON with single quotes for readability.
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

#include "attach.h"
#include "err.h"
#include "findings.h"
#include "gwstatus.h"
#include "jv.h"
#include "kind.h"
#include "rules.h"
#include "store.h"
#include "tlsinfo.h"
#include "view.h"
#include "testutil.h"

#define GW_API "'apiVersion':'gateway.networking.k8s.io/v1'"
#define NOW 1800000000LL /* 2027-01-15: the good certificates are valid, the expired one is not */

struct fx {
	struct store *s;
	struct view v;
	struct findings fs;
	struct rules_config cfg;
	struct gwstatus *st;
};

#define J testutil_json

#define slurp testutil_slurp

/* A kubernetes.io/tls Secret (stringData form) from data/tls/<pair>-cert.pem and
 * <key>-key.pem, annotated by tlsinfo; annotate false leaves it uninspected. */
static json_t *tls_secret(const char *ns, const char *name, const char *pair, const char *key, bool annotate)
{
	char cpath[128], kpath[128], *crt, *k;
	json_t *s;
	struct err e;

	snprintf(cpath, sizeof(cpath), "data/tls/%s-cert.pem", pair);
	snprintf(kpath, sizeof(kpath), "data/tls/%s-key.pem", key);
	crt = slurp(cpath);
	k = slurp(kpath);
	s = json_pack("{s:s, s:s, s:{s:s, s:s}, s:s, s:{s:s, s:s}}", "apiVersion", "v1", "kind", "Secret", "metadata",
		      "name", name, "namespace", ns, "type", "kubernetes.io/tls", "stringData", "tls.crt", crt,
		      "tls.key", k);
	assert_non_null(s);
	free(crt);
	free(k);
	err_init(&e);
	if (annotate)
		assert_int_equal(tlsinfo_annotate_secret(s, &e), 0);
	return s;
}

static void add_obj(struct fx *f, json_t *o)
{
	struct err e;

	err_init(&e);
	assert_int_equal(store_add(f->s, o, &e), 0);
	json_decref(o);
}

static void add(struct fx *f, const char *text)
{
	add_obj(f, J(text));
}

static void add_secret(struct fx *f, const char *ns, const char *name, const char *pair, const char *key)
{
	add_obj(f, tls_secret(ns, name, pair, key, true));
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->s = store_new();
	assert_non_null(f->s);
	f->st = calloc(1, sizeof(*f->st));
	assert_non_null(f->st);
	store_view(f->s, &f->v);
	rules_config_init(&f->cfg);
	findings_init(&f->fs, &f->cfg);
	add_secret(f, "infra", "example", "example", "example");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	findings_release(&f->fs);
	store_free(f->s);
	free(f->st);
	free(f);
	return 0;
}

/* A Gateway infra/gw with the given annotations (JSON object text or "") and
 * listeners (JSON array body). */
static json_t *gateway(const char *annotations, const char *listeners)
{
	char buf[4096];

	snprintf(buf, sizeof(buf),
		 "{" GW_API ",'kind':'Gateway','metadata':{'name':'gw','namespace':'infra'%s%s},"
		 "'spec':{'gatewayClassName':'cilium','listeners':[%s]}}",
		 annotations[0] ? ",'annotations':" : "", annotations, listeners);
	return J(buf);
}

static int run_at(struct fx *f, const char *annotations, const char *listeners, long long now,
		  const size_t *attached, bool strict)
{
	json_t *gw = gateway(annotations, listeners);
	int rc = gwstatus_gateway(&f->v, gw, now, attached, strict, &f->fs, f->st);

	json_decref(gw);
	return rc;
}

static int run(struct fx *f, const char *listeners)
{
	return run_at(f, "", listeners, NOW, NULL, false);
}

/* An HTTPS listener named https on 443 with hostname host (NULL: unset) and one
 * certificateRef (ref: the ref's JSON members). */
static const char *https(const char *host, const char *ref)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf), "{'name':'https','port':443,'protocol':'HTTPS'%s%s%s,'tls':{'certificateRefs':[{%s}]}}",
		 host ? ",'hostname':'" : "", host ? host : "", host ? "'" : "", ref);
	return buf;
}

static const struct finding *find(const struct fx *f, const char *rule)
{
	for (size_t i = 0; i < f->fs.n; i++)
		if (strcmp(f->fs.v[i].rule, rule) == 0)
			return &f->fs.v[i];
	return NULL;
}

static void contains(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL)
		fail_msg("\"%s\" does not contain \"%s\"", hay, needle);
}

static const struct finding *expect(const struct fx *f, const char *rule, enum severity sev, const char *field)
{
	const struct finding *x = find(f, rule);

	if (x == NULL)
		fail_msg("no %s finding (%zu findings)", rule, f->fs.n);
	assert_int_equal(x->sev, sev);
	if (field != NULL)
		assert_string_equal(x->field, field);
	return x;
}

static void none(const struct fx *f)
{
	for (size_t i = 0; i < f->fs.n; i++)
		fail_msg("unexpected %s: %s: %s", f->fs.v[i].rule, f->fs.v[i].field, f->fs.v[i].message);
}

static void cond(const struct fx *f, size_t l, enum gwstatus_cond c, const char *status, const char *reason)
{
	const struct gwstatus_condition *cd;

	assert_true(l < f->st->nlisteners);
	cd = &f->st->listeners[l].conditions[c];
	assert_string_equal(cd->status, status);
	assert_string_equal(cd->reason, reason);
}

static void kinds(const struct fx *f, size_t l, const char *a, const char *b)
{
	const struct gwstatus_listener *x = &f->st->listeners[l];

	assert_int_equal(x->nkinds, (a != NULL) + (b != NULL));
	if (a)
		assert_string_equal(x->supported_kinds[0], a);
	if (b)
		assert_string_equal(x->supported_kinds[1], b);
}

#define REF0 "spec.listeners[0].tls.certificateRefs[0]"

/* ---- certificate present and good ------------------------------------------------ */

static void test_gwstatus__cert_ok(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run(f, https("a.example.com", "'name':'example'")), 0);
	none(f);
	assert_int_equal(f->st->nlisteners, 1);
	assert_string_equal(f->st->listeners[0].name, "https");
	assert_int_equal(f->st->listeners[0].nconditions, 4);
	assert_string_equal(f->st->listeners[0].conditions[GWSTATUS_ACCEPTED].type, "Accepted");
	cond(f, 0, GWSTATUS_ACCEPTED, "True", "Accepted");
	cond(f, 0, GWSTATUS_RESOLVED_REFS, "True", "ResolvedRefs");
	cond(f, 0, GWSTATUS_CONFLICTED, "False", "NoConflicts");
	cond(f, 0, GWSTATUS_PROGRAMMED, "True", "Programmed");
	kinds(f, 0, "HTTPRoute", "GRPCRoute");
}

/* ---- XO-CERT-MISSING ---------------------------------------------------------------- */

static void test_gwstatus__cert_missing(void **state)
{
	struct fx *f = *state;
	const struct finding *x;

	assert_int_equal(run(f, https("a.example.com", "'name':'nope'")), 0);
	x = expect(f, "XO-CERT-MISSING", SEV_WARNING, REF0);
	contains(x->message, "Secret infra/nope does not exist");
	contains(x->message, "cert-manager.io/issuer");
	cond(f, 0, GWSTATUS_RESOLVED_REFS, "False", "InvalidCertificateRef");
	cond(f, 0, GWSTATUS_PROGRAMMED, "False", "Invalid");
}

static void test_gwstatus__cert_missing_strict(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run_at(f, "", https("a.example.com", "'name':'nope'"), NOW, NULL, true), 0);
	expect(f, "XO-CERT-MISSING", SEV_ERROR, REF0);
}

static void test_gwstatus__cert_missing_cert_manager_silent(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run_at(f, "{'cert-manager.io/issuer':'letsencrypt'}", https("a.example.com", "'name':'nope'"),
				NOW, NULL, true), 0);
	none(f);
	/* the status is still what a controller reports until cert-manager issued it */
	cond(f, 0, GWSTATUS_RESOLVED_REFS, "False", "InvalidCertificateRef");
	findings_release(&f->fs);
	findings_init(&f->fs, &f->cfg);
	assert_int_equal(run_at(f, "{'cert-manager.io/cluster-issuer':'le'}", https("a.example.com", "'name':'nope'"),
				NOW, NULL, false), 0);
	none(f);
}

static void test_gwstatus__cert_missing_cert_manager_ineligible(void **state)
{
	struct fx *f = *state;
	const struct finding *x;

	assert_int_equal(run_at(f, "{'cert-manager.io/issuer':'letsencrypt'}", https(NULL, "'name':'nope'"), NOW, NULL,
				false), 0);
	x = expect(f, "XO-CERT-MISSING", SEV_WARNING, REF0);
	contains(x->message, "cert-manager will not issue it");
	contains(x->message, "the listener has no hostname");
}

/* ---- XO-CERT-REFGRANT --------------------------------------------------------------- */

#define CROSS_REF "'name':'example','namespace':'certs'"

static void grant(struct fx *f, const char *name, const char *to_name)
{
	char buf[1024];

	snprintf(buf, sizeof(buf),
		 "{" GW_API ",'kind':'ReferenceGrant','metadata':{'name':'%s','namespace':'certs'},'spec':{"
		 "'from':[{'group':'gateway.networking.k8s.io','kind':'Gateway','namespace':'infra'}],"
		 "'to':[{'group':'','kind':'Secret'%s%s%s}]}}",
		 name, to_name ? ",'name':'" : "", to_name ? to_name : "", to_name ? "'" : "");
	add(f, buf);
}

static void test_gwstatus__refgrant_absent(void **state)
{
	struct fx *f = *state;
	const struct finding *x;

	add_secret(f, "certs", "example", "example", "example");
	assert_int_equal(run(f, https("a.example.com", CROSS_REF)), 0);
	x = expect(f, "XO-CERT-REFGRANT", SEV_ERROR, REF0);
	contains(x->message, "Secret certs/example in another namespace");
	contains(x->message, "add a ReferenceGrant in namespace certs");
	cond(f, 0, GWSTATUS_RESOLVED_REFS, "False", "RefNotPermitted");
	cond(f, 0, GWSTATUS_PROGRAMMED, "False", "Invalid");
}

static void test_gwstatus__refgrant_present(void **state)
{
	struct fx *f = *state;

	add_secret(f, "certs", "example", "example", "example");
	grant(f, "gw-certs", "example");
	assert_int_equal(run(f, https("a.example.com", CROSS_REF)), 0);
	none(f);
	cond(f, 0, GWSTATUS_RESOLVED_REFS, "True", "ResolvedRefs");
}

static void test_gwstatus__refgrant_any_name(void **state)
{
	struct fx *f = *state;

	add_secret(f, "certs", "example", "example", "example");
	grant(f, "all-secrets", NULL);
	assert_int_equal(run(f, https("a.example.com", CROSS_REF)), 0);
	none(f);
}

static void test_gwstatus__refgrant_other_name(void **state)
{
	struct fx *f = *state;
	const struct finding *x;

	add_secret(f, "certs", "example", "example", "example");
	grant(f, "gw-other", "other");
	assert_int_equal(run(f, https("a.example.com", CROSS_REF)), 0);
	x = expect(f, "XO-CERT-REFGRANT", SEV_ERROR, REF0);
	contains(x->message, "ReferenceGrant certs/gw-other admits Gateways from infra, but only other Secret names");
}

/* ---- XO-CERT-MALFORMED -------------------------------------------------------------- */

static void test_gwstatus__malformed_key_mismatch(void **state)
{
	struct fx *f = *state;
	const struct finding *x;

	add_secret(f, "infra", "bad", "example", "other");
	assert_int_equal(run(f, https("a.example.com", "'name':'bad'")), 0);
	x = expect(f, "XO-CERT-MALFORMED", SEV_ERROR, REF0);
	contains(x->message, "Secret infra/bad is not a usable TLS key pair: tls.key does not match the certificate in tls.crt");
	cond(f, 0, GWSTATUS_RESOLVED_REFS, "False", "InvalidCertificateRef");
	assert_null(find(f, "XO-CERT-SAN"));
}

static void test_gwstatus__malformed_not_inspected(void **state)
{
	struct fx *f = *state;
	const struct finding *x;

	add_obj(f, tls_secret("infra", "raw", "example", "example", false));
	assert_int_equal(run(f, https("a.example.com", "'name':'raw'")), 0);
	x = expect(f, "XO-CERT-MALFORMED", SEV_ERROR, REF0);
	contains(x->message, ": not inspected;");
}

/* A view that answers one Opaque Secret infra/opaque (the store keeps only TLS ones). */
static const json_t *opaque_secret;

static const json_t *fake_get(void *ctx, enum kind k, const char *ns, const char *name)
{
	(void)ctx;
	if (k == KIND_SECRET && strcmp(ns, "infra") == 0 && strcmp(name, "opaque") == 0)
		return opaque_secret;
	return NULL;
}

static size_t fake_list(void *ctx, enum kind k, const char *ns, const json_t *const **ret)
{
	(void)ctx, (void)k, (void)ns;
	*ret = NULL;
	return 0;
}

static void test_gwstatus__malformed_wrong_type(void **state)
{
	struct fx *f = *state;
	static const struct view_ops ops = { .get = fake_get, .list_ns = fake_list };
	struct view v = { .ops = &ops };
	json_t *gw = gateway("", https("a.example.com", "'name':'opaque'"));
	const struct finding *x;

	opaque_secret = J("{'apiVersion':'v1','kind':'Secret','metadata':{'name':'opaque','namespace':'infra'},'type':'Opaque'}");
	assert_int_equal(gwstatus_gateway(&v, gw, NOW, NULL, false, &f->fs, f->st), 0);
	x = expect(f, "XO-CERT-MALFORMED", SEV_ERROR, REF0);
	contains(x->message, "Secret infra/opaque is of type Opaque, not kubernetes.io/tls");
	json_decref(gw);
	json_decref((json_t *)opaque_secret);
	opaque_secret = NULL;
}

/* ---- XO-CERT-SAN ---------------------------------------------------------------------- */

static void san(struct fx *f, const char *host, bool covered)
{
	findings_release(&f->fs);
	findings_init(&f->fs, &f->cfg);
	assert_int_equal(run(f, https(host, "'name':'example'")), 0);
	if (covered) {
		none(f);
		return;
	}
	contains(expect(f, "XO-CERT-SAN", SEV_WARNING, REF0)->message, "covers a.example.com, *.example.com but not the hostname");
	cond(f, 0, GWSTATUS_PROGRAMMED, "True", "Programmed"); /* advice, not status */
}

static void test_gwstatus__san(void **state)
{
	struct fx *f = *state;

	san(f, "a.example.com", true);
	san(f, "b.example.com", true);        /* by the wildcard */
	san(f, "*.example.com", true);        /* the wildcard itself */
	san(f, NULL, true);                   /* unset: not checked */
	san(f, "example.com", false);         /* the apex */
	san(f, "a.b.example.com", false);     /* certificate wildcards cover one label */
	san(f, "*.sub.example.com", false);
	san(f, "a.example.org", false);
}

static void test_gwstatus__san_cn_fallback(void **state)
{
	struct fx *f = *state;

	add_secret(f, "infra", "cn", "cn-only", "cn-only");
	assert_int_equal(run(f, https("cn.example.org", "'name':'cn'")), 0);
	none(f);
}

/* ---- XO-CERT-EXPIRED / XO-CERT-EXPIRING ---------------------------------------------- */

static long long not_after(struct fx *f, const char *name)
{
	const json_t *s = view_get(&f->v, KIND_SECRET, "infra", name);
	long long na = 0;

	assert_true(jv_int(jv_obj(jv_obj(s, "gatewarden"), "tls"), "notAfter", &na));
	return na;
}

static void test_gwstatus__expired(void **state)
{
	struct fx *f = *state;
	const struct finding *x;

	add_secret(f, "infra", "old", "expired", "expired");
	assert_int_equal(run(f, https("old.example.com", "'name':'old'")), 0);
	x = expect(f, "XO-CERT-EXPIRED", SEV_ERROR, REF0);
	contains(x->message, "Secret infra/old expired at 2020-02-01T00:00:00Z");
	/* before its notAfter the same certificate is fine */
	findings_release(&f->fs);
	findings_init(&f->fs, &f->cfg);
	assert_int_equal(run_at(f, "", https("old.example.com", "'name':'old'"), 1578000000LL, NULL, false), 0);
	none(f);
	/* exactly at notAfter it is expired */
	assert_int_equal(run_at(f, "", https("old.example.com", "'name':'old'"), not_after(f, "old"), NULL, false), 0);
	expect(f, "XO-CERT-EXPIRED", SEV_ERROR, REF0);
}

static void test_gwstatus__expiring(void **state)
{
	struct fx *f = *state;
	long long na = not_after(f, "example");
	const struct finding *x;

	assert_int_equal(run_at(f, "", https("a.example.com", "'name':'example'"), na - 5 * 86400 - 10, NULL, false), 0);
	x = expect(f, "XO-CERT-EXPIRING", SEV_WARNING, REF0);
	contains(x->message, "in 5 day(s)");
	assert_null(find(f, "XO-CERT-EXPIRED"));
	findings_release(&f->fs);
	findings_init(&f->fs, &f->cfg);
	assert_int_equal(run_at(f, "", https("a.example.com", "'name':'example'"), na - GWSTATUS_EXPIRY_WINDOW, NULL, false), 0);
	none(f);
}

/* ---- listeners without certificates to check ---------------------------------------- */

static void test_gwstatus__passthrough_not_checked(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run(f, "{'name':'tls','port':443,'protocol':'TLS','hostname':'x.org',"
				"'tls':{'mode':'Passthrough','certificateRefs':[{'name':'nope'}]}}"), 0);
	none(f);
	kinds(f, 0, "TLSRoute", NULL);
	cond(f, 0, GWSTATUS_PROGRAMMED, "True", "Programmed");
}

static void test_gwstatus__certref_other_kind(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run(f, https("a.example.com", "'name':'x','group':'example.com','kind':'Vault'")), 0);
	none(f); /* WX-CERTREF-KIND's business */
	cond(f, 0, GWSTATUS_RESOLVED_REFS, "False", "InvalidCertificateRef");
}

/* ---- supportedKinds / InvalidRouteKinds / UnsupportedProtocol ------------------------- */

static void test_gwstatus__kinds_defaults(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run(f, "{'name':'h','port':80,'protocol':'HTTP'},{'name':'t','port':9000,'protocol':'TCP'},"
				"{'name':'u','port':53,'protocol':'UDP'}"), 0);
	kinds(f, 0, "HTTPRoute", "GRPCRoute");
	kinds(f, 1, "TCPRoute", NULL);
	kinds(f, 2, "UDPRoute", NULL);
	for (size_t i = 0; i < 3; i++)
		cond(f, i, GWSTATUS_PROGRAMMED, "True", "Programmed");
}

static void test_gwstatus__kinds_listed_valid(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run(f, "{'name':'h','port':80,'protocol':'HTTP','allowedRoutes':{'kinds':[{'kind':'GRPCRoute'}]}}"), 0);
	kinds(f, 0, "GRPCRoute", NULL);
	cond(f, 0, GWSTATUS_RESOLVED_REFS, "True", "ResolvedRefs");
}

static void test_gwstatus__kinds_invalid(void **state)
{
	struct fx *f = *state;
	const struct gwstatus_condition *cd;

	assert_int_equal(run(f, "{'name':'h','port':80,'protocol':'HTTP','allowedRoutes':{'kinds':["
				"{'kind':'HTTPRoute'},{'kind':'TCPRoute'},{'group':'example.com','kind':'HTTPRoute'}]}}"), 0);
	kinds(f, 0, "HTTPRoute", NULL);
	cond(f, 0, GWSTATUS_RESOLVED_REFS, "False", "InvalidRouteKinds");
	cd = &f->st->listeners[0].conditions[GWSTATUS_RESOLVED_REFS];
	contains(cd->message, "allowedRoutes.kinds[1]");
	cond(f, 0, GWSTATUS_ACCEPTED, "True", "Accepted");
	cond(f, 0, GWSTATUS_PROGRAMMED, "False", "Invalid");
}

static void test_gwstatus__unsupported_protocol(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run(f, "{'name':'f','port':21,'protocol':'FTP'},{'name':'x','port':22,'protocol':'example.com/ssh'}"), 0);
	cond(f, 0, GWSTATUS_ACCEPTED, "False", "UnsupportedProtocol");
	cond(f, 0, GWSTATUS_PROGRAMMED, "False", "Invalid");
	kinds(f, 0, NULL, NULL);
	cond(f, 1, GWSTATUS_ACCEPTED, "True", "Accepted"); /* implementation-specific */
	cond(f, 1, GWSTATUS_PROGRAMMED, "True", "Programmed");
}

/* ---- Conflicted ------------------------------------------------------------------------- */

static void test_gwstatus__conflict_protocol(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run(f, "{'name':'h','port':80,'protocol':'HTTP'},{'name':'t','port':80,'protocol':'TCP'}"), 0);
	cond(f, 0, GWSTATUS_CONFLICTED, "True", "ProtocolConflict");
	cond(f, 1, GWSTATUS_CONFLICTED, "True", "ProtocolConflict");
	cond(f, 0, GWSTATUS_PROGRAMMED, "False", "Invalid");
	contains(f->st->listeners[0].conditions[GWSTATUS_CONFLICTED].message, "listener t");
}

static void test_gwstatus__conflict_hostname(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run(f, "{'name':'a','port':8080,'protocol':'HTTP','hostname':'x.org'},"
				"{'name':'b','port':8080,'protocol':'HTTP','hostname':'x.org'},"
				"{'name':'c','port':8080,'protocol':'HTTP'}"), 0);
	cond(f, 0, GWSTATUS_CONFLICTED, "True", "HostnameConflict");
	cond(f, 1, GWSTATUS_CONFLICTED, "True", "HostnameConflict");
	cond(f, 2, GWSTATUS_CONFLICTED, "False", "NoConflicts");
	cond(f, 2, GWSTATUS_PROGRAMMED, "True", "Programmed");
}

static void test_gwstatus__no_conflict(void **state)
{
	struct fx *f = *state;

	/* HTTPS and TLS share a port by SNI; UDP is another transport; other ports are apart */
	assert_int_equal(run(f, "{'name':'s','port':443,'protocol':'HTTPS','hostname':'a.example.com',"
				" 'tls':{'certificateRefs':[{'name':'example'}]}},"
				"{'name':'t','port':443,'protocol':'TLS','hostname':'b.org','tls':{'mode':'Passthrough'}},"
				"{'name':'u','port':443,'protocol':'UDP'},"
				"{'name':'h','port':80,'protocol':'HTTP'},{'name':'p','port':81,'protocol':'TCP'}"), 0);
	for (size_t i = 0; i < 5; i++)
		cond(f, i, GWSTATUS_CONFLICTED, "False", "NoConflicts");
	none(f);
}

static void test_gwstatus__conflict_https_tls_same_host(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run(f, "{'name':'s','port':443,'protocol':'HTTPS','hostname':'a.example.com',"
				" 'tls':{'certificateRefs':[{'name':'example'}]}},"
				"{'name':'t','port':443,'protocol':'TLS','hostname':'a.example.com','tls':{'mode':'Passthrough'}}"), 0);
	cond(f, 0, GWSTATUS_CONFLICTED, "True", "HostnameConflict");
	cond(f, 1, GWSTATUS_CONFLICTED, "True", "HostnameConflict");
}

/* ---- attachedRoutes --------------------------------------------------------------------- */

static void test_gwstatus__attached_routes(void **state)
{
	struct fx *f = *state;
	const size_t attached[2] = { 3, 0 };

	assert_int_equal(run_at(f, "", "{'name':'h','port':80,'protocol':'HTTP'},{'name':'g','port':81,'protocol':'HTTP'}",
				NOW, attached, false), 0);
	assert_int_equal(f->st->listeners[0].attached_routes, 3);
	assert_int_equal(f->st->listeners[1].attached_routes, 0);
	assert_int_equal(run(f, "{'name':'h','port':80,'protocol':'HTTP'}"), 0);
	assert_int_equal(f->st->listeners[0].attached_routes, 0); /* NULL: none */
}

/* attach_parent.listeners says which listeners admitted a route, the input of attached. */
static void test_gwstatus__attach_listener_bits(void **state)
{
	struct fx *f = *state;
	struct attach_result *res = calloc(1, sizeof(*res));
	json_t *r;

	assert_non_null(res);
	add(f, "{" GW_API ",'kind':'Gateway','metadata':{'name':'gw','namespace':'infra'},'spec':{'gatewayClassName':'c',"
	       "'listeners':[{'name':'a','port':80,'protocol':'HTTP','hostname':'a.org'},"
	       "{'name':'b','port':80,'protocol':'HTTP','hostname':'b.org'},"
	       "{'name':'c','port':80,'protocol':'HTTP'}]}}");
	r = J("{" GW_API ",'kind':'HTTPRoute','metadata':{'name':'r','namespace':'infra'},'spec':{"
	      "'parentRefs':[{'group':'gateway.networking.k8s.io','kind':'Gateway','name':'gw'}],'hostnames':['b.org']}}");
	assert_int_equal(attach_check_route(&f->v, KIND_HTTPROUTE, r, false, &f->fs, res), 0);
	assert_int_equal(res->nparents, 1);
	assert_int_equal(res->parents[0].attached_listeners, 2);
	assert_true(res->parents[0].listeners == (UINT64_C(1) << 1 | UINT64_C(1) << 2));
	json_decref(r);
	free(res);
}

static void test_gwstatus__no_ret(void **state)
{
	struct fx *f = *state;
	json_t *gw = gateway("", https("a.example.com", "'name':'nope'"));

	assert_int_equal(gwstatus_gateway(&f->v, gw, NOW, NULL, false, &f->fs, NULL), 0);
	expect(f, "XO-CERT-MISSING", SEV_WARNING, REF0);
	json_decref(gw);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_gwstatus__cert_ok),
		T(test_gwstatus__cert_missing),
		T(test_gwstatus__cert_missing_strict),
		T(test_gwstatus__cert_missing_cert_manager_silent),
		T(test_gwstatus__cert_missing_cert_manager_ineligible),
		T(test_gwstatus__refgrant_absent),
		T(test_gwstatus__refgrant_present),
		T(test_gwstatus__refgrant_any_name),
		T(test_gwstatus__refgrant_other_name),
		T(test_gwstatus__malformed_key_mismatch),
		T(test_gwstatus__malformed_not_inspected),
		T(test_gwstatus__malformed_wrong_type),
		T(test_gwstatus__san),
		T(test_gwstatus__san_cn_fallback),
		T(test_gwstatus__expired),
		T(test_gwstatus__expiring),
		T(test_gwstatus__passthrough_not_checked),
		T(test_gwstatus__certref_other_kind),
		T(test_gwstatus__kinds_defaults),
		T(test_gwstatus__kinds_listed_valid),
		T(test_gwstatus__kinds_invalid),
		T(test_gwstatus__unsupported_protocol),
		T(test_gwstatus__conflict_protocol),
		T(test_gwstatus__conflict_hostname),
		T(test_gwstatus__no_conflict),
		T(test_gwstatus__conflict_https_tls_same_host),
		T(test_gwstatus__attached_routes),
		T(test_gwstatus__attach_listener_bits),
		T(test_gwstatus__no_ret),
	};

	return cmocka_run_group_tests_name("gwstatus", tests, NULL, NULL);
}
