/*
 * gwstatus: see gwstatus.h.
 *
 * Design: one pass over spec.listeners decides each listener on its own (protocol,
 * route kinds, certificate references), then one pass over all pairs decides
 * conflicts, and the Programmed condition is derived last from the other three, the
 * way a controller's status is built. A certificateRef is followed only as far as a
 * controller would follow it: no grant means the Secret is never read, a missing or
 * unusable Secret is not looked into further; only a usable certificate gets the SAN
 * and expiry checks, which are advice and never change the status. Each ref stops at
 * its first problem, so a message always names the one thing to change first.
 *
 * ResolvedRefs keeps the first problem of a listener in document order (certificate
 * refs, then allowedRoutes.kinds), like attach.c's refs_fail.
 */
#include "gwstatus.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "attach.h"
#include "err.h"
#include "findings.h"
#include "hostname.h"
#include "jv.h"
#include "rules.h"

#define GAPI_GROUP "gateway.networking.k8s.io"
#define TLS_SECRET "kubernetes.io/tls"
#define CM_ISSUER "cert-manager.io/issuer"
#define CM_CLUSTER_ISSUER "cert-manager.io/cluster-issuer"

/* Everything one Gateway check needs; the Gateway is read, never written. */
struct gctx {
	const struct view *v;
	const char *ns, *name;       /* the Gateway's */
	const char *cm;              /* the cert-manager annotation present, or NULL */
	long long now;
	enum severity missing;       /* XO-CERT-MISSING's severity */
	struct findings *fs;
	int rc;
};

/* One listener being decided. */
struct lctx {
	size_t i;
	const json_t *l;
	const char *lname, *proto, *host;
	struct gwstatus_listener *out;
	bool refs_ok;
};

enum proto_class {
	PC_HTTP,      /* HTTP */
	PC_TLS,       /* HTTPS, TLS: SNI-routed, may share a port */
	PC_TCP,
	PC_UDP,
	PC_PREFIXED,  /* implementation-specific: example.com/x */
	PC_UNKNOWN,   /* un-prefixed, not a core protocol */
};

static const char *str_or(const char *s, const char *dflt)
{
	return s != NULL ? s : dflt;
}

static bool streq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static enum proto_class proto_class(const char *p)
{
	if (streq(p, "HTTP"))
		return PC_HTTP;
	if (streq(p, "HTTPS") || streq(p, "TLS"))
		return PC_TLS;
	if (streq(p, "TCP"))
		return PC_TCP;
	if (streq(p, "UDP"))
		return PC_UDP;
	if (p != NULL && strchr(p, '/') != NULL)
		return PC_PREFIXED;
	return PC_UNKNOWN;
}

__attribute__((format(printf, 5, 6)))
static void set_cond(struct gwstatus_listener *out, enum gwstatus_cond c, bool status, const char *reason,
		     const char *fmt, ...)
{
	static const char *const types[GWSTATUS_CONDS] = { "Accepted", "ResolvedRefs", "Conflicted", "Programmed" };
	struct gwstatus_condition *cd = &out->conditions[c];
	va_list ap;

	cd->type = types[c];
	cd->status = status ? "True" : "False";
	cd->reason = reason;
	va_start(ap, fmt);
	vsnprintf(cd->message, sizeof(cd->message), fmt, ap);
	va_end(ap);
}

/* ResolvedRefs False: only the first problem of a listener is kept. */
__attribute__((format(printf, 3, 4)))
static void refs_fail(struct lctx *lc, const char *reason, const char *fmt, ...)
{
	struct gwstatus_condition *cd = &lc->out->conditions[GWSTATUS_RESOLVED_REFS];
	va_list ap;

	if (!lc->refs_ok)
		return;
	lc->refs_ok = false;
	cd->status = "False";
	cd->reason = reason;
	va_start(ap, fmt);
	vsnprintf(cd->message, sizeof(cd->message), fmt, ap);
	va_end(ap);
}

/* ---- dates for messages (civil from days, no clock, no libc time) ------------- */

static void fmt_time(long long t, char *buf, size_t n)
{
	long long days = t / 86400, secs = t % 86400;

	if (secs < 0) {
		secs += 86400;
		days--;
	}
	/* Howard Hinnant's days_from_civil inverse */
	long long z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	long long doe = z - era * 146097;
	long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long long y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long long mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
	long long m = mp < 10 ? mp + 3 : mp - 9;

	snprintf(buf, n, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ", y + (m <= 2), m, d, secs / 3600,
		 secs / 60 % 60, secs % 60);
}

