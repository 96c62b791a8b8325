/*
 * rules: the constant registry. Ids and default actions follow
 * spec/gateway-api-rules.md; docs/rules.md is the user-facing list.
 */
#include "rules.h"

#include <string.h>

#include "err.h"

#define E SEV_ERROR
#define W SEV_WARNING
#define S RULE_SINGLE
#define X RULE_CROSS

static const struct rules_info table[] = {
	/* generic */
	{ "SCHEMA-TYPE", E, S, "JSON type must match the schema (list vs map, int vs string)" },
	{ "SCHEMA-UNKNOWN", E, S, "unknown fields are rejected (strict decoding)" },
	{ "META-APIVERSION", E, S, "the apiVersion serves the kind (e.g. Gateway is v1 or v1beta1)" },
	{ "META-NAME", E, S, "metadata.name is an RFC 1123 subdomain; metadata.namespace an RFC 1123 label" },
	/* Gateway: schema and CEL */
	{ "GW-REQ", E, S, "spec, gatewayClassName, listeners and listener name/port/protocol are required" },
	{ "GW-CLASSNAME", E, S, "gatewayClassName is 1..253 characters" },
	{ "GW-LST-COUNT", E, S, "1..64 listeners" },
	{ "GW-LST-NAME", E, S, "listener name is a SectionName" },
	{ "GW-LST-NAME-UNIQUE", E, S, "listener names are unique" },
	{ "GW-LST-PORT", E, S, "listener port is 1..65535" },
	{ "GW-LST-PROTO", E, S, "listener protocol matches the ProtocolType pattern" },
	{ "GW-LST-HOST", E, S, "listener hostname is a Hostname" },
	{ "GW-LST-TUPLE-UNIQUE", E, S, "(port, protocol, hostname) is unique per listener" },
	{ "GW-TLS-FORBIDDEN", E, S, "no tls for HTTP, TCP and UDP listeners" },
	{ "GW-HOST-FORBIDDEN", E, S, "no hostname for TCP and UDP listeners" },
	{ "GW-TLS-HTTPS-MODE", E, S, "HTTPS listener tls mode must be Terminate" },
	{ "GW-TLS-TLS-MODE", E, S, "TLS listener needs tls with a mode" },
	{ "GW-TLS-CERTS", E, S, "tls mode Terminate needs certificateRefs or options" },
	{ "GW-TLS-MODE-ENUM", E, S, "tls mode is Terminate or Passthrough" },
	{ "GW-TLS-CERTREF", E, S, "certificateRefs: at most 64, name required, group/kind/namespace patterns" },
	{ "GW-TLS-OPTIONS", E, S, "tls options: at most 16 entries, values up to 4096 characters" },
	{ "GW-AR-FROM", E, S, "allowedRoutes.namespaces.from is All, Selector or Same" },
	{ "GW-AR-KINDS", E, S, "allowedRoutes.kinds: at most 8, kind required" },
	{ "GW-AR-SELECTOR", E, S, "selector matchExpressions need key and operator" },
	{ "GW-ADDR", E, S, "addresses: at most 16, type pattern, IPAddress values are IPs" },
	{ "GW-ADDR-UNIQUE", E, S, "IPAddress and Hostname address values are unique" },
	{ "GW-ADDR-HOSTNAME", E, S, "Hostname address values are empty or valid hostnames" },
	{ "GW-INFRA", E, S, "infrastructure labels/annotations keys, values and counts; parametersRef fields" },
	{ "GW-ALLOWEDLISTENERS", E, S, "allowedListeners.namespaces.from is All, Selector, Same or None" },
	{ "GW-FTLS", E, S, "spec.tls.frontend: default required, caCertificateRefs, mode, unique perPort ports" },
	{ "GW-BTLS", E, S, "spec.tls.backend.clientCertificateRef fields" },
	/* HTTPRoute (the route-common HR-PREF*, HR-HOST, HR-BREF*, HR-WEIGHT, HR-HDRMOD,
	 * HR-MIRROR and HR-EXTREF rules apply to GRPCRoute too) */
	{ "HR-REQ", E, S, "spec is required" },
	{ "HR-PREF", E, S, "parentRefs: at most 32, name required, group/kind/namespace/sectionName/port" },
	{ "HR-PREF-SECTION-REQ", E, S, "several refs to one parent all set sectionName" },
	{ "HR-PREF-SECTION-UNIQUE", E, S, "(parent, sectionName) is unique" },
	{ "HR-HOST", E, S, "hostnames: at most 16, each a Hostname" },
	{ "HR-RULES-COUNT", E, S, "1..16 rules" },
	{ "HR-MATCH-COUNT", E, S, "at most 64 matches per rule" },
	{ "HR-MATCH-TOTAL", E, S, "at most 128 matches across all rules" },
	{ "HR-RULE-NAME", E, S, "rule name is a SectionName" },
	{ "HR-PATH-TYPE", E, S, "path type is Exact, PathPrefix or RegularExpression" },
	{ "HR-PATH-LEN", E, S, "path value is at most 1024 characters" },
	{ "HR-PATH-ABS", E, S, "Exact/PathPrefix path starts with '/'" },
	{ "HR-PATH-SEQ", E, S, "Exact/PathPrefix path has no //, /./, /../, %2f, %2F or #" },
	{ "HR-PATH-SUFFIX", E, S, "Exact/PathPrefix path does not end with /.. or /." },
	{ "HR-PATH-CHARS", E, S, "Exact/PathPrefix path uses only valid characters" },
	{ "HR-HDR-MATCH", E, S, "header matches: at most 16, name pattern, value length, type, unique names" },
	{ "HR-QP-MATCH", E, S, "query param matches: at most 16, name pattern, value length, type, unique names" },
	{ "HR-METHOD", E, S, "method is one of the nine HTTP methods" },
	{ "HR-FLT-COUNT", E, S, "at most 16 filters" },
	{ "HR-FLT-TYPE", E, S, "filter type is required and known" },
	{ "HR-FLT-UNION", E, S, "the field named by type is set and no other filter field" },
	{ "HR-FLT-REDIRECT-REWRITE", E, S, "not both RequestRedirect and URLRewrite" },
	{ "HR-FLT-REPEAT", E, S, "header modifiers, redirect, rewrite and CORS appear at most once" },
	{ "HR-REDIRECT-BACKENDREFS", E, S, "a rule with RequestRedirect has no backendRefs" },
	{ "HR-PREFIXMATCH", E, S, "ReplacePrefixMatch needs exactly one PathPrefix match" },
	{ "HR-PATHMOD", E, S, "path modifier type and value agree" },
	{ "HR-HDRMOD", E, S, "header modifier set/add/remove counts, names, values, duplicates" },
	{ "HR-REDIRECT", E, S, "redirect scheme, hostname, port, statusCode" },
	{ "HR-REWRITE", E, S, "rewrite hostname is a PreciseHostname" },
	{ "HR-MIRROR", E, S, "mirror backendRef, percent/fraction" },
	{ "HR-EXTREF", E, S, "extensionRef group, kind and name are required" },
	{ "HR-BREF", E, S, "backendRefs: at most 16, name required, namespace/port" },
	{ "HR-BREF-PORT", E, S, "a Service backendRef has a port" },
	{ "HR-WEIGHT", E, S, "weight is 0..1000000" },
	{ "HR-TIMEOUT-FMT", E, S, "timeouts are GEP-2257 durations" },
	{ "HR-TIMEOUT-ORDER", E, S, "backendRequest timeout is not longer than request timeout" },
	{ "HR-CORS", E, S, "CORS origins, methods, headers and maxAge" },
	/* GRPCRoute */
	{ "GR-REQ", E, S, "spec is required" },
	{ "GR-RULES-COUNT", E, S, "at most 16 rules" },
	{ "GR-MATCH-COUNT", E, S, "at most 64 matches per rule, 128 in all" },
	{ "GR-METHOD", E, S, "method match: type, service and/or method, their patterns" },
	{ "GR-HDR-MATCH", E, S, "header matches: at most 16, name pattern, value length, type, unique names" },
	{ "GR-FLT-TYPE", E, S, "filter type is required and known" },
	{ "GR-FLT-UNION", E, S, "the field named by type is set and no other filter field" },
	{ "GR-FLT-REPEAT", E, S, "header modifiers appear at most once" },
	/* TCPRoute and UDPRoute (v1alpha2; parentRefs and backendRef fields keep their HR-* ids) */
	{ "L4-REQ", E, S, "spec and spec.rules are required" },
	{ "L4-RULES-COUNT", E, S, "1..16 rules" },
	{ "L4-BREF-COUNT", E, S, "1..16 backendRefs per rule" },
	{ "L4-RULE-NAME-UNIQUE", E, S, "rule names are unique within the route" },
	/* old webhook */
	{ "OW-HDR-MATCH-CI", E, S, "header match names are unique case-insensitively" },
	{ "OW-HDRMOD-MULTI", E, S, "a header name appears in only one of set/add/remove" },
	/* stricter than upstream */
	{ "WX-HTTPS-NO-TLS", E, S, "HTTPS listener without tls" },
	{ "WX-HOST-IP", E, S, "IP literal in a hostname field" },
	{ "WX-HOST-LABEL63", E, S, "DNS label longer than 63 characters" },
	{ "WX-TCP-PORT-SHARE", E, S, "HTTP/HTTPS/TLS listener on the port of a TCP listener" },
	{ "WX-PORT-PROTO-MIX", W, S, "different protocols on one port" },
	{ "WX-PROTO-RESERVED", E, S, "un-prefixed protocol that is not a core protocol" },
	{ "WX-SELECTOR-REQUIRED", E, S, "from: Selector without selector" },
	{ "WX-SELECTOR-VALID", E, S, "label selector operators, values and keys" },
	{ "WX-KINDS-PROTO", E, S, "allowedRoutes.kinds incompatible with the protocol" },
	{ "WX-CERTREF-KIND", E, S, "certificateRef kind/group not supported" },
	{ "WX-TLS-OPTION-KEY", W, S, "un-prefixed tls.options key" },
	{ "WX-OVERLAP-TLS", W, S, "HTTPS/TLS listeners on one port with overlapping hostnames" },
	{ "WX-PREF-NS-NORMALIZE", E, S, "parentRefs duplicate once an unset namespace is resolved" },
	{ "WX-HDR-VALUE", E, S, "header value with control characters or surrounding blanks" },
	{ "WX-HDRMOD-REMOVE-NAME", E, S, "remove[] entry is not a valid header name" },
	{ "WX-REGEX-COMPILE", E, S, "regular expression RE2 cannot compile" },
	{ "WX-WEIGHT-ALLZERO", W, S, "all backendRefs of a rule weighted 0" },
	{ "WX-RULE-SHADOW", W, S, "two rules with identical matches in one route" },
	/* cross-object (XO-*): need the cluster view (core/attach.c) */
	{ "XO-PARENT-MISSING", W, X, "parentRef names a Gateway that does not exist" },
	{ "XO-CLASS-MISSING", W, X, "gatewayClassName (of the Gateway or a parent Gateway) names no GatewayClass" },
	{ "XO-PARENT-SECTION", E, X, "parentRef sectionName matches no listener of the Gateway" },
	{ "XO-PARENT-PORT", E, X, "parentRef port matches no listener, or sectionName and port select different listeners" },
	{ "XO-NS-NOT-ALLOWED", E, X, "the route's namespace is admitted by no targeted listener's allowedRoutes.namespaces" },
	{ "XO-KIND-NOT-ALLOWED", E, X, "the route's kind is admitted by no targeted listener (allowedRoutes.kinds or protocol default)" },
	{ "XO-HOST-NO-INTERSECT", E, X, "no route hostname intersects a targeted listener's hostname" },
	{ "XO-BACKEND-MISSING", W, X, "backendRef or mirror backendRef names a Service that does not exist" },
	{ "XO-BACKEND-PORT", E, X, "backendRef port is not a port of the Service" },
	{ "XO-BACKEND-KIND", E, X, "backendRef group/kind is not a core Service" },
	{ "XO-BACKEND-EXTERNALNAME", W, X, "backendRef to an ExternalName Service" },
	{ "XO-REFGRANT", E, X, "cross-namespace backendRef without a ReferenceGrant in the target namespace" },
	/* cross-object, Gateway listeners' certificates (core/gwstatus.c) */
	{ "XO-CERT-REFGRANT", E, X, "certificateRef to a Secret in another namespace without a ReferenceGrant in the Secret's namespace" },
	{ "XO-CERT-MISSING", W, X, "certificateRef names a Secret that does not exist (silent when cert-manager will issue it)" },
	{ "XO-CERT-MALFORMED", E, X, "certificateRef Secret is not a usable kubernetes.io/tls key pair" },
	{ "XO-CERT-SAN", W, X, "the certificate does not cover the listener hostname" },
	{ "XO-CERT-EXPIRED", E, X, "the listener certificate has expired" },
	{ "XO-CERT-EXPIRING", W, X, "the listener certificate expires within 14 days" },
	{ "XO-MATCH-CONFLICT", W, X, "another route on the listener claims the same hostname and match (TCPRoute, UDPRoute: the listener)" },
	{ "XO-ROUTE-UNATTACHED", W, X, "the route attaches to no listener of any parent" },
	{ "XO-GATEWAY-UNUSED", W, X, "no route attaches to any listener of the Gateway" },
	/* policies (core/policy*.c; only with policy files loaded) */
	{ "POL-SVC-GATEWAY-MISSING", W, X, "a generated Service's owning Gateway is not in the view: allowed unchanged" },
	{ "POL-SVC-IMMUTABLE", W, X, "the policy's loadBalancerClass differs from the Service's, which is immutable after create" },
	{ "POL-HOST-OWNER", E, X, "a listener or route hostname outside its namespace's hostname patterns" },
	{ "POL-HOST-TAKEN", E, X, "a hostname already served by a route in another namespace (exclusive ownership)" },
	{ "POL-DNS-OVERLAP", W, X, "two Gateways' external-dns hostnames overlap (they would fight over the record)" },
	{ "POL-INFRA-KEY", E, X, "a spec.infrastructure.annotations key the namespace may not set" },
	{ "POL-CERTMGR-LISTENER", W, X, "cert-manager annotation on the Gateway, but an HTTPS listener it will skip" },
};

