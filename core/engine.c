/*
 * engine: see engine.h. Order per object, as the API server does it: defaults, then
 * the structural schema, then metadata rules, then the kind's CEL/old-webhook/WX rules.
 */
#include "engine.h"

#include <string.h>

#include "checks.h"
#include "defaults.h"
#include "err.h"
#include "findings.h"
#include "jv.h"
#include "path.h"
#include "pattern.h"
#include "schema.h"

static void check_meta(const json_t *obj, struct findings *fs)
{
	const json_t *meta = jv_obj(obj, "metadata");
	const char *name = jv_str(meta, "name");
	const char *ns = jv_str(meta, "namespace");
	char q[128];

	if (name == NULL) {
		if (jv_str(meta, "generateName") == NULL)
			findings_add(fs, "META-NAME", "metadata.name", "Required value: name or generateName is required");
	} else if (strlen(name) > 253 || !pattern_is_dns_labels(name, strlen(name))) {
		schema_quote(name, strlen(name), q, sizeof(q));
		findings_add(fs, "META-NAME", "metadata.name",
			     "Invalid value: %s: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
			     q);
	}
	if (ns != NULL && (strlen(ns) > 63 || !pattern_match(PAT_NS, ns, strlen(ns)))) {
		schema_quote(ns, strlen(ns), q, sizeof(q));
		findings_add(fs, "META-NAME", "metadata.namespace",
			     "Invalid value: %s: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
			     q);
	}
}

enum kind engine_classify(const json_t *obj)
{
	return kind_classify(jv_str(obj, "apiVersion"), jv_str(obj, "kind"), NULL);
}

int engine_check_object(json_t *obj, struct findings *fs, enum kind *ret_kind)
{
	const struct schema_node *schema;
	const char *api = jv_str(obj, "apiVersion");
	enum kind_version ver;
	enum kind k = kind_classify(api, jv_str(obj, "kind"), &ver);
	struct path p;
	int rc;

	*ret_kind = k;
	if (!kind_is_validated(k))
		return 0;
	if (ver == KIND_VERSION_UNSERVED) {
		char q[128];

		schema_quote(api, strlen(api), q, sizeof(q));
		findings_add(fs, "META-APIVERSION", "apiVersion",
			     "Unsupported value: %s: %s is served as gateway.networking.k8s.io %s", q, kind_name(k),
			     kind_served_versions(k));
		return 0;
	}
	switch (k) {
	case KIND_GATEWAY: schema = &schema_gateway; break;
	case KIND_HTTPROUTE: schema = &schema_httproute; break;
	case KIND_GRPCROUTE: schema = &schema_grpcroute; break;
	case KIND_TCPROUTE:
	case KIND_UDPROUTE: schema = &schema_l4route; break;
	default: return ERR_INTERNAL;
	}
	rc = defaults_apply(k, obj);
	if (rc < 0)
		return rc;
	path_init(&p);
	schema_validate(schema, obj, &p, fs);
	check_meta(obj, fs);
	switch (k) {
	case KIND_GATEWAY: check_gateway(obj, fs); break;
	case KIND_HTTPROUTE: check_httproute(obj, fs); break;
	case KIND_GRPCROUTE: check_grpcroute(obj, fs); break;
	case KIND_TCPROUTE:
	case KIND_UDPROUTE: check_l4route(obj, fs); break;
	default: break;
	}
	return 0;
}
