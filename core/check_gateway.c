/*
 * check_gateway: the Gateway rules the structural schema cannot express: the CRD's
 * CEL rules (section 3 of spec/gateway-api-rules.md) and the stricter WX-* rules of
 * section 7 that need nothing but the Gateway itself.
 *
 * Design notes:
 * - Runs after defaults_apply() and schema_validate(): tls.mode is "Terminate" whenever
 *   tls is an object without a mode, certificateRefs carry group/kind, addresses a type.
 *   Any member may still have the wrong JSON type; every read goes through the jv_*
 *   getters and a rule whose inputs are mistyped is skipped (SCHEMA-TYPE has it).
 * - The CEL rules compare protocol strings exactly, as upstream does (section 1.6): a
 *   lower-case "https" escapes them, and WX-PROTO-RESERVED is what catches it.
 * - Upstream reports a failed list-level CEL rule once at the list ("spec.listeners");
 *   here the finding points at the offending item, which says what to change, and the
 *   message starts with upstream's text so users recognise it. Pairwise rules report the
 *   later item of a pair, once per item and rule.
 * - Messages end with what to change. Core stays pure: snprintf into stack buffers.
 */
#include "checks.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "findings.h"
#include "hostname.h"
#include "jv.h"
#include "path.h"
#include "pattern.h"
#include "schema.h"

#define QLEN 128   /* a quoted user value (schema_quote caps it at 80 bytes + escapes) */
#define PLEN 192   /* a field path */

#define ROUTE_GROUP "gateway.networking.k8s.io"

/* The schema's maxItems. Pairwise rules are quadratic, so they only run on lists the
 * schema accepted: an oversized list is already an error and must not cost O(n^2). */
#define MAX_LISTENERS 64
#define MAX_ADDRESSES 16
#define MAX_PER_PORT 64

/* One listener, read once; NULL/false members were absent or of the wrong type. */
struct lview {
	const json_t *obj;
	const char *name;
	const char *proto;
	const char *host;   /* NULL when unset (or mistyped: see host_ok) */
	bool host_ok;       /* hostname absent or a string: pairwise rules may use it */
	long long port;
	bool has_port;
	const json_t *tls;  /* the member as written, any type; NULL when absent */
};

static const char *quote(const char *s, char *buf)
{
	schema_quote(s, strlen(s), buf, QLEN);
	return buf;
}

static const char *lpath(char *buf, size_t i, const char *suffix)
{
	snprintf(buf, PLEN, "spec.listeners[%zu]%s", i, suffix);
	return buf;
}

static bool lview_get(const json_t *listeners, size_t i, struct lview *v)
{
	const json_t *l = json_array_get(listeners, i);
	const json_t *h;

	memset(v, 0, sizeof(*v));
	if (!json_is_object(l))
		return false;
	v->obj = l;
	v->name = jv_str(l, "name");
	v->proto = jv_str(l, "protocol");
	h = jv_get(l, "hostname");
	v->host = json_is_string(h) ? json_string_value(h) : NULL;
	v->host_ok = h == NULL || json_is_string(h);
	v->has_port = jv_int(l, "port", &v->port);
	v->tls = jv_get(l, "tls");
	return true;
}

static bool proto_is(const struct lview *v, const char *p)
{
	return v->proto != NULL && strcmp(v->proto, p) == 0;
}

static bool proto_is_l7(const struct lview *v)
{
	return proto_is(v, "HTTP") || proto_is(v, "HTTPS") || proto_is(v, "TLS");
}

static bool proto_is_tls(const struct lview *v)
{
	return proto_is(v, "HTTPS") || proto_is(v, "TLS");
}

static const char *lname(const struct lview *v)
{
	return v->name ? v->name : "?";
}

static bool is_ip_literal(const char *s)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* ---- label/annotation keys (P-KEY plus the prefix length CEL rule) ---- */

static size_t key_prefix_len(const char *key)
{
	const char *slash = strchr(key, '/');

	return slash ? (size_t)(slash - key) : strlen(key);
}

