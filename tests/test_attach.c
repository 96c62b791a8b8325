/*
 * test_attach: route attachment against a cluster view. Every XO check has a cluster
 * that passes and one that fails, plus the guide's real mistakes (a parentRef without
 * namespace, a Same listener in another namespace). Objects are written as JSON with
 * single quotes for readability; routes and Gateways are defaulted first, as the
 * engine does.
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
#include "defaults.h"
#include "err.h"
#include "findings.h"
#include "jv.h"
#include "kind.h"
#include "rules.h"
#include "store.h"
#include "view.h"
#include "testutil.h"

struct fx {
	struct store *s;
	struct view v;
	struct findings fs;
	struct rules_config cfg;
	struct attach_result res;
};

#define J testutil_json

static enum kind kind_of(const json_t *o)
{
	return kind_classify(jv_str(o, "apiVersion"), jv_str(o, "kind"), NULL);
}

/* Add one object to the cluster, defaulted when it is a kind the engine defaults. */
static void add(struct fx *f, const char *text)
{
	json_t *o = J(text);
	struct err e;

	err_init(&e);
	assert_int_equal(defaults_apply(kind_of(o), o), 0);
	assert_int_equal(store_add(f->s, o, &e), 0);
	json_decref(o);
}

#define GW_API "'apiVersion':'gateway.networking.k8s.io/v1'"

/* infrastructure/platform-public: http (80, from Same) and https (443,
 * *.cloud.example.io, Selector kubernetes.io/metadata.name In (echo)); class cilium. */
static const char *const platform_public =
	"{" GW_API ",'kind':'Gateway','metadata':{'name':'platform-public','namespace':'infrastructure'},"
	"'spec':{'gatewayClassName':'cilium','listeners':["
	"{'name':'http','port':80,'protocol':'HTTP'},"
	"{'name':'https','port':443,'protocol':'HTTPS','hostname':'*.cloud.example.io',"
	" 'tls':{'certificateRefs':[{'name':'wildcard'}]},"
	" 'allowedRoutes':{'namespaces':{'from':'Selector','selector':{'matchExpressions':"
	"  [{'key':'kubernetes.io/metadata.name','operator':'In','values':['echo']}]}}}}]}}";

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->s = store_new();
	assert_non_null(f->s);
	store_view(f->s, &f->v);
	rules_config_init(&f->cfg);
	findings_init(&f->fs, &f->cfg);
	add(f, "{" GW_API ",'kind':'GatewayClass','metadata':{'name':'cilium'},'spec':{'controllerName':'io.cilium/gateway-controller'}}");
	add(f, platform_public);
	add(f, "{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'echo'}}");
	add(f, "{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'tooling'}}");
	add(f, "{'apiVersion':'v1','kind':'Service','metadata':{'name':'echo','namespace':'echo'},"
	       "'spec':{'ports':[{'port':8080,'targetPort':8080}]}}");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	findings_release(&f->fs);
	store_free(f->s);
	free(f);
	return 0;
}

/* Run attach_check_route on a route given as text (defaulted first). */
static int run(struct fx *f, const char *text, bool strict)
{
	json_t *r = J(text);
	enum kind k = kind_of(r);
	int rc;

	assert_int_equal(defaults_apply(k, r), 0);
	rc = attach_check_route(&f->v, k, r, strict, &f->fs, &f->res);
	json_decref(r);
	return rc;
}

static const struct finding *find(const struct fx *f, const char *rule)
{
	for (size_t i = 0; i < f->fs.n; i++)
		if (strcmp(f->fs.v[i].rule, rule) == 0)
			return &f->fs.v[i];
	return NULL;
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

static void contains(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL)
		fail_msg("'%s' not in '%s'", needle, hay);
}

#define ROUTE(ns, spec) \
	"{" GW_API ",'kind':'HTTPRoute','metadata':{'name':'echo','namespace':'" ns "'},'spec':" spec "}"
