/*
 * attach: see attach.h.
 *
 * Design: each parentRef is decided the way a controller decides it, in the order of
 * the reasons it would report: first which listeners the ref targets (sectionName,
 * port: NoMatchingParent), then which of those admit the route's namespace and kind
 * (NotAllowedByListeners), then which of the remaining share a hostname with the
 * route (NoMatchingListenerHostname). One admitting listener is enough to attach, so
 * findings are only written when none admits, and only for the first stage that
 * leaves no listener: that is the one thing the user has to change first. Backend
 * references do not depend on the parent and are checked once per route.
 *
 * Messages are built into fixed buffers with a small appender; a message that would
 * overflow is cut, never lost.
 */
#include "attach.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "findings.h"
#include "hostname.h"
#include "jv.h"
#include "labels.h"
#include "path.h"

#define GAPI_GROUP "gateway.networking.k8s.io"
#define LISTENERS_MAX 64
#define MSG_MAX 1024

struct sbuf {
	char buf[MSG_MAX];
	size_t len;
};

__attribute__((format(printf, 2, 3)))
static void sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (sb->len >= sizeof(sb->buf) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(sb->buf + sb->len, sizeof(sb->buf) - sb->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	sb->len += (size_t)n;
	if (sb->len >= sizeof(sb->buf))
		sb->len = sizeof(sb->buf) - 1;
}

static void sb_init(struct sbuf *sb)
{
	sb->buf[0] = '\0';
	sb->len = 0;
}

/* how many clean backend references a route check remembers (struct actx) */
#define CLEAN_REFS 8

/* Everything one route check needs; the route is read, never written. */
struct actx {
	const struct view *v;
	enum kind kind;
	const char *kname;        /* "HTTPRoute" */
	const char *ns;           /* the route's namespace */
	const json_t *hostnames;  /* spec.hostnames, may be NULL */
	const json_t *route;      /* the route being decided */
	bool what_if;             /* evaluating a suggested fix: no more suggestions */
	enum severity missing;    /* severity of the warn-when-missing rules */
	struct findings *fs;
	int rc;
	/* ResolvedRefs, shared by every parent */
	bool refs_ok;
	const char *refs_reason;
	char refs_msg[512];
	/* Backend references already found clean (core Service, granted when in another
	 * namespace, the Service there with the port): a route names the same backend in
	 * many rules, and an identical reference gets the identical, empty, answer. The
	 * strings are borrowed from the route. */
	struct clean_ref {
		const char *tns, *name;
		long long port;
		bool has_port;
	} clean[CLEAN_REFS];
	size_t nclean;
};

/* One parentRef being decided. */
struct pctx {
	const json_t *gw;
	const char *gwref;        /* "ns/name" */
	const char *gwns;
	const json_t *listeners;
	size_t idx[LISTENERS_MAX]; /* targeted listeners, index into spec.listeners */
	size_t n;
	char field[64];           /* "spec.parentRefs[i]" */
};

static const char *meta_str(const json_t *obj, const char *key)
{
	return jv_str(jv_obj(obj, "metadata"), key);
}

static const char *str_or(const char *s, const char *dflt)
{
	return s != NULL ? s : dflt;
}

static bool streq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static const json_t *listener_at(const struct pctx *p, size_t i)
{
	return json_array_get(p->listeners, p->idx[i]);
}

static const char *lname(const json_t *l)
{
	return str_or(jv_str(l, "name"), "<unnamed>");
}

/* ---- namespace admission ---------------------------------------------------- */

static const json_t *ar_namespaces(const json_t *l)
{
	return jv_obj(jv_obj(l, "allowedRoutes"), "namespaces");
}

static const char *ar_from(const json_t *l)
{
	return str_or(jv_str(ar_namespaces(l), "from"), "Same");
}

static bool ns_admits(const struct actx *c, const struct pctx *p, const json_t *l)
{
	const char *from = ar_from(l);

	if (strcmp(from, "All") == 0)
		return true;
	if (strcmp(from, "Same") == 0)
		return streq(c->ns, p->gwns);
	if (strcmp(from, "Selector") == 0)
		return labels_selector_matches(jv_obj(ar_namespaces(l), "selector"),
					       view_namespace_labels(c->v, c->ns));
	return false; /* an unknown from admits nothing; GW-AR-FROM reports it */
}

static void describe_ns(struct actx *c, const struct pctx *p, const json_t *l, struct sbuf *sb)
{
	const char *from = ar_from(l);
	char sel[384];
	int n;

	sb_printf(sb, "listener %s of %s ", lname(l), p->gwref);
	if (strcmp(from, "Same") == 0) {
		sb_printf(sb, "admits only routes from namespace %s (from: Same)", p->gwns);
		return;
	}
	if (strcmp(from, "Selector") != 0) {
		sb_printf(sb, "admits no namespace (from: %s)", from);
		return;
	}
	n = labels_selector_describe(jv_obj(ar_namespaces(l), "selector"), sel, sizeof(sel));
	if (n < 0) {
		c->rc = ERR_NOMEM;
		sel[0] = '\0';
	}
	sb_printf(sb, "admits only namespaces matching %s", sel);
}

static void report_ns(struct actx *c, const struct pctx *p, struct sbuf *sb)
{
	bool all_same = true;

	for (size_t i = 0; i < p->n; i++) {
		const json_t *l = listener_at(p, i);

		if (i > 0)
			sb_printf(sb, "; ");
		describe_ns(c, p, l, sb);
		all_same = all_same && strcmp(ar_from(l), "Same") == 0;
	}
	sb_printf(sb, "; route is in namespace %s: ", c->ns);
	if (all_same)
		sb_printf(sb, "create the route in namespace %s, or set allowedRoutes.namespaces.from to All or Selector on the listener",
			  p->gwns);
	else
		sb_printf(sb, "label namespace %s so the listener's selector matches it, or change allowedRoutes.namespaces on the listener",
			  c->ns);
	findings_add(c->fs, "XO-NS-NOT-ALLOWED", p->field, "%s", sb->buf);
}

/* ---- kind admission --------------------------------------------------------- */

const char *const *attach_protocol_kinds(const char *proto)
{
	static const char *const http[] = { "HTTPRoute", "GRPCRoute", NULL };
	static const char *const tls[] = { "TLSRoute", NULL };
	static const char *const tcp[] = { "TCPRoute", NULL };
	static const char *const udp[] = { "UDPRoute", NULL };

	if (streq(proto, "HTTP") || streq(proto, "HTTPS"))
		return http;
	if (streq(proto, "TLS"))
		return tls;
	if (streq(proto, "TCP"))
		return tcp;
	if (streq(proto, "UDP"))
		return udp;
	return NULL;
}

static bool kind_entry_is(const json_t *e, const char *kname)
{
	return streq(str_or(jv_str(e, "group"), GAPI_GROUP), GAPI_GROUP) && streq(jv_str(e, "kind"), kname);
}

static bool kind_admits(const struct actx *c, const json_t *l)
{
	const json_t *kinds = jv_arr(jv_obj(l, "allowedRoutes"), "kinds");
	const char *const *def;
	const json_t *e;
	size_t i;

	if (jv_size(kinds) > 0) {
		json_array_foreach(kinds, i, e)
			if (kind_entry_is(e, c->kname))
				return true;
		return false;
	}
	def = attach_protocol_kinds(jv_str(l, "protocol"));
	if (def == NULL)
		return true;
	for (; *def != NULL; def++)
		if (strcmp(*def, c->kname) == 0)
			return true;
	return false;
}

static void describe_kinds(const struct pctx *p, const json_t *l, struct sbuf *sb)
{
	const json_t *kinds = jv_arr(jv_obj(l, "allowedRoutes"), "kinds");
	const json_t *e;
	size_t i;

	sb_printf(sb, "listener %s of %s admits only ", lname(l), p->gwref);
	if (jv_size(kinds) == 0) {
		const char *const *def = attach_protocol_kinds(jv_str(l, "protocol"));

		for (i = 0; def != NULL && def[i] != NULL; i++)
			sb_printf(sb, "%s%s", i ? ", " : "", def[i]);
		sb_printf(sb, " (the default of protocol %s)", str_or(jv_str(l, "protocol"), "?"));
		return;
	}
	json_array_foreach(kinds, i, e) {
		const char *g = str_or(jv_str(e, "group"), GAPI_GROUP);

		sb_printf(sb, "%s%s%s%s", i ? ", " : "", strcmp(g, GAPI_GROUP) ? g : "",
			  strcmp(g, GAPI_GROUP) ? "/" : "", str_or(jv_str(e, "kind"), "?"));
	}
	sb_printf(sb, " (allowedRoutes.kinds)");
}

static void report_kind(struct actx *c, const struct pctx *p, const bool *ns_ok, struct sbuf *sb)
{
	bool first = true;

	for (size_t i = 0; i < p->n; i++) {
		if (!ns_ok[i])
			continue;
		if (!first)
			sb_printf(sb, "; ");
		describe_kinds(p, listener_at(p, i), sb);
		first = false;
	}
	sb_printf(sb, "; the route's kind is %s: target a listener whose protocol serves it, or add kind %s to allowedRoutes.kinds",
		  c->kname, c->kname);
	findings_add(c->fs, "XO-KIND-NOT-ALLOWED", p->field, "%s", sb->buf);
}

/* ---- hostname intersection -------------------------------------------------- */

static bool host_admits(const struct actx *c, const json_t *l)
{
	const char *lh = jv_str(l, "hostname");
	const json_t *h;
	size_t i;

	if (jv_size(c->hostnames) == 0)
		return true;
	json_array_foreach(c->hostnames, i, h)
		if (json_is_string(h) && hostname_intersect(lh, json_string_value(h)))
			return true;
	return false;
}

static void report_host(struct actx *c, const struct pctx *p, const bool *ok, struct sbuf *sb)
{
	const json_t *h;
	bool first = true;
	size_t i;

	sb_printf(sb, "no hostname of the route (");
	json_array_foreach(c->hostnames, i, h)
		sb_printf(sb, "%s%s", i ? ", " : "", str_or(json_string_value(h), "?"));
	sb_printf(sb, ") intersects ");
	for (i = 0; i < p->n; i++) {
		const json_t *l = listener_at(p, i);

		if (!ok[i])
			continue;
		sb_printf(sb, "%slistener %s of %s (hostname %s)", first ? "" : ", ", lname(l), p->gwref,
			  str_or(jv_str(l, "hostname"), "*"));
		first = false;
	}
	sb_printf(sb, "; a wildcard matches one or more extra labels, never the apex: add a hostname the listener covers or target another listener");
	findings_add(c->fs, "XO-HOST-NO-INTERSECT", "spec.hostnames", "%s", sb->buf);
}

/* ---- listener selection (sectionName, port) --------------------------------- */

static void list_listeners(const struct pctx *p, bool ports, struct sbuf *sb)
{
	const json_t *l;
	size_t i;

	json_array_foreach(p->listeners, i, l) {
		long long port = 0;

		if (ports && jv_int(l, "port", &port))
			sb_printf(sb, "%s%s:%lld", i ? ", " : "", lname(l), port);
		else
			sb_printf(sb, "%s%s", i ? ", " : "", lname(l));
	}
}

static bool has_listener_named(const struct pctx *p, const char *sn)
{
	const json_t *l;
	size_t i;

	json_array_foreach(p->listeners, i, l)
		if (streq(jv_str(l, "name"), sn))
			return true;
	return false;
}

static bool has_listener_port(const struct pctx *p, long long port)
{
	const json_t *l;
	long long lp;
	size_t i;

	json_array_foreach(p->listeners, i, l)
		if (jv_int(l, "port", &lp) && lp == port)
			return true;
	return false;
}

static void select_listeners(struct pctx *p, const char *sn, bool has_port, long long port)
{
	const json_t *l;
	long long lp;
	size_t i;

	p->n = 0;
	json_array_foreach(p->listeners, i, l) {
		if (p->n == LISTENERS_MAX)
			break;
		if (sn != NULL && !streq(jv_str(l, "name"), sn))
			continue;
		if (has_port && !(jv_int(l, "port", &lp) && lp == port))
			continue;
		p->idx[p->n++] = i;
	}
}

/* No listener is targeted: say which of sectionName and port is wrong. */
static void report_no_parent(struct actx *c, struct pctx *p, const char *sn, long long port,
			     struct sbuf *sb)
{
	char field[96];

	if (sn != NULL && !has_listener_named(p, sn)) {
		sb_printf(sb, "Gateway %s has no listener named %s (listeners: ", p->gwref, sn);
		list_listeners(p, false, sb);
		sb_printf(sb, "); set sectionName to one of them");
		snprintf(field, sizeof(field), "%s.sectionName", p->field);
		findings_add(c->fs, "XO-PARENT-SECTION", field, "%s", sb->buf);
		return;
	}
	snprintf(field, sizeof(field), "%s.port", p->field);
	if (sn == NULL || !has_listener_port(p, port)) {
		sb_printf(sb, "Gateway %s has no listener on port %lld (listeners: ", p->gwref, port);
		list_listeners(p, true, sb);
		sb_printf(sb, "); set port to a listener's port or leave it unset");
	} else {
		sb_printf(sb, "sectionName %s and port %lld select different listeners of Gateway %s (listeners: ",
			  sn, port, p->gwref);
		list_listeners(p, true, sb);
		sb_printf(sb, "); set port to the port of listener %s or leave it unset", sn);
	}
	findings_add(c->fs, "XO-PARENT-PORT", field, "%s", sb->buf);
}

/* ---- one parentRef ---------------------------------------------------------- */

static void decide_listeners(struct actx *c, struct pctx *p, struct attach_parent *out)
{
	bool ns_ok[LISTENERS_MAX], kind_ok[LISTENERS_MAX], host_ok[LISTENERS_MAX];
	bool any_ns = false, any_kind = false;
	struct sbuf sb;

	sb_init(&sb);
	out->attached_listeners = 0;
	out->listeners = 0;
	for (size_t i = 0; i < p->n; i++) {
		const json_t *l = listener_at(p, i);

		ns_ok[i] = ns_admits(c, p, l);
		kind_ok[i] = ns_ok[i] && kind_admits(c, l);
		host_ok[i] = kind_ok[i] && host_admits(c, l);
		any_ns = any_ns || ns_ok[i];
		any_kind = any_kind || kind_ok[i];
		if (host_ok[i] && json_array_size(p->listeners) <= 64)
			out->listeners |= UINT64_C(1) << p->idx[i];
		if (host_ok[i]) {
			sb_printf(&sb, "%s%s", out->attached_listeners ? ", " : "attached to listener ", lname(l));
			out->attached_listeners++;
		}
	}
	if (out->attached_listeners > 0) {
		out->accepted = true;
		out->reason = "Accepted";
	} else {
		sb_init(&sb);
		out->accepted = false;
		out->reason = any_kind ? "NoMatchingListenerHostname" : "NotAllowedByListeners";
		if (!any_ns)
			report_ns(c, p, &sb);
		else if (!any_kind)
			report_kind(c, p, ns_ok, &sb);
		else
			report_host(c, p, kind_ok, &sb);
	}
	snprintf(out->message, sizeof(out->message), "%s", sb.buf);
}

static bool parent_seen(const struct attach_result *res, const char *gwref)
{
	for (size_t i = 0; i + 1 < res->nparents; i++)
		if (strcmp(res->parents[i].gateway, gwref) == 0)
			return true;
	return false;
}

static void check_class(struct actx *c, const struct pctx *p)
{
	const char *cls = jv_str(jv_obj(p->gw, "spec"), "gatewayClassName");

	if (cls == NULL || view_get(c->v, KIND_GATEWAYCLASS, "", cls) != NULL)
		return;
	findings_add_sev(c->fs, c->missing, "XO-CLASS-MISSING", p->field,
			 "GatewayClass %s of parent Gateway %s does not exist: no controller programs the Gateway (Accepted=Unknown, Pending) and the route attaches nowhere until the class is installed; check gatewayClassName",
			 cls, p->gwref);
}

static int attach_check_route_what_if(const struct view *v, enum kind k, const json_t *route,
				      struct findings *fs, struct attach_result *ret);

/* The one Gateway named name in another namespace, or NULL (none, or several);
 * an indexed lookup by name. */
static const char *other_namespace_of(const struct actx *c, const char *name)
{
	const json_t *const *gws;
	size_t n = view_list_name(c->v, KIND_GATEWAY, name, &gws);

	return n == 1 ? meta_str(gws[0], "namespace") : NULL;
}

/* Would the route attach if parentRef ref named namespace ns? Evaluates a copy of the
 * route with just that parentRef; writes why not into why. */
static bool would_attach(const struct actx *c, const json_t *ref, const char *ns, char *why, size_t whysz)
{
	json_t *route = json_copy((json_t *)c->route), *spec, *nref;
	struct findings scratch;
	struct attach_result *res = malloc(sizeof(*res));
	bool ok = true;

	why[0] = '\0';
	spec = json_copy(jv_obj(route, "spec"));
	nref = json_copy((json_t *)ref);
	if (route == NULL || spec == NULL || nref == NULL || res == NULL ||
	    json_object_set_new(nref, "namespace", json_string(ns)) != 0 ||
	    json_object_set_new(spec, "parentRefs", json_pack("[O]", nref)) != 0 ||
	    json_object_set(route, "spec", spec) != 0)
		goto out;
	findings_init(&scratch, NULL);
	if (attach_check_route_what_if(c->v, c->kind, route, &scratch, res) == 0 && res->nparents == 1 &&
	    !res->parents[0].accepted) {
		ok = false;
		snprintf(why, whysz, "%s", res->parents[0].message);
	}
	findings_release(&scratch);
out:
	free(res);
	json_decref(nref);
	json_decref(spec);
	json_decref(route);
	return ok;
}

static void report_parent_missing(struct actx *c, const json_t *ref, const char *field, const char *gwns,
				  const char *name)
{
	const char *other = jv_str(ref, "namespace") == NULL && !c->what_if ? other_namespace_of(c, name) : NULL;
	char why[512];

	if (other != NULL && would_attach(c, ref, other, why, sizeof(why)))
		findings_add_sev(c->fs, c->missing, "XO-PARENT-MISSING", field,
				 "Gateway %s/%s does not exist: parentRef namespace is unset, so it means the route's namespace %s; Gateway %s/%s exists: set namespace: %s (the route attaches nowhere until then)",
				 gwns, name, c->ns, other, name, other);
	else if (other != NULL)
		findings_add_sev(c->fs, c->missing, "XO-PARENT-MISSING", field,
				 "Gateway %s/%s does not exist: parentRef namespace is unset, so it means the route's namespace %s; Gateway %s/%s exists, but setting namespace: %s is not enough: %s",
				 gwns, name, c->ns, other, name, other, why);
	else if (jv_str(ref, "namespace") == NULL)
		findings_add_sev(c->fs, c->missing, "XO-PARENT-MISSING", field,
				 "Gateway %s/%s does not exist: parentRef namespace is unset, so it means the route's namespace %s; set namespace to the namespace of the Gateway (the route attaches nowhere until then)",
				 gwns, name, c->ns);
	else
		findings_add_sev(c->fs, c->missing, "XO-PARENT-MISSING", field,
				 "Gateway %s/%s does not exist: the route attaches nowhere until it is created; check the parentRef's name and namespace",
				 gwns, name);
}

static void check_parent(struct actx *c, size_t i, const json_t *ref, struct attach_result *res)
{
	const char *name = jv_str(ref, "name"), *sn = jv_str(ref, "sectionName");
	struct attach_parent *out;
	struct pctx p;
	long long port = 0;
	bool has_port = jv_int(ref, "port", &port);
	struct sbuf sb;

	if (!streq(jv_str(ref, "group"), GAPI_GROUP) || !streq(jv_str(ref, "kind"), "Gateway") || name == NULL)
		return; /* not a Gateway: not ours to decide (see attach.h) */
	memset(&p, 0, sizeof(p));
	p.gwns = str_or(jv_str(ref, "namespace"), c->ns);
	snprintf(p.field, sizeof(p.field), "spec.parentRefs[%zu]", i);
	p.gw = view_get(c->v, KIND_GATEWAY, p.gwns, name);
	if (p.gw == NULL) {
		report_parent_missing(c, ref, p.field, p.gwns, name);
		return;
	}
	if (res->nparents == ATTACH_PARENTS_MAX)
		return;
	out = &res->parents[res->nparents++];
	memset(out, 0, sizeof(*out));
	out->index = i;
	snprintf(out->gateway, sizeof(out->gateway), "%s/%s", p.gwns, name);
	p.gwref = out->gateway;
	if (!parent_seen(res, p.gwref))
		check_class(c, &p);
	p.listeners = jv_arr(jv_obj(p.gw, "spec"), "listeners");
	select_listeners(&p, sn, has_port, port);
	if (p.n == 0) {
		sb_init(&sb);
		out->reason = "NoMatchingParent";
		report_no_parent(c, &p, sn, port, &sb);
		snprintf(out->message, sizeof(out->message), "%s", sb.buf);
		return;
	}
	decide_listeners(c, &p, out);
}

/* ---- backend references ----------------------------------------------------- */

static void refs_fail(struct actx *c, const char *reason, const char *field, const char *what)
{
	if (!c->refs_ok)
		return;
	c->refs_ok = false;
	c->refs_reason = reason;
	snprintf(c->refs_msg, sizeof(c->refs_msg), "%s: %s", field, what);
}

static bool grant_from_matches(const json_t *grant, const char *from_kind, const char *from_ns)
{
	const json_t *f;
	size_t i;

	json_array_foreach(jv_arr(jv_obj(grant, "spec"), "from"), i, f)
		if (streq(jv_str(f, "group"), GAPI_GROUP) && streq(jv_str(f, "kind"), from_kind) &&
		    streq(jv_str(f, "namespace"), from_ns))
			return true;
	return false;
}

int attach_grant_permits(const json_t *grant, const char *from_kind, const char *from_ns,
			 const char *to_kind, const char *to_name)
{
	const json_t *t;
	int ret = -1;
	size_t i;

	if (!grant_from_matches(grant, from_kind, from_ns))
		return -1;
	json_array_foreach(jv_arr(jv_obj(grant, "spec"), "to"), i, t) {
		const char *n = jv_str(t, "name");

		if (!streq(str_or(jv_str(t, "group"), ""), "") || !streq(jv_str(t, "kind"), to_kind))
			continue;
		if (n == NULL || n[0] == '\0' || streq(n, to_name))
			return 1;
		ret = 0;
	}
	return ret;
}

/* True when a ReferenceGrant in tns lets the route reference Service tns/name; else
 * *other names a grant that admits only other Service names, if there is one. */
static bool granted(const struct actx *c, const char *tns, const char *name, const char **other)
{
	const json_t *const *grants;
	size_t n = view_list_ns(c->v, KIND_REFERENCEGRANT, tns, &grants);

	*other = NULL;
	for (size_t i = 0; i < n; i++) {
		int to = attach_grant_permits(grants[i], c->kname, c->ns, "Service", name);

		if (to == 1)
			return true;
		if (to == 0 && *other == NULL)
			*other = meta_str(grants[i], "name");
	}
	return false;
}

/* True when granted; else the finding, at p */
static bool check_refgrant(struct actx *c, struct path *p, const char *tns, const char *name)
{
	const char *other, *field;
	char hint[320] = "";

	if (granted(c, tns, name, &other))
		return true;
	field = path_str(p);
	if (other != NULL)
		snprintf(hint, sizeof(hint), " (ReferenceGrant %s/%s admits %s from %s, but only other Service names)",
			 tns, str_or(other, "?"), c->kname, c->ns);
	findings_add(c->fs, "XO-REFGRANT", field,
		     "%s in namespace %s references Service %s/%s in another namespace and no ReferenceGrant in %s permits it%s: add a ReferenceGrant in namespace %s with from {group: gateway.networking.k8s.io, kind: %s, namespace: %s} and to {group: \"\", kind: Service, name: %s}",
		     c->kname, c->ns, tns, name, tns, hint, tns, c->kname, c->ns, name);
	refs_fail(c, "RefNotPermitted", field, "cross-namespace reference not permitted by a ReferenceGrant");
	return false;
}

static void service_ports(const json_t *svc, struct sbuf *sb)
{
	const json_t *sp;
	long long port;
	size_t i;

	json_array_foreach(jv_arr(jv_obj(svc, "spec"), "ports"), i, sp)
		if (jv_int(sp, "port", &port))
			sb_printf(sb, "%s%lld", sb->len ? ", " : "", port);
}

static bool service_has_port(const json_t *svc, long long want)
{
	const json_t *sp;
	long long port;
	size_t i;

	json_array_foreach(jv_arr(jv_obj(svc, "spec"), "ports"), i, sp)
		if (jv_int(sp, "port", &port) && port == want)
			return true;
	return false;
}

/* True when Service tns/name exists, is not ExternalName and has the port (if one is
 * set); else the finding, at p */
static bool check_service(struct actx *c, struct path *p, bool has_port, long long port, const char *tns,
			  const char *name, bool mirror)
{
	const json_t *svc = view_get(c->v, KIND_SERVICE, tns, name);
	const json_t *spec = jv_obj(svc, "spec");
	const char *field;
	struct sbuf sb;

	if (svc != NULL && !jv_streq(spec, "type", "ExternalName") && (!has_port || service_has_port(svc, port)))
		return true;
	field = path_str(p);
	if (svc == NULL) {
		findings_add_sev(c->fs, c->missing, "XO-BACKEND-MISSING", field,
				 "Service %s/%s does not exist: %s (ResolvedRefs=False, BackendNotFound) until it is created; check the backendRef's name and namespace",
				 tns, name,
				 mirror ? "mirrored requests go nowhere"
				 : c->kind == KIND_TCPROUTE || c->kind == KIND_UDPROUTE ? "its share of connections is refused or dropped"
				 : "its share of requests gets HTTP 500");
		refs_fail(c, "BackendNotFound", field, "backend Service not found");
		return false;
	}
	if (jv_streq(spec, "type", "ExternalName")) {
		findings_add(c->fs, "XO-BACKEND-EXTERNALNAME", field,
			     "Service %s/%s is of type ExternalName (%s): implementations SHOULD NOT forward to ExternalName Services (CVE-2021-25740) and many reject them; point the backendRef at a Service with endpoints",
			     tns, name, str_or(jv_str(spec, "externalName"), "?"));
		return false;
	}
	sb_init(&sb);
	service_ports(svc, &sb);
	findings_add(c->fs, "XO-BACKEND-PORT", field,
		     "Service %s/%s has no port %lld (its ports: %s): set port to one of the Service's spec.ports[].port (not a targetPort)",
		     tns, name, port, sb.len ? sb.buf : "none");
	refs_fail(c, "BackendNotFound", field, "backend Service has no such port");
	return false;
}

/* the members of a backendRef its check reads, picked at once (jv_pick) */
static const char *const bref_keys[] = { "group", "kind", "name", "namespace", "port", "filters" };
enum { BREF_GROUP, BREF_KIND, BREF_NAME, BREF_NS, BREF_PORT, BREF_FILTERS, BREF_KEYS };

/* The backendRef ref, whose members m holds (bref_keys), at p */
static void check_backend(struct actx *c, const json_t *ref, json_t *const *m, struct path *p, bool mirror)
{
	const char *group = str_or(jv_as_str(m[BREF_GROUP]), ""), *kind = str_or(jv_as_str(m[BREF_KIND]), "Service");
	const char *name = jv_as_str(m[BREF_NAME]);
	const char *tns = str_or(jv_as_str(m[BREF_NS]), c->ns);
	long long port = 0;
	bool has_port, clean;

	if (!json_is_object(ref) || name == NULL)
		return; /* HR-BREF / HR-MIRROR report the shape */
	if (group[0] != '\0' || strcmp(kind, "Service") != 0) {
		const char *field = path_str(p);

		findings_add(c->fs, "XO-BACKEND-KIND", field,
			     "backendRef %s%s%s %s is not supported: only core Services (group \"\", kind Service) resolve (ResolvedRefs=False, InvalidKind); use a Service",
			     group, group[0] ? "/" : "", kind, name);
		refs_fail(c, "InvalidKind", field, "backendRef group/kind is not a core Service");
		return;
	}
	has_port = jv_as_int(m[BREF_PORT], &port);
	for (size_t i = 0; i < c->nclean; i++) {
		const struct clean_ref *k = &c->clean[i];

		if (k->has_port == has_port && k->port == port && strcmp(k->name, name) == 0 && strcmp(k->tns, tns) == 0)
			return;
	}
	clean = strcmp(tns, c->ns) == 0 || check_refgrant(c, p, tns, name);
	clean = check_service(c, p, has_port, port, tns, name, mirror) && clean;
	if (clean && c->nclean < CLEAN_REFS)
		c->clean[c->nclean++] = (struct clean_ref){ .tns = tns, .name = name, .port = port, .has_port = has_port };
}

/* the RequestMirror backendRefs of filters, at p (the filters' owner) */
static void check_mirrors(struct actx *c, const json_t *filters, struct path *p)
{
	const json_t *f;
	size_t i;

	json_array_foreach(filters, i, f) {
		const json_t *ref = jv_obj(jv_obj(f, "requestMirror"), "backendRef");
		json_t *m[BREF_KEYS];
		size_t mp;

		if (ref == NULL)
			continue;
		jv_pick(ref, bref_keys, BREF_KEYS, m);
		mp = path_key(p, "filters");
		path_idx(p, i);
		path_key(p, "requestMirror");
		path_key(p, "backendRef");
		check_backend(c, ref, m, p, true);
		path_pop(p, mp);
	}
}

static void check_backends(struct actx *c, const json_t *spec)
{
	static const char *const rule_keys[] = { "filters", "backendRefs" };
	const json_t *rule, *b;
	struct path p;
	size_t r, i;

	path_init(&p);
	path_key(&p, "spec");
	path_key(&p, "rules");
	json_array_foreach(jv_arr(spec, "rules"), r, rule) {
		size_t mr = path_idx(&p, r);
		json_t *rm[2];

		jv_pick(rule, rule_keys, 2, rm);
		check_mirrors(c, jv_as_arr(rm[0]), &p);
		json_array_foreach(jv_as_arr(rm[1]), i, b) {
			size_t mb = path_key(&p, "backendRefs");
			json_t *m[BREF_KEYS];

			jv_pick(b, bref_keys, BREF_KEYS, m);
			path_idx(&p, i);
			check_backend(c, b, m, &p, false);
			check_mirrors(c, jv_as_arr(m[BREF_FILTERS]), &p);
			path_pop(&p, mb);
		}
		path_pop(&p, mr);
	}
}

/* ---- entry points ----------------------------------------------------------- */

static enum severity missing_sev(bool strict, const struct findings *fs)
{
	return strict || (fs->cfg != NULL && fs->cfg->strict) ? SEV_ERROR : SEV_WARNING;
}

static void fill_refs(const struct actx *c, struct attach_result *res)
{
	for (size_t i = 0; i < res->nparents; i++) {
		struct attach_parent *p = &res->parents[i];

		p->resolved_refs = c->refs_ok;
		p->refs_reason = c->refs_reason;
		if (p->accepted && !c->refs_ok)
			snprintf(p->message, sizeof(p->message), "%s", c->refs_msg);
	}
}

static int check_route(const struct view *v, enum kind k, const json_t *route, bool strict, bool what_if,
		       struct findings *fs, struct attach_result *ret)
{
	struct attach_result local;
	struct attach_result *res = ret != NULL ? ret : &local;
	const json_t *spec = jv_obj(route, "spec");
	const json_t *ref;
	struct actx c;
	size_t i;

	res->nparents = 0;
	if (!kind_is_route(k))
		return ERR_INVALID;
	memset(&c, 0, sizeof(c));
	c.v = v;
	c.kind = k;
	c.kname = kind_name(k);
	c.ns = str_or(meta_str(route, "namespace"), "default");
	if (c.ns[0] == '\0')
		c.ns = "default";
	c.hostnames = jv_arr(spec, "hostnames");
	c.route = route;
	c.what_if = what_if;
	c.missing = missing_sev(strict, fs);
	c.fs = fs;
	c.refs_ok = true;
	c.refs_reason = "ResolvedRefs";
	json_array_foreach(jv_arr(spec, "parentRefs"), i, ref)
		check_parent(&c, i, ref, res);
	check_backends(&c, spec);
	fill_refs(&c, res);
	if (fs->nomem)
		return ERR_NOMEM;
	return c.rc;
}

int attach_check_route(const struct view *v, enum kind k, const json_t *route, bool strict,
		       struct findings *fs, struct attach_result *ret)
{
	return check_route(v, k, route, strict, false, fs, ret);
}

static int attach_check_route_what_if(const struct view *v, enum kind k, const json_t *route,
				      struct findings *fs, struct attach_result *ret)
{
	return check_route(v, k, route, false, true, fs, ret);
}

int attach_check_gateway(const struct view *v, const json_t *gw, bool strict, struct findings *fs)
{
	const char *cls = jv_str(jv_obj(gw, "spec"), "gatewayClassName");

	if (cls == NULL || view_get(v, KIND_GATEWAYCLASS, "", cls) != NULL)
		return 0;
	findings_add_sev(fs, missing_sev(strict, fs), "XO-CLASS-MISSING", "spec.gatewayClassName",
			 "GatewayClass %s does not exist: no controller picks the Gateway up (Accepted=Unknown, Pending: Waiting for controller) until it is installed; check gatewayClassName against `kubectl get gatewayclass`",
			 cls);
	return 0;
}