static bool key_syntax_ok(const char *key)
{
	return pattern_match(PAT_KEY, key, strlen(key));
}

static bool label_value_ok(const char *v)
{
	size_t len = strlen(v);

	return len <= 63 && pattern_match(PAT_LABELVAL, v, len);
}

/* ---- per-listener TLS rules (CEL) ---- */

static void check_tls_forbidden(const struct lview *v, size_t i, struct findings *fs)
{
	char p[PLEN], q[QLEN];

	if (v->tls != NULL && (proto_is(v, "HTTP") || proto_is(v, "TCP") || proto_is(v, "UDP")))
		findings_add(fs, "GW-TLS-FORBIDDEN", lpath(p, i, ".tls"),
			     "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']: remove tls from listener %s or change its protocol to HTTPS or TLS",
			     quote(lname(v), q));
	if (v->host != NULL && v->host[0] != '\0' && (proto_is(v, "TCP") || proto_is(v, "UDP")))
		findings_add(fs, "GW-HOST-FORBIDDEN", lpath(p, i, ".hostname"),
			     "hostname must not be specified for protocols ['TCP', 'UDP']: remove the hostname of listener %s (TCP and UDP listeners match by port only)",
			     quote(lname(v), q));
}

static void check_tls_modes(const struct lview *v, size_t i, struct findings *fs)
{
	const char *mode = jv_str(v->tls, "mode");
	char p[PLEN], q[QLEN];

	if (proto_is(v, "HTTPS") && mode != NULL && mode[0] != '\0' && strcmp(mode, "Terminate") != 0)
		findings_add(fs, "GW-TLS-HTTPS-MODE", lpath(p, i, ".tls.mode"),
			     "tls mode must be Terminate for protocol HTTPS: set tls.mode to Terminate, or use protocol TLS for mode %s",
			     quote(mode, q));
	if (!proto_is(v, "TLS"))
		return;
	if (v->tls == NULL)
		findings_add(fs, "GW-TLS-TLS-MODE", lpath(p, i, ".tls"),
			     "tls mode must be set for protocol TLS: add tls with mode Passthrough (or Terminate with certificateRefs) to listener %s",
			     quote(lname(v), q));
	else if (json_is_object(v->tls) && mode != NULL && mode[0] == '\0')
		findings_add(fs, "GW-TLS-TLS-MODE", lpath(p, i, ".tls.mode"),
			     "tls mode must be set for protocol TLS: set tls.mode to Passthrough or Terminate");
}

static void check_tls_certs(const struct lview *v, size_t i, struct findings *fs)
{
	const json_t *refs = jv_get(v->tls, "certificateRefs");
	const json_t *opts = jv_get(v->tls, "options");
	char p[PLEN];

	if (!jv_streq(v->tls, "mode", "Terminate"))
		return;
	if ((refs != NULL && !json_is_array(refs)) || (opts != NULL && !json_is_object(opts)))
		return;
	if (json_array_size(refs) > 0 || json_object_size(opts) > 0)
		return;
	findings_add(fs, "GW-TLS-CERTS", lpath(p, i, ".tls"),
		     "certificateRefs or options must be specified when mode is Terminate: add a certificateRef to a kubernetes.io/tls Secret, or set mode Passthrough");
}

/* ---- per-listener WX rules ---- */

static void check_https_no_tls(const struct lview *v, size_t i, struct findings *fs)
{
	char p[PLEN], q[QLEN];

	if (proto_is(v, "HTTPS") && v->tls == NULL)
		findings_add(fs, "WX-HTTPS-NO-TLS", lpath(p, i, ".tls"),
			     "HTTPS listener %s has no tls, so it will not be programmed (InvalidTLSConfig): add tls.certificateRefs, or switch this rule off if certificates are provisioned indirectly",
			     quote(lname(v), q));
}