#define GRPC(ns, spec) \
	"{" GW_API ",'kind':'GRPCRoute','metadata':{'name':'echo','namespace':'" ns "'},'spec':" spec "}"
#define ECHO_BACKEND "'rules':[{'backendRefs':[{'name':'echo','port':8080}]}]"

/* ---- parents ---------------------------------------------------------------- */

static void test_attach_check_route__parent_missing_namespace_unset(void **state)
{
	struct fx *f = *state;
	const struct finding *x;

	/* the guide's mistake: no namespace, so the ref means echo/platform-public */
	assert_int_equal(run(f, ROUTE("echo", "{'parentRefs':[{'name':'platform-public','sectionName':'http'}]," ECHO_BACKEND "}"), false), 0);
	x = expect(f, "XO-PARENT-MISSING", SEV_WARNING, "spec.parentRefs[0]");
	contains(x->message, "echo/platform-public does not exist");
	contains(x->message, "namespace is unset");
	assert_int_equal(f->fs.nerrors, 0);
	assert_int_equal(f->res.nparents, 0);
}

static void test_attach_check_route__parent_missing_strict_is_error(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run(f, ROUTE("echo", "{'parentRefs':[{'name':'platform-public','sectionName':'http'}]," ECHO_BACKEND "}"), true), 0);
	expect(f, "XO-PARENT-MISSING", SEV_ERROR, "spec.parentRefs[0]");
	assert_int_equal(f->fs.nerrors, 1);
}

static void test_attach_check_route__parent_missing_strict_from_config(void **state)
{
	struct fx *f = *state;

	f->cfg.strict = true;
	assert_int_equal(run(f, ROUTE("echo", "{'parentRefs':[{'name':'nope','namespace':'infrastructure'}]}"), false), 0);
	contains(expect(f, "XO-PARENT-MISSING", SEV_ERROR, NULL)->message, "infrastructure/nope");
}

static void test_attach_check_route__parent_present_accepted(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run(f, ROUTE("infrastructure", "{'parentRefs':[{'name':'platform-public','sectionName':'http'}]}"), false), 0);
	assert_int_equal(f->fs.n, 0);
	assert_int_equal(f->res.nparents, 1);
	assert_true(f->res.parents[0].accepted);
	assert_string_equal(f->res.parents[0].reason, "Accepted");
	assert_string_equal(f->res.parents[0].gateway, "infrastructure/platform-public");
	assert_int_equal(f->res.parents[0].attached_listeners, 1);
	assert_true(f->res.parents[0].resolved_refs);
	assert_string_equal(f->res.parents[0].refs_reason, "ResolvedRefs");
}

static void test_attach_check_route__non_gateway_parent_skipped(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run(f, ROUTE("echo", "{'parentRefs':[{'group':'','kind':'Service','name':'echo'}]}"), false), 0);
	assert_int_equal(f->fs.n, 0);
	assert_int_equal(f->res.nparents, 0);
}

static void test_attach_check_route__class_missing(void **state)
{
	struct fx *f = *state;

	add(f, "{" GW_API ",'kind':'Gateway','metadata':{'name':'orphan','namespace':'echo'},"
	       "'spec':{'gatewayClassName':'envoy','listeners':[{'name':'http','port':80,'protocol':'HTTP'}]}}");
	/* two refs to one Gateway: one class warning */
	assert_int_equal(run(f, ROUTE("echo", "{'parentRefs':[{'name':'orphan','sectionName':'http'},{'name':'orphan','port':80,'sectionName':'http'}]}"), false), 0);
	contains(expect(f, "XO-CLASS-MISSING", SEV_WARNING, "spec.parentRefs[0]")->message, "GatewayClass envoy");
	assert_int_equal(f->fs.n, 1);
	assert_int_equal(f->res.nparents, 2);
	assert_true(f->res.parents[0].accepted);
}

/* ---- sectionName and port --------------------------------------------------- */