/* ---- certificate coverage ------------------------------------------------------ */

static size_t labels(const char *s)
{
	size_t n = 1;

	for (; *s; s++)
		n += *s == '.';
	return n;
}

/* A certificate name covers host (precise or wildcard) the way TLS clients match:
 * Gateway API coverage, and a certificate wildcard stands for exactly one label. */
static bool cert_covers(const char *certname, const char *host)
{
	if (certname[0] == '*' && labels(certname) != labels(host))
		return false;
	return hostname_covers(certname, host);
}

static void names_list(const json_t *names, char *buf, size_t n)
{
	const json_t *x;
	size_t i, len = 0;

	buf[0] = '\0';
	json_array_foreach(names, i, x) {
		int w = snprintf(buf + len, n - len, "%s%s", i ? ", " : "", str_or(json_string_value(x), "?"));

		if (w < 0 || (size_t)w >= n - len)
			return;
		len += (size_t)w;
	}
}

static void check_san(struct gctx *g, struct lctx *lc, const json_t *tls, const char *sref, const char *field)
{
	const json_t *names = jv_arr(tls, "dnsNames"), *x;
	char list[512];
	size_t i;

	if (lc->host == NULL)
		return;
	json_array_foreach(names, i, x)
		if (json_is_string(x) && cert_covers(json_string_value(x), lc->host))
			return;
	names_list(names, list, sizeof(list));
	findings_add(g->fs, "XO-CERT-SAN", field,
		     "the certificate in Secret %s covers %s but not the hostname %s of listener %s: TLS clients will reject it with a name mismatch; reissue the certificate with %s among its DNS names (a certificate wildcard covers exactly one label), or change the listener hostname",
		     sref, list[0] ? list : "no DNS name", lc->host, lc->lname, lc->host);
}

static void check_expiry(struct gctx *g, struct lctx *lc, const json_t *tls, const char *sref, const char *field)
{
	long long na;
	char when[128];

	if (!jv_int(tls, "notAfter", &na))
		return;
	fmt_time(na, when, sizeof(when));
	if (na <= g->now)
		findings_add(g->fs, "XO-CERT-EXPIRED", field,
			     "the certificate in Secret %s expired at %s: TLS clients of listener %s reject it; renew it (or put a valid certificate and key into the Secret)",
			     sref, when, lc->lname);
	else if (na - g->now < GWSTATUS_EXPIRY_WINDOW)
		findings_add(g->fs, "XO-CERT-EXPIRING", field,
			     "the certificate in Secret %s expires at %s, in %lld day(s): renew it before then (cert-manager renews the certificates it issues; check its Certificate's status if this one is not renewed)",
			     sref, when, (na - g->now) / 86400);
}

/* ---- one certificateRef --------------------------------------------------------- */

static bool cert_granted(const struct gctx *g, const char *sns, const char *name, const char **other)
{
	const json_t *const *grants;
	size_t n = view_list_ns(g->v, KIND_REFERENCEGRANT, sns, &grants);

	*other = NULL;
	for (size_t i = 0; i < n; i++) {
		int to = attach_grant_permits(grants[i], "Gateway", g->ns, "Secret", name);

		if (to == 1)
			return true;
		if (to == 0 && *other == NULL)
			*other = str_or(jv_str(jv_obj(grants[i], "metadata"), "name"), "?");
	}
	return false;
}

static void report_refgrant(struct gctx *g, const char *sns, const char *name, const char *other, const char *field)
{
	char hint[320] = "";

	if (other != NULL)
		snprintf(hint, sizeof(hint), " (ReferenceGrant %s/%s admits Gateways from %s, but only other Secret names)",
			 sns, other, g->ns);
	findings_add(g->fs, "XO-CERT-REFGRANT", field,
		     "Gateway %s/%s references Secret %s/%s in another namespace and no ReferenceGrant in %s permits it%s (ResolvedRefs=False, RefNotPermitted): add a ReferenceGrant in namespace %s with from {group: gateway.networking.k8s.io, kind: Gateway, namespace: %s} and to {group: \"\", kind: Secret, name: %s}",
		     g->ns, g->name, sns, name, sns, hint, sns, g->ns, name);
}

/* Why cert-manager's gateway-shim will not issue this Secret; NULL when it will. */
static const char *cm_ineligible(const struct gctx *g, const struct lctx *lc, const char *sns)
{
	if (lc->host == NULL || lc->host[0] == '\0')
		return "the listener has no hostname";
	if (strcmp(sns, g->ns) != 0)
		return "the Secret is in another namespace than the Gateway";
	return NULL;
}