static void check_hostname_value(const char *host, const char *field, struct findings *fs)
{
	char q[QLEN];

	if (hostname_is_ip(host))
		findings_add(fs, "WX-HOST-IP", field,
			     "hostname %s is an IP address; hostnames must be DNS names (IPs are not allowed): use a DNS name, or leave the hostname unset",
			     quote(host, q));
	if (hostname_has_long_label(host))
		findings_add(fs, "WX-HOST-LABEL63", field,
			     "hostname %s has a DNS label longer than 63 characters (RFC 1123): shorten that label",
			     quote(host, q));
}

static const char *const core_protocols[] = { "HTTP", "HTTPS", "TLS", "TCP", "UDP", NULL };

static void check_proto_reserved(const struct lview *v, size_t i, struct findings *fs)
{
	const char *proto = v->proto;
	char p[PLEN], q[QLEN];

	if (proto == NULL || strchr(proto, '/') != NULL || !pattern_match(PAT_PROTO, proto, strlen(proto)))
		return;
	for (const char *const *c = core_protocols; *c; c++) {
		if (strcmp(proto, *c) == 0)
			return;
	}
	for (const char *const *c = core_protocols; *c; c++) {
		if (strcasecmp(proto, *c) == 0) {
			findings_add(fs, "WX-PROTO-RESERVED", lpath(p, i, ".protocol"),
				     "protocol %s is not a core protocol (core names are case-sensitive and it escapes the TLS rules): use \"%s\"",
				     quote(proto, q), *c);
			return;
		}
	}
	findings_add(fs, "WX-PROTO-RESERVED", lpath(p, i, ".protocol"),
		     "protocol %s is not a core protocol: un-prefixed names are reserved for HTTP, HTTPS, TLS, TCP and UDP; use one of them or a domain-prefixed name such as example.com/%s",
		     quote(proto, q), proto);
}

/* Only core Secrets are supported (the default allow-list of WX-CERTREF-KIND). Values
 * that fail their patterns are left to the schema rules. */
static bool certref_unsupported(const char *group, const char *kind)
{
	if (group == NULL || kind == NULL || !pattern_match(PAT_GROUP, group, strlen(group)) ||
	    !pattern_match(PAT_KIND, kind, strlen(kind)))
		return false;
	return group[0] != '\0' || strcmp(kind, "Secret") != 0;
}

static void check_certref_kinds(const struct lview *v, size_t i, struct findings *fs)
{
	const json_t *refs = jv_arr(v->tls, "certificateRefs");
	const json_t *ref;
	size_t k;

	json_array_foreach(refs, k, ref) {
		const char *group = jv_str(ref, "group");
		const char *kind = jv_str(ref, "kind");
		char p[PLEN], suffix[64], qg[QLEN], qk[QLEN];

		if (!certref_unsupported(group, kind))
			continue;
		snprintf(suffix, sizeof(suffix), ".tls.certificateRefs[%zu]", k);
		findings_add(fs, "WX-CERTREF-KIND", lpath(p, i, suffix),
			     "certificateRef kind %s in group %s is not supported (InvalidCertificateRef): reference a core Secret (group \"\", kind Secret) of type kubernetes.io/tls",
			     quote(kind, qk), quote(group, qg));
	}
}

static void check_tls_option_keys(const struct lview *v, size_t i, struct findings *fs)
{
	const json_t *opts = jv_obj(v->tls, "options");
	const char *key;
	const json_t *val;
	char p[PLEN], q[QLEN];

	json_object_foreach((json_t *)opts, key, val) {
		(void)val;
		if (strchr(key, '/') != NULL)
			continue;
		/* the hint reuses the escaped key without its surrounding quotes */
		quote(key, q);
		findings_add(fs, "WX-TLS-OPTION-KEY", lpath(p, i, ".tls.options"),
			     "tls option key %s has no domain prefix; un-prefixed keys are reserved for Gateway API: use an implementation-prefixed key such as \"example.com/%.*s\"",
			     q, (int)(strlen(q) - 2), q + 1);
	}
}

/* ---- label selectors (allowedRoutes and allowedListeners) ----
 * The selector helpers build their field paths with struct path: the base path
 * ("spec.listeners[3].allowedRoutes.namespaces") comes from the caller. */