static void test_attach_check_route__section_missing(void **state)
{
	struct fx *f = *state;
	const struct finding *x;

	assert_int_equal(run(f, ROUTE("infrastructure", "{'parentRefs':[{'name':'platform-public','sectionName':'htps'}]}"), false), 0);
	x = expect(f, "XO-PARENT-SECTION", SEV_ERROR, "spec.parentRefs[0].sectionName");
	contains(x->message, "no listener named htps (listeners: http, https)");
	assert_int_equal(f->res.nparents, 1);
	assert_false(f->res.parents[0].accepted);
	assert_string_equal(f->res.parents[0].reason, "NoMatchingParent");
	assert_string_equal(f->res.parents[0].message, x->message);
}

static void test_attach_check_route__port_missing(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run(f, ROUTE("infrastructure", "{'parentRefs':[{'name':'platform-public','port':8443}]}"), false), 0);
	contains(expect(f, "XO-PARENT-PORT", SEV_ERROR, "spec.parentRefs[0].port")->message,
		 "no listener on port 8443 (listeners: http:80, https:443)");
	assert_string_equal(f->res.parents[0].reason, "NoMatchingParent");
}

static void test_attach_check_route__port_and_section_disagree(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run(f, ROUTE("infrastructure", "{'parentRefs':[{'name':'platform-public','sectionName':'http','port':443}]}"), false), 0);
	contains(expect(f, "XO-PARENT-PORT", SEV_ERROR, "spec.parentRefs[0].port")->message,
		 "sectionName http and port 443 select different listeners");
	assert_false(find(f, "XO-PARENT-SECTION") != NULL);
}

static void test_attach_check_route__port_and_section_agree(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run(f, ROUTE("infrastructure", "{'parentRefs':[{'name':'platform-public','sectionName':'http','port':80}]}"), false), 0);
	assert_int_equal(f->fs.n, 0);
	assert_true(f->res.parents[0].accepted);
}

/* ---- namespaces ------------------------------------------------------------- */

static void test_attach_check_route__ns_same_other_namespace(void **state)
{
	struct fx *f = *state;
	const struct finding *x;

	/* the guide's mistake fixed halfway: right Gateway, listener http admits Same only */
	assert_int_equal(run(f, ROUTE("echo", "{'parentRefs':[{'name':'platform-public','namespace':'infrastructure','sectionName':'http'}]," ECHO_BACKEND "}"), false), 0);
	x = expect(f, "XO-NS-NOT-ALLOWED", SEV_ERROR, "spec.parentRefs[0]");
	contains(x->message, "listener http of infrastructure/platform-public admits only routes from namespace infrastructure (from: Same); route is in namespace echo");
	assert_int_equal(f->fs.n, 1);
	assert_false(f->res.parents[0].accepted);
	assert_string_equal(f->res.parents[0].reason, "NotAllowedByListeners");
}

static void test_attach_check_route__ns_selector_admits(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run(f, ROUTE("echo", "{'parentRefs':[{'name':'platform-public','namespace':'infrastructure','sectionName':'https'}],"
				     "'hostnames':['a.cloud.example.io']," ECHO_BACKEND "}"), false), 0);
	assert_int_equal(f->fs.n, 0);
	assert_true(f->res.parents[0].accepted);
	assert_string_equal(f->res.parents[0].message, "attached to listener https");
}

static void test_attach_check_route__ns_selector_denies(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run(f, ROUTE("tooling", "{'parentRefs':[{'name':'platform-public','namespace':'infrastructure','sectionName':'https'}],"
				     "'hostnames':['a.cloud.example.io']}"), false), 0);
	contains(expect(f, "XO-NS-NOT-ALLOWED", SEV_ERROR, "spec.parentRefs[0]")->message,
		 "listener https of infrastructure/platform-public admits only namespaces matching kubernetes.io/metadata.name in (echo); route is in namespace tooling");
}