/* A cert-manager Certificate in sns whose spec.secretName is name: cert-manager will
 * write that Secret, so its absence is apply order, not a mistake. */
static bool certificate_will_issue(const struct gctx *g, const char *sns, const char *name)
{
	const json_t *const *certs;
	size_t n = view_list_ns(g->v, KIND_CERTIFICATE, sns, &certs);

	for (size_t i = 0; i < n; i++)
		if (jv_streq(jv_obj(certs[i], "spec"), "secretName", name))
			return true;
	return false;
}

static void report_missing(struct gctx *g, const struct lctx *lc, const char *sns, const char *name,
			   const char *field)
{
	const char *why;

	if (certificate_will_issue(g, sns, name))
		return;
	if (g->cm == NULL) {
		findings_add_sev(g->fs, g->missing, "XO-CERT-MISSING", field,
				 "Secret %s/%s does not exist: listener %s cannot terminate TLS (ResolvedRefs=False, InvalidCertificateRef) until it is created; create the kubernetes.io/tls Secret, or annotate the Gateway with " CM_ISSUER " or " CM_CLUSTER_ISSUER " so cert-manager issues it",
				 sns, name, lc->lname);
		return;
	}
	why = cm_ineligible(g, lc, sns);
	if (why == NULL)
		return; /* cert-manager will create it: GitOps order, not a mistake */
	findings_add_sev(g->fs, g->missing, "XO-CERT-MISSING", field,
			 "Secret %s/%s does not exist and cert-manager will not issue it despite the %s annotation: %s; give the listener a hostname and reference a Secret in namespace %s, or create the Secret yourself",
			 sns, name, g->cm, why, g->ns);
}

static void check_ref(struct gctx *g, struct lctx *lc, const json_t *ref, const char *field)
{
	const char *group = str_or(jv_str(ref, "group"), ""), *kind = str_or(jv_str(ref, "kind"), "Secret");
	const char *name = jv_str(ref, "name"), *sns = jv_str(ref, "namespace");
	const char *other, *problem;
	const json_t *secret, *tls;
	char sref[320];

	if (name == NULL)
		return; /* GW-TLS-CERTREF reports the shape */
	if (sns == NULL || sns[0] == '\0')
		sns = g->ns;
	if (group[0] != '\0' || strcmp(kind, "Secret") != 0) {
		refs_fail(lc, "InvalidCertificateRef", "%s: %s%s%s is not a supported certificate kind", field, group,
			  group[0] ? "/" : "", kind);
		return; /* WX-CERTREF-KIND reports it */
	}
	snprintf(sref, sizeof(sref), "%s/%s", sns, name);
	if (strcmp(sns, g->ns) != 0 && !cert_granted(g, sns, name, &other)) {
		report_refgrant(g, sns, name, other, field);
		refs_fail(lc, "RefNotPermitted", "%s: Secret %s in another namespace is not permitted by a ReferenceGrant", field, sref);
		return;
	}
	secret = view_get(g->v, KIND_SECRET, sns, name);
	if (secret == NULL) {
		report_missing(g, lc, sns, name, field);
		refs_fail(lc, "InvalidCertificateRef", "%s: Secret %s does not exist", field, sref);
		return;
	}
	if (!jv_streq(secret, "type", TLS_SECRET)) {
		findings_add(g->fs, "XO-CERT-MALFORMED", field,
			     "Secret %s is of type %s, not " TLS_SECRET ": listener %s cannot use it (ResolvedRefs=False, InvalidCertificateRef); store the certificate and key in a Secret of type " TLS_SECRET " (kubectl create secret tls)",
			     sref, str_or(jv_str(secret, "type"), "Opaque"), lc->lname);
		refs_fail(lc, "InvalidCertificateRef", "%s: Secret %s is not of type " TLS_SECRET, field, sref);
		return;
	}
	tls = jv_obj(jv_obj(secret, "gatewarden"), "tls");
	if (!json_is_true(jv_get(tls, "usable"))) {
		problem = tls == NULL ? "not inspected" : str_or(jv_str(tls, "problem"), "unusable");
		findings_add(g->fs, "XO-CERT-MALFORMED", field,
			     "Secret %s is not a usable TLS key pair: %s; listener %s cannot terminate TLS (ResolvedRefs=False, InvalidCertificateRef): put a PEM certificate chain in tls.crt and its matching private key in tls.key",
			     sref, problem, lc->lname);
		refs_fail(lc, "InvalidCertificateRef", "%s: Secret %s: %s", field, sref, problem);
		return;
	}
	check_san(g, lc, tls, sref, field);
	check_expiry(g, lc, tls, sref, field);
}