static void check_match_labels(const json_t *labels, struct path *p, struct findings *fs)
{
	const char *key;
	const json_t *val;
	char q[QLEN], qk[QLEN];
	size_t m = path_key(p, "matchLabels");

	json_object_foreach((json_t *)labels, key, val) {
		if (!key_syntax_ok(key) || key_prefix_len(key) > 253)
			findings_add(fs, "WX-SELECTOR-VALID", path_str(p),
				     "matchLabels key %s is not a valid label key: use an optional DNS subdomain prefix and '/', then a name of up to 63 alphanumerics, '-', '_' or '.'",
				     quote(key, q));
		if (json_is_string(val) && !label_value_ok(json_string_value(val)))
			findings_add(fs, "WX-SELECTOR-VALID", path_str(p),
				     "matchLabels value %s of key %s is not a valid label value: use at most 63 alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric",
				     quote(json_string_value(val), q), quote(key, qk));
	}
	path_pop(p, m);
}

static void check_expr_values(const json_t *expr, const char *op, const char *p, struct findings *fs)
{
	const json_t *vals = jv_get(expr, "values");
	const json_t *v;
	size_t n, k;
	char q[QLEN];

	if (vals != NULL && !json_is_array(vals))
		return;
	n = json_array_size(vals);
	if (strcmp(op, "In") == 0 || strcmp(op, "NotIn") == 0) {
		if (n == 0)
			findings_add(fs, "WX-SELECTOR-VALID", p,
				     "operator %s needs a non-empty values list: add the label values to match", op);
		json_array_foreach(vals, k, v) {
			if (json_is_string(v) && !label_value_ok(json_string_value(v)))
				findings_add(fs, "WX-SELECTOR-VALID", p,
					     "value %s is not a valid label value: use at most 63 alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric",
					     quote(json_string_value(v), q));
		}
	} else if (n > 0) {
		findings_add(fs, "WX-SELECTOR-VALID", p,
			     "operator %s must not have values: remove the values list", op);
	}
}

static void check_match_expr(const json_t *expr, const char *p, struct findings *fs)
{
	static const char *const ops[] = { "In", "NotIn", "Exists", "DoesNotExist", NULL };
	const char *key = jv_str(expr, "key");
	const char *op = jv_str(expr, "operator");
	char q[QLEN];

	if (key != NULL && (!key_syntax_ok(key) || key_prefix_len(key) > 253))
		findings_add(fs, "WX-SELECTOR-VALID", p,
			     "key %s is not a valid label key: use an optional DNS subdomain prefix and '/', then a name of up to 63 alphanumerics, '-', '_' or '.'",
			     quote(key, q));
	if (op == NULL)
		return;
	for (const char *const *o = ops; *o; o++) {
		if (strcmp(op, *o) == 0) {
			check_expr_values(expr, op, p, fs);
			return;
		}
	}
	findings_add(fs, "WX-SELECTOR-VALID", p,
		     "operator %s is not a label selector operator: use In, NotIn, Exists or DoesNotExist",
		     quote(op, q));
}

/* ns is a RouteNamespaces / ListenerNamespaces object; p points at it. */
static void check_selector(const json_t *ns, struct path *p, struct findings *fs)
{
	const json_t *sel = jv_get(ns, "selector");
	const json_t *expr;
	size_t k, m = path_key(p, "selector");

	if (sel == NULL && jv_streq(ns, "from", "Selector"))
		findings_add(fs, "WX-SELECTOR-REQUIRED", path_str(p),
			     "Selector must be specified when From is set to Selector: add a selector (for example matchLabels) or change from to Same or All");
	if (json_is_object(sel)) {
		check_match_labels(jv_obj(sel, "matchLabels"), p, fs);
		json_array_foreach(jv_arr(sel, "matchExpressions"), k, expr) {
			size_t m2 = path_key(p, "matchExpressions");

			path_idx(p, k);
			check_match_expr(expr, path_str(p), fs);
			path_pop(p, m2);
		}
	}
	path_pop(p, m);
}