#undef E
#undef W
#undef S
#undef X

const struct rules_info *rules_all(size_t *ret_n)
{
	*ret_n = sizeof(table) / sizeof(table[0]);
	return table;
}

const struct rules_info *rules_find(const char *id)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i].id, id) == 0)
			return &table[i];
	return NULL;
}

void rules_config_init(struct rules_config *c)
{
	memset(c, 0, sizeof(*c));
}

int rules_config_set(struct rules_config *c, const char *spec, struct err *err)
{
	const char *eq = strchr(spec, '=');
	char id[64];
	size_t idlen;
	enum rule_action act;
	const struct rules_info *ri;

	if (eq == NULL || eq == spec)
		return err_set(err, ERR_INVALID, "--rule expects ID=off|warn|error, got '%s'", spec);
	idlen = (size_t)(eq - spec);
	if (idlen >= sizeof(id))
		return err_set(err, ERR_INVALID, "--rule: rule id too long in '%s'", spec);
	memcpy(id, spec, idlen);
	id[idlen] = '\0';
	ri = rules_find(id);
	if (ri == NULL)
		return err_set(err, ERR_INVALID, "--rule: unknown rule id '%s' (see `gatewarden rules`)", id);
	if (strcmp(eq + 1, "off") == 0)
		act = RULE_OFF;
	else if (strcmp(eq + 1, "warn") == 0)
		act = RULE_WARN;
	else if (strcmp(eq + 1, "error") == 0)
		act = RULE_ERROR;
	else
		return err_set(err, ERR_INVALID, "--rule %s: action must be off, warn or error, got '%s'", id, eq + 1);
	for (size_t i = 0; i < c->n; i++) {
		if (c->v[i].rule == ri) {
			c->v[i].action = act;
			return 0;
		}
	}
	if (c->n >= RULES_CONFIG_MAX)
		return err_set(err, ERR_LIMIT, "--rule: at most %d overrides", RULES_CONFIG_MAX);
	c->v[c->n].rule = ri;
	c->v[c->n].action = act;
	c->n++;
	return 0;
}

enum rule_action rules_config_action(const struct rules_config *c, const char *id)
{
	if (c == NULL)
		return RULE_DEFAULT;
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i].rule->id, id) == 0)
			return c->v[i].action;
	return RULE_DEFAULT;
}