static void test_attach_check_route__ns_all_admits(void **state)
{
	struct fx *f = *state;

	add(f, "{" GW_API ",'kind':'Gateway','metadata':{'name':'shared','namespace':'infrastructure'},"
	       "'spec':{'gatewayClassName':'cilium','listeners':[{'name':'http','port':80,'protocol':'HTTP',"
	       "'allowedRoutes':{'namespaces':{'from':'All'}}}]}}");
	assert_int_equal(run(f, ROUTE("tooling", "{'parentRefs':[{'name':'shared','namespace':'infrastructure'}]}"), false), 0);
	assert_int_equal(f->fs.n, 0);
	assert_true(f->res.parents[0].accepted);
}

/* No sectionName: http refuses echo (Same), https admits it, so the route attaches. */
static void test_attach_check_route__one_listener_enough(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run(f, ROUTE("echo", "{'parentRefs':[{'name':'platform-public','namespace':'infrastructure'}],"
				     "'hostnames':['a.cloud.example.io']}"), false), 0);
	assert_int_equal(f->fs.n, 0);
	assert_true(f->res.parents[0].accepted);
	assert_int_equal(f->res.parents[0].attached_listeners, 1);
}

/* Neither listener admits tooling: one finding naming both, nothing about hostnames. */
static void test_attach_check_route__ns_reported_before_host(void **state)
{
	struct fx *f = *state;
	const struct finding *x;

	assert_int_equal(run(f, ROUTE("tooling", "{'parentRefs':[{'name':'platform-public','namespace':'infrastructure'}],"
				     "'hostnames':['cloud.example.io']}"), false), 0);
	x = expect(f, "XO-NS-NOT-ALLOWED", SEV_ERROR, NULL);
	contains(x->message, "listener http of");
	contains(x->message, "listener https of");
	assert_int_equal(f->fs.n, 1);
}

/* ---- kinds ------------------------------------------------------------------ */

static void add_kinds_gateway(struct fx *f)
{
	add(f, "{" GW_API ",'kind':'Gateway','metadata':{'name':'grpc','namespace':'echo'},"
	       "'spec':{'gatewayClassName':'cilium','listeners':["
	       "{'name':'grpc','port':80,'protocol':'HTTP','allowedRoutes':{'kinds':[{'kind':'GRPCRoute'}]}},"
	       "{'name':'tls','port':443,'protocol':'TLS','tls':{'mode':'Passthrough'}}]}}");
}

static void test_attach_check_route__kind_not_in_kinds(void **state)
{
	struct fx *f = *state;

	add_kinds_gateway(f);
	assert_int_equal(run(f, ROUTE("echo", "{'parentRefs':[{'name':'grpc','sectionName':'grpc'}]}"), false), 0);
	contains(expect(f, "XO-KIND-NOT-ALLOWED", SEV_ERROR, "spec.parentRefs[0]")->message,
		 "listener grpc of echo/grpc admits only GRPCRoute (allowedRoutes.kinds); the route's kind is HTTPRoute");
	assert_string_equal(f->res.parents[0].reason, "NotAllowedByListeners");
}

static void test_attach_check_route__kind_in_kinds(void **state)
{
	struct fx *f = *state;

	add_kinds_gateway(f);
	assert_int_equal(run(f, GRPC("echo", "{'parentRefs':[{'name':'grpc','sectionName':'grpc'}]}"), false), 0);
	assert_int_equal(f->fs.n, 0);
	assert_true(f->res.parents[0].accepted);
}

static void test_attach_check_route__kind_protocol_default(void **state)
{
	struct fx *f = *state;

	add_kinds_gateway(f);
	assert_int_equal(run(f, ROUTE("echo", "{'parentRefs':[{'name':'grpc','sectionName':'tls'}]}"), false), 0);
	contains(expect(f, "XO-KIND-NOT-ALLOWED", SEV_ERROR, NULL)->message,
		 "admits only TLSRoute (the default of protocol TLS)");
	findings_release(&f->fs);
	findings_init(&f->fs, &f->cfg);
	/* HTTP's default admits GRPCRoute too */
	assert_int_equal(run(f, GRPC("infrastructure", "{'parentRefs':[{'name':'platform-public','sectionName':'http'}]}"), false), 0);
	assert_int_equal(f->fs.n, 0);
}