/* ---- allowedRoutes.kinds vs protocol ---- */

static const struct {
	const char *proto;
	const char *kinds[3];
	const char *hint;
} proto_kinds[] = {
	{ "HTTP", { "HTTPRoute", "GRPCRoute", NULL }, "HTTPRoute or GRPCRoute" },
	{ "HTTPS", { "HTTPRoute", "GRPCRoute", NULL }, "HTTPRoute or GRPCRoute" },
	{ "TLS", { "TLSRoute", NULL, NULL }, "TLSRoute" },
	{ "TCP", { "TCPRoute", NULL, NULL }, "TCPRoute" },
	{ "UDP", { "UDPRoute", NULL, NULL }, "UDPRoute" },
};

static const char *const route_kinds[] = { "HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute", NULL };

static bool in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

static void check_kind_entry(const struct lview *v, const char *kind, const char *p, struct findings *fs)
{
	char q[QLEN], qp[QLEN];

	if (!in_list(kind, route_kinds)) {
		findings_add(fs, "WX-KINDS-PROTO", p,
			     "kind %s is not a route kind of %s (InvalidRouteKinds): use HTTPRoute, GRPCRoute, TLSRoute, TCPRoute or UDPRoute",
			     quote(kind, q), ROUTE_GROUP);
		return;
	}
	for (size_t k = 0; k < sizeof(proto_kinds) / sizeof(proto_kinds[0]); k++) {
		if (!proto_is(v, proto_kinds[k].proto))
			continue;
		for (size_t m = 0; proto_kinds[k].kinds[m]; m++)
			if (strcmp(kind, proto_kinds[k].kinds[m]) == 0)
				return;
		findings_add(fs, "WX-KINDS-PROTO", p,
			     "kind %s cannot attach to a %s listener (InvalidRouteKinds): use %s, or change the listener protocol",
			     quote(kind, q), quote(v->proto, qp), proto_kinds[k].hint);
		return;
	}
}

static void check_route_kinds(const struct lview *v, size_t i, struct findings *fs)
{
	const json_t *kinds = jv_arr(jv_obj(v->obj, "allowedRoutes"), "kinds");
	const json_t *rgk;
	size_t k;

	json_array_foreach(kinds, k, rgk) {
		const char *group = jv_str(rgk, "group");
		const char *kind = jv_str(rgk, "kind");
		char p[PLEN], suffix[64];

		/* other groups are implementation-specific: nothing to compare against;
		 * a kind that fails its pattern is GW-AR-KINDS's */
		if (group == NULL || kind == NULL || strcmp(group, ROUTE_GROUP) != 0 ||
		    !pattern_match(PAT_KIND, kind, strlen(kind)))
			continue;
		snprintf(suffix, sizeof(suffix), ".allowedRoutes.kinds[%zu].kind", k);
		check_kind_entry(v, kind, lpath(p, i, suffix), fs);
	}
}

static void check_route_selector(const struct lview *v, size_t i, struct findings *fs)
{
	struct path sp;
	char p[PLEN];

	path_init(&sp);
	path_key(&sp, lpath(p, i, ".allowedRoutes.namespaces"));
	check_selector(jv_obj(jv_obj(v->obj, "allowedRoutes"), "namespaces"), &sp, fs);
}

static void check_listener(const struct lview *v, size_t i, struct findings *fs)
{
	char p[PLEN];

	check_tls_forbidden(v, i, fs);
	if (json_is_object(v->tls)) {
		check_tls_certs(v, i, fs);
		check_certref_kinds(v, i, fs);
		check_tls_option_keys(v, i, fs);
	}
	check_tls_modes(v, i, fs);
	check_https_no_tls(v, i, fs);
	check_proto_reserved(v, i, fs);
	if (v->host != NULL)
		check_hostname_value(v->host, lpath(p, i, ".hostname"), fs);
	check_route_selector(v, i, fs);
	check_route_kinds(v, i, fs);
}