static bool terminates_tls(const struct lctx *lc)
{
	const json_t *tls = jv_obj(lc->l, "tls");

	return proto_class(lc->proto) == PC_TLS && tls != NULL && !jv_streq(tls, "mode", "Passthrough");
}

static void check_certs(struct gctx *g, struct lctx *lc)
{
	const json_t *ref;
	char field[128];
	size_t j;

	if (!terminates_tls(lc))
		return;
	json_array_foreach(jv_arr(jv_obj(lc->l, "tls"), "certificateRefs"), j, ref) {
		snprintf(field, sizeof(field), "spec.listeners[%zu].tls.certificateRefs[%zu]", lc->i, j);
		check_ref(g, lc, ref, field);
	}
}

/* ---- route kinds ------------------------------------------------------------------ */

static bool kind_valid(const char *const *def, enum proto_class pc, const json_t *e)
{
	const char *kind = jv_str(e, "kind");

	if (!streq(str_or(jv_str(e, "group"), GAPI_GROUP), GAPI_GROUP) || kind == NULL)
		return false;
	if (pc == PC_PREFIXED)
		return true;
	for (; def != NULL && *def != NULL; def++)
		if (strcmp(*def, kind) == 0)
			return true;
	return false;
}

static void add_kind(struct gwstatus_listener *out, const char *kind)
{
	for (size_t i = 0; i < out->nkinds; i++)
		if (strcmp(out->supported_kinds[i], kind) == 0)
			return;
	if (out->nkinds < GWSTATUS_KINDS_MAX)
		snprintf(out->supported_kinds[out->nkinds++], sizeof(out->supported_kinds[0]), "%s", kind);
}

static void decide_kinds(struct lctx *lc)
{
	enum proto_class pc = proto_class(lc->proto);
	const char *const *def = attach_protocol_kinds(lc->proto);
	const json_t *kinds = jv_arr(jv_obj(lc->l, "allowedRoutes"), "kinds"), *e;
	size_t k;

	if (pc == PC_UNKNOWN)
		return;
	if (jv_size(kinds) == 0) {
		for (; def != NULL && *def != NULL; def++)
			add_kind(lc->out, *def);
		return;
	}
	json_array_foreach(kinds, k, e) {
		if (kind_valid(def, pc, e)) {
			add_kind(lc->out, jv_str(e, "kind"));
			continue;
		}
		refs_fail(lc, "InvalidRouteKinds", "spec.listeners[%zu].allowedRoutes.kinds[%zu]: %s%s%s is not a route kind protocol %s supports",
			  lc->i, k, str_or(jv_str(e, "group"), GAPI_GROUP), "/", str_or(jv_str(e, "kind"), "?"), lc->proto);
	}
}

/* ---- one listener -------------------------------------------------------------------- */

static void decide_listener(struct gctx *g, const json_t *l, size_t i, const size_t *attached,
			    struct gwstatus_listener *out)
{
	struct lctx lc = { .i = i, .l = l, .out = out, .refs_ok = true };

	lc.lname = str_or(jv_str(l, "name"), "<unnamed>");
	lc.proto = str_or(jv_str(l, "protocol"), "");
	lc.host = jv_str(l, "hostname");
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", str_or(jv_str(l, "name"), ""));
	out->nconditions = GWSTATUS_CONDS;
	out->attached_routes = attached != NULL ? attached[i] : 0;
	if (proto_class(lc.proto) == PC_UNKNOWN)
		set_cond(out, GWSTATUS_ACCEPTED, false, "UnsupportedProtocol",
			 "protocol %s is not supported: use HTTP, HTTPS, TLS, TCP, UDP or a domain-prefixed implementation-specific protocol",
			 lc.proto);
	else
		set_cond(out, GWSTATUS_ACCEPTED, true, "Accepted", "Listener is accepted");
	set_cond(out, GWSTATUS_RESOLVED_REFS, true, "ResolvedRefs", "All references are resolved");
	set_cond(out, GWSTATUS_CONFLICTED, false, "NoConflicts", "No conflicts found");
	check_certs(g, &lc);
	decide_kinds(&lc);
}

/* ---- conflicts between listeners --------------------------------------------------- */