/* ---- hostnames -------------------------------------------------------------- */

static void test_attach_check_route__host_apex_no_intersect(void **state)
{
	struct fx *f = *state;
	const struct finding *x;

	assert_int_equal(run(f, ROUTE("echo", "{'parentRefs':[{'name':'platform-public','namespace':'infrastructure','sectionName':'https'}],"
				     "'hostnames':['cloud.example.io']}"), false), 0);
	x = expect(f, "XO-HOST-NO-INTERSECT", SEV_ERROR, "spec.hostnames");
	contains(x->message, "(cloud.example.io) intersects listener https of infrastructure/platform-public (hostname *.cloud.example.io)");
	assert_int_equal(f->fs.n, 1);
	assert_string_equal(f->res.parents[0].reason, "NoMatchingListenerHostname");
}

static void test_attach_check_route__host_one_of_several_intersects(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run(f, ROUTE("echo", "{'parentRefs':[{'name':'platform-public','namespace':'infrastructure','sectionName':'https'}],"
				     "'hostnames':['cloud.example.io','a.cloud.example.io']}"), false), 0);
	assert_int_equal(f->fs.n, 0);
	assert_true(f->res.parents[0].accepted);
}

/* ---- backends --------------------------------------------------------------- */

static void test_attach_check_route__backend_missing(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run(f, ROUTE("infrastructure", "{'parentRefs':[{'name':'platform-public','sectionName':'http'}],"
				     "'rules':[{'backendRefs':[{'name':'echo','port':8080}]}]}"), false), 0);
	contains(expect(f, "XO-BACKEND-MISSING", SEV_WARNING, "spec.rules[0].backendRefs[0]")->message,
		 "Service infrastructure/echo does not exist");
	assert_true(f->res.parents[0].accepted);
	assert_false(f->res.parents[0].resolved_refs);
	assert_string_equal(f->res.parents[0].refs_reason, "BackendNotFound");
}

static void test_attach_check_route__backend_missing_strict(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run(f, ROUTE("echo", "{'rules':[{'backendRefs':[{'name':'gone','port':80}]}]}"), true), 0);
	expect(f, "XO-BACKEND-MISSING", SEV_ERROR, "spec.rules[0].backendRefs[0]");
}

static void test_attach_check_route__backend_present(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run(f, ROUTE("echo", "{" ECHO_BACKEND "}"), true), 0);
	assert_int_equal(f->fs.n, 0);
}

static void test_attach_check_route__mirror_backend_missing(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run(f, ROUTE("echo", "{'rules':[{'filters':[{'type':'RequestMirror','requestMirror':{'backendRef':{'name':'shadow','port':80}}}],"
				     "'backendRefs':[{'name':'echo','port':8080,'filters':[{'type':'RequestMirror','requestMirror':{'backendRef':{'name':'echo','port':8080}}}]}]}]}"),
			     false), 0);
	contains(expect(f, "XO-BACKEND-MISSING", SEV_WARNING, "spec.rules[0].filters[0].requestMirror.backendRef")->message,
		 "mirrored requests go nowhere");
	assert_int_equal(f->fs.n, 1);
}

static void test_attach_check_route__backend_port(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run(f, ROUTE("infrastructure", "{'parentRefs':[{'name':'platform-public','sectionName':'http'}],"
				     "'rules':[{'backendRefs':[{'name':'echo','namespace':'echo','port':80}]}]}"), false), 0);
	contains(expect(f, "XO-BACKEND-PORT", SEV_ERROR, "spec.rules[0].backendRefs[0]")->message,
		 "Service echo/echo has no port 80 (its ports: 8080)");
	assert_false(f->res.parents[0].resolved_refs);
	/* accepted, so the status message is the ResolvedRefs problem */
	contains(f->res.parents[0].message, "spec.rules[0].backendRefs[0]");
}