/* ---- listener pairs ---- */

static bool same_host(const struct lview *a, const struct lview *b)
{
	if (a->host == NULL || b->host == NULL)
		return a->host == NULL && b->host == NULL;
	return strcmp(a->host, b->host) == 0;
}

static bool same_tuple(const struct lview *a, const struct lview *b)
{
	return a->has_port && b->has_port && a->port == b->port && a->proto && b->proto &&
	       strcmp(a->proto, b->proto) == 0 && a->host_ok && b->host_ok && same_host(a, b);
}

static bool same_port(const struct lview *a, const struct lview *b)
{
	return a->has_port && b->has_port && a->port == b->port;
}

/* Protocol pairs on one port that WX-PORT-PROTO-MIX leaves alone: TCP with an L7
 * protocol is WX-TCP-PORT-SHARE's (an error), and HTTPS with TLS is the common SNI split
 * (both dispatch on the ClientHello), which most implementations serve. */
static bool mix_exempt(const struct lview *a, const struct lview *b)
{
	if ((proto_is(a, "TCP") && proto_is_l7(b)) || (proto_is(b, "TCP") && proto_is_l7(a)))
		return true;
	return proto_is_tls(a) && proto_is_tls(b);
}

struct pair_seen {
	bool name, tuple, mix, overlap;
};

static void check_pair_unique(const struct lview *a, size_t i, const struct lview *b, size_t j,
			      struct pair_seen *seen, struct findings *fs)
{
	char p[PLEN], q[QLEN], qa[QLEN], qp[QLEN], qh[QLEN];

	if (!seen->name && a->name && b->name && strcmp(a->name, b->name) == 0) {
		seen->name = true;
		findings_add(fs, "GW-LST-NAME-UNIQUE", lpath(p, j, ""), "Duplicate value: {\"name\":%s}",
			     quote(b->name, q));
		findings_add(fs, "GW-LST-NAME-UNIQUE", lpath(p, j, ".name"),
			     "Listener name must be unique within the Gateway: listeners %zu and %zu are both named %s; rename one",
			     i, j, q);
	}
	if (!seen->tuple && same_tuple(a, b)) {
		seen->tuple = true;
		findings_add(fs, "GW-LST-TUPLE-UNIQUE", lpath(p, j, ""),
			     "Combination of port, protocol and hostname must be unique for each listener: listener %s has the same port (%lld), protocol (%s) and hostname (%s) as listener %s; change its port or hostname, or merge the two",
			     quote(lname(b), q), b->port, quote(b->proto, qp), b->host ? quote(b->host, qh) : "unset",
			     quote(lname(a), qa));
	}
}

static void check_pair_compat(const struct lview *a, const struct lview *b, size_t j,
			      struct pair_seen *seen, struct findings *fs)
{
	char p[PLEN], qa[QLEN], qb[QLEN], qn[QLEN], qm[QLEN];

	/* qn/qm: listener names; qa/qb: protocols or hostnames */

	if (!same_port(a, b) || a->proto == NULL || b->proto == NULL)
		return;
	if (!seen->mix && strcmp(a->proto, b->proto) != 0 && !mix_exempt(a, b)) {
		seen->mix = true;
		findings_add(fs, "WX-PORT-PROTO-MIX", lpath(p, j, ".protocol"),
			     "listener %s (%s) shares port %lld with listener %s (%s): many implementations reject different protocols on one port (ProtocolConflict); use separate ports",
			     quote(lname(b), qn), quote(b->proto, qb), b->port, quote(lname(a), qm),
			     quote(a->proto, qa));
	}
	if (!seen->overlap && proto_is_tls(a) && proto_is_tls(b) && a->host_ok && b->host_ok &&
	    !same_tuple(a, b) && hostname_intersect(a->host, b->host)) {
		seen->overlap = true;
		findings_add(fs, "WX-OVERLAP-TLS", lpath(p, j, b->host ? ".hostname" : ""),
			     "hostname %s of listener %s overlaps hostname %s of listener %s on port %lld (OverlappingTLSConfig): clients may reuse one connection for both; use non-overlapping hostnames or one certificate that covers both",
			     b->host ? quote(b->host, qb) : "(unset: all hostnames)", quote(lname(b), qn),
			     a->host ? quote(a->host, qa) : "(unset: all hostnames)", quote(lname(a), qm), b->port);
	}
}