/* 0: no conflict, 1: HostnameConflict, 2: ProtocolConflict. */
static int conflict(const json_t *a, const json_t *b)
{
	enum proto_class pa = proto_class(jv_str(a, "protocol")), pb = proto_class(jv_str(b, "protocol"));
	long long porta, portb;
	const char *ha = jv_str(a, "hostname"), *hb = jv_str(b, "hostname");

	if (!jv_int(a, "port", &porta) || !jv_int(b, "port", &portb) || porta != portb)
		return 0;
	if (pa >= PC_PREFIXED || pb >= PC_PREFIXED || (pa == PC_UDP) != (pb == PC_UDP))
		return 0;
	if (pa != pb)
		return 2;
	if (ha == NULL ? hb == NULL : streq(ha, hb))
		return 1;
	return 0;
}

static void mark_conflict(struct gwstatus_listener *out, int kind, const char *other, long long port)
{
	struct gwstatus_condition *cd = &out->conditions[GWSTATUS_CONFLICTED];

	if (kind == 0 || (cd->status[0] == 'T' && strcmp(cd->reason, "ProtocolConflict") == 0))
		return;
	if (kind == 2)
		set_cond(out, GWSTATUS_CONFLICTED, true, "ProtocolConflict",
			 "listener %s on the same port %lld uses a protocol that cannot share the port", other, port);
	else if (cd->status[0] != 'T')
		set_cond(out, GWSTATUS_CONFLICTED, true, "HostnameConflict",
			 "listener %s on the same port %lld has the same hostname", other, port);
}

static void decide_conflicts(const json_t *listeners, struct gwstatus *ret)
{
	for (size_t i = 0; i < ret->nlisteners; i++) {
		for (size_t j = i + 1; j < ret->nlisteners; j++) {
			const json_t *a = json_array_get(listeners, i), *b = json_array_get(listeners, j);
			int k = conflict(a, b);
			long long port = 0;

			jv_int(a, "port", &port);
			mark_conflict(&ret->listeners[i], k, ret->listeners[j].name, port);
			mark_conflict(&ret->listeners[j], k, ret->listeners[i].name, port);
		}
	}
}

static void decide_programmed(struct gwstatus_listener *out)
{
	const char *why = NULL;

	if (out->conditions[GWSTATUS_ACCEPTED].status[0] == 'F')
		why = "the listener is not accepted";
	else if (out->conditions[GWSTATUS_RESOLVED_REFS].status[0] == 'F')
		why = "the listener has unresolved references";
	else if (out->conditions[GWSTATUS_CONFLICTED].status[0] == 'T')
		why = "the listener conflicts with another listener";
	if (why != NULL)
		set_cond(out, GWSTATUS_PROGRAMMED, false, "Invalid", "%s", why);
	else
		set_cond(out, GWSTATUS_PROGRAMMED, true, "Programmed", "Listener is programmed");
}

/* ---- entry point ----------------------------------------------------------------------- */

static const char *cm_annotation(const json_t *gw)
{
	const json_t *ann = jv_obj(jv_obj(gw, "metadata"), "annotations");

	if (jv_strlen(ann, CM_ISSUER) > 0)
		return CM_ISSUER;
	if (jv_strlen(ann, CM_CLUSTER_ISSUER) > 0)
		return CM_CLUSTER_ISSUER;
	return NULL;
}

int gwstatus_gateway(const struct view *v, const json_t *gw, long long now, const size_t *attached,
		     bool strict, struct findings *fs, struct gwstatus *ret)
{
	const json_t *listeners = jv_arr(jv_obj(gw, "spec"), "listeners"), *l;
	const json_t *meta = jv_obj(gw, "metadata");
	struct gctx g = { .v = v, .now = now, .fs = fs };
	size_t i;

	g.ns = str_or(jv_str(meta, "namespace"), "default");
	if (g.ns[0] == '\0')
		g.ns = "default";
	g.name = str_or(jv_str(meta, "name"), "?");
	g.cm = cm_annotation(gw);
	g.missing = strict || (fs->cfg != NULL && fs->cfg->strict) ? SEV_ERROR : SEV_WARNING;
	if (ret != NULL)
		ret->nlisteners = 0;
	json_array_foreach(listeners, i, l) {
		struct gwstatus_listener one, *out;

		if (i == GWSTATUS_LISTENERS_MAX)
			break;
		out = ret != NULL ? &ret->listeners[i] : &one;
		decide_listener(&g, l, i, attached, out);
		if (ret != NULL)
			ret->nlisteners = i + 1;
	}
	if (ret != NULL) {
		decide_conflicts(listeners, ret);
		for (i = 0; i < ret->nlisteners; i++)
			decide_programmed(&ret->listeners[i]);
	}
	return fs->nomem ? ERR_NOMEM : g.rc;
}