static void test_attach_check_route__backend_kind(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run(f, ROUTE("infrastructure", "{'parentRefs':[{'name':'platform-public','sectionName':'http'}],"
				     "'rules':[{'backendRefs':[{'group':'multicluster.x-k8s.io','kind':'ServiceImport','name':'echo','port':80}]}]}"), false), 0);
	contains(expect(f, "XO-BACKEND-KIND", SEV_ERROR, "spec.rules[0].backendRefs[0]")->message,
		 "multicluster.x-k8s.io/ServiceImport echo is not supported");
	assert_string_equal(f->res.parents[0].refs_reason, "InvalidKind");
	assert_null(find(f, "XO-BACKEND-MISSING"));
}

static void test_attach_check_route__backend_externalname(void **state)
{
	struct fx *f = *state;

	add(f, "{'apiVersion':'v1','kind':'Service','metadata':{'name':'ext','namespace':'echo'},"
	       "'spec':{'type':'ExternalName','externalName':'api.example.com'}}");
	assert_int_equal(run(f, ROUTE("echo", "{'rules':[{'backendRefs':[{'name':'ext','port':443}]}]}"), false), 0);
	contains(expect(f, "XO-BACKEND-EXTERNALNAME", SEV_WARNING, "spec.rules[0].backendRefs[0]")->message,
		 "ExternalName (api.example.com)");
	assert_int_equal(f->fs.n, 1);
}

/* A route names the same backends in many rules: a reference already found clean is
 * not looked up again, and that must not hide a bad one that differs from it only in
 * its port or namespace, nor a bad one that repeats (each occurrence is reported). */
static void test_attach_check_route__backend_repeated(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run(f, ROUTE("echo", "{'rules':["
				     "{'backendRefs':[{'name':'echo','port':8080},{'name':'echo','port':8080}]},"
				     "{'backendRefs':[{'name':'echo','port':8080},{'name':'echo','port':9090}]},"
				     "{'backendRefs':[{'name':'gone','port':8080},{'name':'gone','port':8080}]},"
				     "{'backendRefs':[{'name':'echo','namespace':'tooling','port':8080},{'name':'echo','port':8080}]}]}"),
			     false), 0);
	expect(f, "XO-BACKEND-PORT", SEV_ERROR, "spec.rules[1].backendRefs[1]");
	assert_int_equal(f->fs.n, 5);
	assert_string_equal(f->fs.v[0].field, "spec.rules[1].backendRefs[1]");
	assert_string_equal(f->fs.v[1].field, "spec.rules[2].backendRefs[0]");
	assert_string_equal(f->fs.v[2].field, "spec.rules[2].backendRefs[1]");
	assert_string_equal(f->fs.v[2].rule, "XO-BACKEND-MISSING");
	/* another namespace: no grant, and no Service there */
	assert_string_equal(f->fs.v[3].rule, "XO-REFGRANT");
	assert_string_equal(f->fs.v[4].rule, "XO-BACKEND-MISSING");
	assert_string_equal(f->fs.v[4].field, "spec.rules[3].backendRefs[0]");
}

/* ---- ReferenceGrant --------------------------------------------------------- */

#define CROSS_ROUTE \
	ROUTE("infrastructure", "{'parentRefs':[{'name':'platform-public','sectionName':'http'}]," \
				"'rules':[{'backendRefs':[{'name':'echo','namespace':'echo','port':8080}]}]}")