static void check_tcp_share(const json_t *listeners, const struct lview *v, size_t i, struct findings *fs)
{
	char p[PLEN], q[QLEN], qt[QLEN];

	if (!proto_is_l7(v) || !v->has_port)
		return;
	for (size_t k = 0; k < json_array_size(listeners); k++) {
		struct lview t;

		if (k == i || !lview_get(listeners, k, &t) || !proto_is(&t, "TCP") || !same_port(v, &t))
			continue;
		findings_add(fs, "WX-TCP-PORT-SHARE", lpath(p, i, ".port"),
			     "%s listener %s shares port %lld with TCP listener %s, so neither is distinct and the %s listener MUST NOT be accepted (ProtocolConflict): move one of them to another port",
			     v->proto, quote(lname(v), q), v->port, quote(lname(&t), qt), v->proto);
		return;
	}
}

static void check_listeners(const json_t *listeners, struct findings *fs)
{
	size_t n = json_array_size(listeners);
	bool pairs = n <= MAX_LISTENERS;

	for (size_t j = 0; j < n; j++) {
		struct pair_seen seen = { false, false, false, false };
		struct lview b;

		if (!lview_get(listeners, j, &b))
			continue;
		check_listener(&b, j, fs);
		if (!pairs)
			continue;
		check_tcp_share(listeners, &b, j, fs);
		for (size_t i = 0; i < j; i++) {
			struct lview a;

			if (!lview_get(listeners, i, &a))
				continue;
			check_pair_unique(&a, i, &b, j, &seen, fs);
			check_pair_compat(&a, &b, j, &seen, fs);
		}
	}
}

/* ---- addresses ---- */

static void check_address(const json_t *a, size_t i, struct findings *fs)
{
	const char *type = jv_str(a, "type");
	const char *value = jv_str(a, "value");
	char p[PLEN], q[QLEN];

	if (type == NULL || value == NULL)
		return;
	snprintf(p, sizeof(p), "spec.addresses[%zu].value", i);
	if (strcmp(type, "IPAddress") == 0 && !is_ip_literal(value))
		findings_add(fs, "GW-ADDR", p,
			     "Invalid value: %s: must be of type ipv4 or ipv6 when type is IPAddress (invalid ip address): use an IP literal, or type Hostname for a DNS name",
			     quote(value, q));
	if (strcmp(type, "Hostname") != 0)
		return;
	if (!pattern_match(PAT_HOST, value, strlen(value)))
		findings_add(fs, "GW-ADDR-HOSTNAME", p,
			     "Hostname value must be empty or contain only valid characters (matching %s): %s is not a lower-case DNS name; fix it or leave value unset",
			     pattern_source(PAT_HOST), quote(value, q));
	check_hostname_value(value, p, fs);
}

static void check_address_unique(const json_t *addrs, size_t j, struct findings *fs)
{
	const json_t *b = json_array_get(addrs, j);
	const char *type = jv_str(b, "type");
	const char *value = jv_str(b, "value");
	char p[PLEN], q[QLEN];

	if (type == NULL || value == NULL || (strcmp(type, "IPAddress") != 0 && strcmp(type, "Hostname") != 0))
		return;
	for (size_t i = 0; i < j; i++) {
		const json_t *a = json_array_get(addrs, i);

		if (!jv_streq(a, "type", type) || !jv_streq(a, "value", value))
			continue;
		snprintf(p, sizeof(p), "spec.addresses[%zu]", j);
		findings_add(fs, "GW-ADDR-UNIQUE", p, "%s values must be unique: %s repeats spec.addresses[%zu]; remove one",
			     type, quote(value, q), i);
		return;
	}
}

