/*
 * gwstatus: the Gateway side of the cross-object checks (spec/gateway-api-rules.md
 * section 8): the status.listeners[] a conformant controller would write for a
 * Gateway, and the findings about its listeners' certificates. Pure: no I/O, no
 * clock (now is a parameter), no OpenSSL; certificates are judged from the summary
 * that certs/tlsinfo.h writes into each Secret (secret.gatewarden.tls).
 *
 * Findings (on the Gateway, field spec.listeners[i].tls.certificateRefs[j]):
 *   XO-CERT-REFGRANT   error    Secret in another namespace, no ReferenceGrant in that
 *                               namespace from {gateway.networking.k8s.io, Gateway, the
 *                               Gateway's namespace} to {"", Secret, that name or none}
 *   XO-CERT-MISSING    warning  (error when strict) the Secret does not exist; silent
 *                               when the Gateway carries cert-manager.io/issuer or
 *                               cert-manager.io/cluster-issuer and cert-manager's
 *                               gateway-shim would issue this Secret (listener hostname
 *                               set, same namespace); when the annotation is there but
 *                               the listener is not eligible, the warning says why
 *   XO-CERT-MALFORMED  error    the Secret exists but is not of type kubernetes.io/tls,
 *                               or its summary says unusable (the problem is quoted);
 *                               a Secret without a summary is "not inspected"
 *   XO-CERT-SAN        warning  no DNS name of the certificate covers the listener
 *                               hostname (a wildcard listener: the wildcard itself);
 *                               unset listener hostnames are not checked. Certificate
 *                               wildcards match one label (RFC 6125), so *.example.com
 *                               covers a.example.com and *.example.com, never
 *                               a.b.example.com
 *   XO-CERT-EXPIRED    error    notAfter <= now
 *   XO-CERT-EXPIRING   warning  notAfter - now < GWSTATUS_EXPIRY_WINDOW
 * Only listeners that terminate TLS (HTTPS or TLS, tls.mode Terminate or unset) have
 * their certificateRefs checked; refs of another group/kind are left to
 * WX-CERTREF-KIND (status: InvalidCertificateRef).
 *
 * Status per listener (reasons are upstream's):
 *   Accepted      False UnsupportedProtocol for an un-prefixed protocol that is not
 *                 HTTP, HTTPS, TLS, TCP or UDP; else True Accepted
 *   ResolvedRefs  False RefNotPermitted / InvalidCertificateRef / InvalidRouteKinds
 *                 (the first problem: certificateRefs in order, then kinds); else True
 *   Conflicted    True ProtocolConflict when another listener on the same port uses a
 *                 protocol it cannot share the port with (HTTP only with HTTP, HTTPS
 *                 and TLS together, TCP only with TCP; UDP is another transport and
 *                 never conflicts with the others; prefixed protocols are not judged);
 *                 True HostnameConflict when another listener of the same port and
 *                 compatible protocol has the same hostname (unset = unset); else False
 *   Programmed    False Invalid when any of the above failed, else True Programmed
 * Expiry and SAN coverage do not change the status (controllers do not check them).
 * supportedKinds: allowedRoutes.kinds entries valid for the protocol (group
 * gateway.networking.k8s.io and a kind attach_protocol_kinds lists), else the
 * protocol's defaults; for prefixed protocols the gateway.networking.k8s.io kinds as
 * written; none when the protocol is unsupported.
 *
 * Semantics assumed (section 9): the Gateway may or may not be defaulted; an unset
 * certificateRef namespace is the Gateway's, an unset group/kind is ""/Secret, a
 * Gateway without metadata.namespace is in "default".
 *
 * Ownership: everything is borrowed; struct gwstatus holds copies and string literals
 * only, so it outlives the view. It is large (~160 KB): allocate it, do not put it on a
 * small stack. Cost: O(listeners^2 + certificateRefs * grants in the Secret's namespace).
 */
#ifndef CORE_GWSTATUS_H
#define CORE_GWSTATUS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "view.h"

struct findings;

#define GWSTATUS_LISTENERS_MAX 64
#define GWSTATUS_KINDS_MAX 8
#define GWSTATUS_CONDS 4
/* XO-CERT-EXPIRING: certificates that expire within this many seconds (14 days). */
#define GWSTATUS_EXPIRY_WINDOW (14LL * 24 * 3600)

enum gwstatus_cond {
	GWSTATUS_ACCEPTED = 0,
	GWSTATUS_RESOLVED_REFS,
	GWSTATUS_CONFLICTED,
	GWSTATUS_PROGRAMMED,
};

struct gwstatus_condition {
	const char *type;     /* "Accepted", "ResolvedRefs", "Conflicted", "Programmed" */
	const char *status;   /* "True" or "False" */
	const char *reason;   /* upstream reason, a literal */
	char message[384];
};

struct gwstatus_listener {
	char name[254];
	size_t attached_routes;
	char supported_kinds[GWSTATUS_KINDS_MAX][64]; /* group gateway.networking.k8s.io */
	size_t nkinds;
	struct gwstatus_condition conditions[GWSTATUS_CONDS]; /* indexed by enum gwstatus_cond */
	size_t nconditions;  /* always GWSTATUS_CONDS */
};

struct gwstatus {
	struct gwstatus_listener listeners[GWSTATUS_LISTENERS_MAX];
	size_t nlisteners;   /* spec.listeners beyond the 64th are not described */
};

/*
 * gw: a Gateway object. attached: per spec.listeners index, the routes attached to it
 * (e.g. counted from attach_parent.listeners over every route), or NULL for 0. strict
 * makes XO-CERT-MISSING an error (so does the findings' rules_config.strict). Appends
 * the XO-CERT-* findings to fs and fills *ret when ret is not NULL. Returns 0, or
 * ERR_NOMEM (findings may then be incomplete).
 */
int gwstatus_gateway(const struct view *v, const json_t *gw, long long now, const size_t *attached,
		     bool strict, struct findings *fs, struct gwstatus *ret);

#endif