static void add_grant(struct fx *f, const char *from_kind, const char *to_name)
{
	char buf[512];

	snprintf(buf, sizeof(buf),
		 "{" GW_API ",'kind':'ReferenceGrant','metadata':{'name':'from-infra','namespace':'echo'},"
		 "'spec':{'from':[{'group':'gateway.networking.k8s.io','kind':'%s','namespace':'infrastructure'}],"
		 "'to':[{'group':'','kind':'Service'%s%s%s}]}}",
		 from_kind, to_name ? ",'name':'" : "", to_name ? to_name : "", to_name ? "'" : "");
	add(f, buf);
}

static void test_attach_check_route__refgrant_absent(void **state)
{
	struct fx *f = *state;
	const struct finding *x;

	assert_int_equal(run(f, CROSS_ROUTE, false), 0);
	x = expect(f, "XO-REFGRANT", SEV_ERROR, "spec.rules[0].backendRefs[0]");
	contains(x->message, "HTTPRoute in namespace infrastructure references Service echo/echo");
	contains(x->message, "add a ReferenceGrant in namespace echo");
	assert_string_equal(f->res.parents[0].refs_reason, "RefNotPermitted");
}

static void test_attach_check_route__refgrant_present(void **state)
{
	struct fx *f = *state;

	add_grant(f, "HTTPRoute", "echo");
	assert_int_equal(run(f, CROSS_ROUTE, false), 0);
	assert_int_equal(f->fs.n, 0);
	assert_true(f->res.parents[0].resolved_refs);
}

static void test_attach_check_route__refgrant_any_name(void **state)
{
	struct fx *f = *state;

	add_grant(f, "HTTPRoute", NULL);
	assert_int_equal(run(f, CROSS_ROUTE, false), 0);
	assert_int_equal(f->fs.n, 0);
}

static void test_attach_check_route__refgrant_other_name(void **state)
{
	struct fx *f = *state;

	add_grant(f, "HTTPRoute", "other");
	assert_int_equal(run(f, CROSS_ROUTE, false), 0);
	contains(expect(f, "XO-REFGRANT", SEV_ERROR, NULL)->message,
		 "ReferenceGrant echo/from-infra admits HTTPRoute from infrastructure, but only other Service names");
}

static void test_attach_check_route__refgrant_other_kind(void **state)
{
	struct fx *f = *state;

	/* a grant for HTTPRoutes does not cover a GRPCRoute */
	add_grant(f, "HTTPRoute", "echo");
	assert_int_equal(run(f, GRPC("infrastructure", "{'rules':[{'backendRefs':[{'name':'echo','namespace':'echo','port':8080}]}]}"), false), 0);
	contains(expect(f, "XO-REFGRANT", SEV_ERROR, NULL)->message, "GRPCRoute in namespace infrastructure");
}

/* ---- misc ------------------------------------------------------------------- */

static void test_attach_check_route__rule_override_and_bad_kind(void **state)
{
	struct fx *f = *state;
	struct err e;
	json_t *gw = J(platform_public);

	err_init(&e);
	assert_int_equal(rules_config_set(&f->cfg, "XO-PARENT-MISSING=off", &e), 0);
	assert_int_equal(run(f, ROUTE("echo", "{'parentRefs':[{'name':'platform-public'}]}"), true), 0);
	assert_int_equal(f->fs.n, 0);
	assert_int_equal(attach_check_route(&f->v, KIND_GATEWAY, gw, false, &f->fs, NULL), ERR_INVALID);
	json_decref(gw);
}

static void test_attach_check_route__empty_view(void **state)
{
	struct fx *f = *state;
	struct view empty = { NULL, NULL };
	json_t *r = J(ROUTE("echo", "{'parentRefs':[{'name':'gw'}]," ECHO_BACKEND "}"));

	assert_int_equal(defaults_apply(KIND_HTTPROUTE, r), 0);
	assert_int_equal(attach_check_route(&empty, KIND_HTTPROUTE, r, false, &f->fs, NULL), 0);
	expect(f, "XO-PARENT-MISSING", SEV_WARNING, NULL);
	expect(f, "XO-BACKEND-MISSING", SEV_WARNING, NULL);
	json_decref(r);
}