static void check_addresses(const json_t *addrs, struct findings *fs)
{
	size_t n = json_array_size(addrs);

	for (size_t i = 0; i < n; i++) {
		check_address(json_array_get(addrs, i), i, fs);
		if (n <= MAX_ADDRESSES)
			check_address_unique(addrs, i, fs);
	}
}

/* ---- infrastructure label/annotation keys ---- */

static void check_infra_keys(const json_t *map, const char *field, const char *what, const char *What,
			     struct findings *fs)
{
	const char *key;
	const json_t *val;
	char p[PLEN], q[QLEN];

	snprintf(p, sizeof(p), "spec.infrastructure.%s", field);
	json_object_foreach((json_t *)map, key, val) {
		(void)val;
		if (!key_syntax_ok(key))
			findings_add(fs, "GW-INFRA", p,
				     "%s keys must be in the form of an optional DNS subdomain prefix followed by a required name segment of up to 63 characters. Fix key %s (for example example.com/my-%s).",
				     What, quote(key, q), what);
		if (pattern_codepoints(key, key_prefix_len(key)) >= 253)
			findings_add(fs, "GW-INFRA", p,
				     "If specified, the %s key's prefix must be a DNS subdomain not longer than 253 characters in total. Shorten the prefix of key %s.",
				     what, quote(key, q));
	}
}

/* ---- allowedListeners, spec.tls ---- */

static void check_per_port_unique(const json_t *per_port, struct findings *fs)
{
	if (json_array_size(per_port) > MAX_PER_PORT)
		return;
	for (size_t j = 0; j < json_array_size(per_port); j++) {
		long long pj, pi;
		char p[PLEN];

		if (!jv_int(json_array_get(per_port, j), "port", &pj))
			continue;
		for (size_t i = 0; i < j; i++) {
			if (!jv_int(json_array_get(per_port, i), "port", &pi) || pi != pj)
				continue;
			snprintf(p, sizeof(p), "spec.tls.frontend.perPort[%zu].port", j);
			findings_add(fs, "GW-FTLS", p,
				     "Port for TLS configuration must be unique within the Gateway: port %lld is already configured by perPort[%zu]; merge the two entries",
				     pj, i);
			break;
		}
	}
}

static void check_gateway_tls(const json_t *tls, struct findings *fs)
{
	const json_t *cc = jv_obj(jv_obj(tls, "backend"), "clientCertificateRef");
	const char *group = jv_str(cc, "group");
	const char *kind = jv_str(cc, "kind");
	char qg[QLEN], qk[QLEN];

	check_per_port_unique(jv_arr(jv_obj(tls, "frontend"), "perPort"), fs);
	if (!certref_unsupported(group, kind))
		return;
	findings_add(fs, "WX-CERTREF-KIND", "spec.tls.backend.clientCertificateRef",
		     "clientCertificateRef kind %s in group %s is not supported (InvalidClientCertificateRef): reference a core Secret (group \"\", kind Secret) of type kubernetes.io/tls",
		     quote(kind, qk), quote(group, qg));
}

void check_gateway(const json_t *obj, struct findings *fs)
{
	const json_t *spec = jv_obj(obj, "spec");
	const json_t *infra = jv_obj(spec, "infrastructure");
	struct path p;

	if (spec == NULL)
		return;
	check_listeners(jv_arr(spec, "listeners"), fs);
	check_addresses(jv_arr(spec, "addresses"), fs);
	check_infra_keys(jv_obj(infra, "labels"), "labels", "label", "Label", fs);
	check_infra_keys(jv_obj(infra, "annotations"), "annotations", "annotation", "Annotation", fs);
	path_init(&p);
	path_key(&p, "spec.allowedListeners.namespaces");
	check_selector(jv_obj(jv_obj(spec, "allowedListeners"), "namespaces"), &p, fs);
	check_gateway_tls(jv_obj(spec, "tls"), fs);
}