/* ---- Gateway ---------------------------------------------------------------- */

static int check_gw(struct fx *f, const char *cls, bool strict)
{
	char buf[512];
	json_t *gw;
	int rc;

	snprintf(buf, sizeof(buf),
		 "{" GW_API ",'kind':'Gateway','metadata':{'name':'g','namespace':'infrastructure'},"
		 "'spec':{'gatewayClassName':'%s','listeners':[{'name':'http','port':80,'protocol':'HTTP'}]}}", cls);
	gw = J(buf);
	assert_int_equal(defaults_apply(KIND_GATEWAY, gw), 0);
	rc = attach_check_gateway(&f->v, gw, strict, &f->fs);
	json_decref(gw);
	return rc;
}

static void test_attach_check_gateway__class_present(void **state)
{
	struct fx *f = *state;

	assert_int_equal(check_gw(f, "cilium", true), 0);
	assert_int_equal(f->fs.n, 0);
}

static void test_attach_check_gateway__class_missing(void **state)
{
	struct fx *f = *state;

	assert_int_equal(check_gw(f, "istio", false), 0);
	contains(expect(f, "XO-CLASS-MISSING", SEV_WARNING, "spec.gatewayClassName")->message,
		 "GatewayClass istio does not exist");
}

static void test_attach_check_gateway__class_missing_strict(void **state)
{
	struct fx *f = *state;

	assert_int_equal(check_gw(f, "istio", true), 0);
	expect(f, "XO-CLASS-MISSING", SEV_ERROR, "spec.gatewayClassName");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_attach_check_route__parent_missing_namespace_unset),
		T(test_attach_check_route__parent_missing_strict_is_error),
		T(test_attach_check_route__parent_missing_strict_from_config),
		T(test_attach_check_route__parent_present_accepted),
		T(test_attach_check_route__non_gateway_parent_skipped),
		T(test_attach_check_route__class_missing),
		T(test_attach_check_route__section_missing),
		T(test_attach_check_route__port_missing),
		T(test_attach_check_route__port_and_section_disagree),
		T(test_attach_check_route__port_and_section_agree),
		T(test_attach_check_route__ns_same_other_namespace),
		T(test_attach_check_route__ns_selector_admits),
		T(test_attach_check_route__ns_selector_denies),
		T(test_attach_check_route__ns_all_admits),
		T(test_attach_check_route__one_listener_enough),
		T(test_attach_check_route__ns_reported_before_host),
		T(test_attach_check_route__kind_not_in_kinds),
		T(test_attach_check_route__kind_in_kinds),
		T(test_attach_check_route__kind_protocol_default),
		T(test_attach_check_route__host_apex_no_intersect),
		T(test_attach_check_route__host_one_of_several_intersects),
		T(test_attach_check_route__backend_missing),
		T(test_attach_check_route__backend_missing_strict),
		T(test_attach_check_route__backend_present),
		T(test_attach_check_route__mirror_backend_missing),
		T(test_attach_check_route__backend_port),
		T(test_attach_check_route__backend_kind),
		T(test_attach_check_route__backend_externalname),
		T(test_attach_check_route__backend_repeated),
		T(test_attach_check_route__refgrant_absent),
		T(test_attach_check_route__refgrant_present),
		T(test_attach_check_route__refgrant_any_name),
		T(test_attach_check_route__refgrant_other_name),
		T(test_attach_check_route__refgrant_other_kind),
		T(test_attach_check_route__rule_override_and_bad_kind),
		T(test_attach_check_route__empty_view),
		T(test_attach_check_gateway__class_present),
		T(test_attach_check_gateway__class_missing),
		T(test_attach_check_gateway__class_missing_strict),
	};

	return cmocka_run_group_tests_name("attach", tests, NULL, NULL);
}
