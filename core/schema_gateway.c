/*
 * schema_gateway: the structural schema of a v1/v1beta1 Gateway, standard channel at
 * HEAD (v1.6): the OpenAPI part of the CRD as constant tables for schema_validate().
 *
 * Design notes:
 * - Every node carries the rule id of the row of spec/gateway-api-rules.md section 3
 *   it implements, so a finding names the rule a user can look up or switch off.
 *   Pure type checks (apiVersion, kind) use SCHEMA-TYPE.
 * - Required members that the GW-REQ row lists (spec, gatewayClassName, listeners,
 *   listener name/port/protocol) report under GW-REQ through req_rule; every other
 *   required member reports under its node's rule.
 * - The listeners list is a list-map keyed by name upstream, but a node has one rule
 *   id and the count limits belong to GW-LST-COUNT, so the duplicate-name half of the
 *   list-map lives in check_gateway.c under GW-LST-NAME-UNIQUE. perPort is keyed by
 *   an integer, which the walker's list-map check does not compare; its uniqueness is
 *   also in check_gateway.c.
 * - Experimental-only fields (defaultScope, ...) are deliberately absent, so the
 *   walker reports them as unknown, as a standard-channel API server would.
 * - Label-selector nodes exist twice (allowedRoutes and allowedListeners) because
 *   their violations belong to different rule ids.
 */
#include "checks.h"

#include <stddef.h>

#define STR(r, lo, hi, pat) \
	{ .type = SCHEMA_STRING, .rule = (r), .flags = SCHEMA_HAS_MIN | SCHEMA_HAS_MAX, \
	  .min = (lo), .max = (hi), .pattern = (pat) }
#define STR_MAX(r, hi, pat) \
	{ .type = SCHEMA_STRING, .rule = (r), .flags = SCHEMA_HAS_MAX, .max = (hi), .pattern = (pat) }
#define ENUM(r, list) { .type = SCHEMA_STRING, .rule = (r), .enums = (list) }
#define INT_RANGE(r, lo, hi) \
	{ .type = SCHEMA_INT, .rule = (r), .flags = SCHEMA_HAS_MIN | SCHEMA_HAS_MAX, .min = (lo), .max = (hi) }
#define OBJ(r, f) { .type = SCHEMA_OBJECT, .rule = (r), .fields = (f) }
#define LIST_MAX(r, hi, item) \
	{ .type = SCHEMA_ARRAY, .rule = (r), .flags = SCHEMA_HAS_MAX, .max = (hi), .items = (item) }
#define LIST_RANGE(r, lo, hi, item) \
	{ .type = SCHEMA_ARRAY, .rule = (r), .flags = SCHEMA_HAS_MIN | SCHEMA_HAS_MAX, .min = (lo), \
	  .max = (hi), .items = (item) }
#define MAP_MAX(r, hi, item) \
	{ .type = SCHEMA_STRMAP, .rule = (r), .flags = SCHEMA_HAS_MAX, .max = (hi), .items = (item) }

#define REQ SCHEMA_REQUIRED
#define END { NULL, NULL, 0, NULL }

static const struct schema_node str_plain = { .type = SCHEMA_STRING, .rule = "SCHEMA-TYPE" };
static const struct schema_node any = { .type = SCHEMA_ANY };

/* ---- label selectors (metav1.LabelSelector; the CRD copies only `required`) ---- */

static const struct schema_node str_list = {
	.type = SCHEMA_ARRAY, .rule = "SCHEMA-TYPE", .items = &str_plain,
};
static const struct schema_node str_map = {
	.type = SCHEMA_STRMAP, .rule = "SCHEMA-TYPE", .items = &str_plain,
};

static const struct schema_field ar_expr_fields[] = {
	{ "key", &str_plain, REQ, "GW-AR-SELECTOR" },
	{ "operator", &str_plain, REQ, "GW-AR-SELECTOR" },
	{ "values", &str_list, 0, NULL },
	END,
};
static const struct schema_node ar_expr = OBJ("GW-AR-SELECTOR", ar_expr_fields);
static const struct schema_node ar_exprs = { .type = SCHEMA_ARRAY, .rule = "GW-AR-SELECTOR", .items = &ar_expr };
static const struct schema_field ar_selector_fields[] = {
	{ "matchLabels", &str_map, 0, NULL },
	{ "matchExpressions", &ar_exprs, 0, NULL },
	END,
};
static const struct schema_node ar_selector = OBJ("GW-AR-SELECTOR", ar_selector_fields);

static const struct schema_field al_expr_fields[] = {
	{ "key", &str_plain, REQ, "GW-ALLOWEDLISTENERS" },
	{ "operator", &str_plain, REQ, "GW-ALLOWEDLISTENERS" },
	{ "values", &str_list, 0, NULL },
	END,
};
static const struct schema_node al_expr = OBJ("GW-ALLOWEDLISTENERS", al_expr_fields);
static const struct schema_node al_exprs = {
	.type = SCHEMA_ARRAY, .rule = "GW-ALLOWEDLISTENERS", .items = &al_expr,
};
static const struct schema_field al_selector_fields[] = {
	{ "matchLabels", &str_map, 0, NULL },
	{ "matchExpressions", &al_exprs, 0, NULL },
	END,
};
static const struct schema_node al_selector = OBJ("GW-ALLOWEDLISTENERS", al_selector_fields);

/* ---- listeners[].tls ---- */

static const char *const tls_modes[] = { "Terminate", "Passthrough", NULL };
static const struct schema_node tls_mode = ENUM("GW-TLS-MODE-ENUM", tls_modes);

static const struct schema_node cref_group = STR_MAX("GW-TLS-CERTREF", 253, PAT_GROUP);
static const struct schema_node cref_kind = STR("GW-TLS-CERTREF", 1, 63, PAT_KIND);
static const struct schema_node cref_name = STR("GW-TLS-CERTREF", 1, 253, PAT_NONE);
static const struct schema_node cref_ns = STR("GW-TLS-CERTREF", 1, 63, PAT_NS);
static const struct schema_field cref_fields[] = {
	{ "group", &cref_group, 0, NULL },
	{ "kind", &cref_kind, 0, NULL },
	{ "name", &cref_name, REQ, NULL },
	{ "namespace", &cref_ns, 0, NULL },
	END,
};
static const struct schema_node cref = OBJ("GW-TLS-CERTREF", cref_fields);
static const struct schema_node crefs = LIST_MAX("GW-TLS-CERTREF", 64, &cref);

static const struct schema_node tls_option_value = STR_MAX("GW-TLS-OPTIONS", 4096, PAT_NONE);
static const struct schema_node tls_options = MAP_MAX("GW-TLS-OPTIONS", 16, &tls_option_value);

static const struct schema_field listener_tls_fields[] = {
	{ "mode", &tls_mode, 0, NULL },
	{ "certificateRefs", &crefs, 0, NULL },
	{ "options", &tls_options, 0, NULL },
	END,
};
static const struct schema_node listener_tls = OBJ("GW-TLS-CERTS", listener_tls_fields);

/* ---- listeners[].allowedRoutes ---- */

static const char *const ar_from_values[] = { "All", "Selector", "Same", NULL };
static const struct schema_node ar_from = ENUM("GW-AR-FROM", ar_from_values);
static const struct schema_field ar_ns_fields[] = {
	{ "from", &ar_from, 0, NULL },
	{ "selector", &ar_selector, 0, NULL },
	END,
};
static const struct schema_node ar_ns = OBJ("GW-AR-FROM", ar_ns_fields);

static const struct schema_node rgk_group = STR_MAX("GW-AR-KINDS", 253, PAT_GROUP);
static const struct schema_node rgk_kind = STR("GW-AR-KINDS", 1, 63, PAT_KIND);
static const struct schema_field rgk_fields[] = {
	{ "group", &rgk_group, 0, NULL },
	{ "kind", &rgk_kind, REQ, NULL },
	END,
};
static const struct schema_node rgk = OBJ("GW-AR-KINDS", rgk_fields);
static const struct schema_node rgks = LIST_MAX("GW-AR-KINDS", 8, &rgk);

static const struct schema_field ar_fields[] = {
	{ "namespaces", &ar_ns, 0, NULL },
	{ "kinds", &rgks, 0, NULL },
	END,
};
static const struct schema_node allowed_routes = OBJ("GW-AR-FROM", ar_fields);

/* ---- listeners ---- */

static const struct schema_node lst_name = STR("GW-LST-NAME", 1, 253, PAT_PRECISE);
static const struct schema_node lst_host = STR("GW-LST-HOST", 1, 253, PAT_HOST);
static const struct schema_node lst_port = INT_RANGE("GW-LST-PORT", 1, 65535);
static const struct schema_node lst_proto = STR("GW-LST-PROTO", 1, 255, PAT_PROTO);

static const struct schema_field listener_fields[] = {
	{ "name", &lst_name, REQ, "GW-REQ" },
	{ "hostname", &lst_host, 0, NULL },
	{ "port", &lst_port, REQ, "GW-REQ" },
	{ "protocol", &lst_proto, REQ, "GW-REQ" },
	{ "tls", &listener_tls, 0, NULL },
	{ "allowedRoutes", &allowed_routes, 0, NULL },
	END,
};
static const struct schema_node listener = OBJ("GW-REQ", listener_fields);
static const struct schema_node listeners = LIST_RANGE("GW-LST-COUNT", 1, 64, &listener);

/* ---- addresses ---- */

static const struct schema_node addr_type = STR("GW-ADDR", 1, 253, PAT_ADDRTYPE);
static const struct schema_node addr_value = STR_MAX("GW-ADDR", 253, PAT_NONE);
static const struct schema_field addr_fields[] = {
	{ "type", &addr_type, 0, NULL },
	{ "value", &addr_value, 0, NULL },
	END,
};
static const struct schema_node address = OBJ("GW-ADDR", addr_fields);
static const struct schema_node addresses = LIST_MAX("GW-ADDR", 16, &address);

/* ---- infrastructure ---- */

static const struct schema_node infra_label_value = STR_MAX("GW-INFRA", 63, PAT_LABELVAL);
static const struct schema_node infra_labels = MAP_MAX("GW-INFRA", 8, &infra_label_value);
static const struct schema_node infra_annotation_value = STR_MAX("GW-INFRA", 4096, PAT_NONE);
static const struct schema_node infra_annotations = MAP_MAX("GW-INFRA", 16, &infra_annotation_value);

static const struct schema_node pref_group = STR_MAX("GW-INFRA", 253, PAT_GROUP);
static const struct schema_node pref_kind = STR("GW-INFRA", 1, 63, PAT_KIND);
static const struct schema_node pref_name = STR("GW-INFRA", 1, 253, PAT_NONE);
static const struct schema_field pref_fields[] = {
	{ "group", &pref_group, REQ, NULL },
	{ "kind", &pref_kind, REQ, NULL },
	{ "name", &pref_name, REQ, NULL },
	END,
};
static const struct schema_node params_ref = OBJ("GW-INFRA", pref_fields);

static const struct schema_field infra_fields[] = {
	{ "labels", &infra_labels, 0, NULL },
	{ "annotations", &infra_annotations, 0, NULL },
	{ "parametersRef", &params_ref, 0, NULL },
	END,
};
static const struct schema_node infrastructure = OBJ("GW-INFRA", infra_fields);

/* ---- allowedListeners (v1.5) ---- */

static const char *const al_from_values[] = { "All", "Selector", "Same", "None", NULL };
static const struct schema_node al_from = ENUM("GW-ALLOWEDLISTENERS", al_from_values);
static const struct schema_field al_ns_fields[] = {
	{ "from", &al_from, 0, NULL },
	{ "selector", &al_selector, 0, NULL },
	END,
};
static const struct schema_node al_ns = OBJ("GW-ALLOWEDLISTENERS", al_ns_fields);
static const struct schema_field al_fields[] = {
	{ "namespaces", &al_ns, 0, NULL },
	END,
};
static const struct schema_node allowed_listeners = OBJ("GW-ALLOWEDLISTENERS", al_fields);

/* ---- spec.tls.frontend (v1.5) ---- */

static const struct schema_node ca_group = STR_MAX("GW-FTLS", 253, PAT_GROUP);
static const struct schema_node ca_kind = STR("GW-FTLS", 1, 63, PAT_KIND);
static const struct schema_node ca_name = STR("GW-FTLS", 1, 253, PAT_NONE);
static const struct schema_node ca_ns = STR("GW-FTLS", 1, 63, PAT_NS);
static const struct schema_field ca_fields[] = {
	{ "group", &ca_group, REQ, NULL },
	{ "kind", &ca_kind, REQ, NULL },
	{ "name", &ca_name, REQ, NULL },
	{ "namespace", &ca_ns, 0, NULL },
	END,
};
static const struct schema_node ca_ref = OBJ("GW-FTLS", ca_fields);
static const struct schema_node ca_refs = LIST_RANGE("GW-FTLS", 1, 16, &ca_ref);

static const char *const ftls_modes[] = { "AllowValidOnly", "AllowInsecureFallback", NULL };
static const struct schema_node ftls_mode = ENUM("GW-FTLS", ftls_modes);
static const struct schema_field validation_fields[] = {
	{ "caCertificateRefs", &ca_refs, REQ, NULL },
	{ "mode", &ftls_mode, 0, NULL },
	END,
};
static const struct schema_node validation = OBJ("GW-FTLS", validation_fields);
static const struct schema_field ftls_config_fields[] = {
	{ "validation", &validation, 0, NULL },
	END,
};
static const struct schema_node ftls_config = OBJ("GW-FTLS", ftls_config_fields);

static const struct schema_node per_port_port = INT_RANGE("GW-FTLS", 1, 65535);
static const struct schema_field per_port_fields[] = {
	{ "port", &per_port_port, REQ, NULL },
	{ "tls", &ftls_config, REQ, NULL },
	END,
};
static const struct schema_node per_port_item = OBJ("GW-FTLS", per_port_fields);
static const struct schema_node per_port = LIST_MAX("GW-FTLS", 64, &per_port_item);

static const struct schema_field frontend_fields[] = {
	{ "default", &ftls_config, REQ, NULL },
	{ "perPort", &per_port, 0, NULL },
	END,
};
static const struct schema_node frontend = OBJ("GW-FTLS", frontend_fields);

/* ---- spec.tls.backend (v1.5) ---- */

static const struct schema_node btls_group = STR_MAX("GW-BTLS", 253, PAT_GROUP);
static const struct schema_node btls_kind = STR("GW-BTLS", 1, 63, PAT_KIND);
static const struct schema_node btls_name = STR("GW-BTLS", 1, 253, PAT_NONE);
static const struct schema_node btls_ns = STR("GW-BTLS", 1, 63, PAT_NS);
static const struct schema_field client_cert_fields[] = {
	{ "group", &btls_group, 0, NULL },
	{ "kind", &btls_kind, 0, NULL },
	{ "name", &btls_name, REQ, NULL },
	{ "namespace", &btls_ns, 0, NULL },
	END,
};
static const struct schema_node client_cert_ref = OBJ("GW-BTLS", client_cert_fields);
static const struct schema_field backend_fields[] = {
	{ "clientCertificateRef", &client_cert_ref, 0, NULL },
	END,
};
static const struct schema_node backend = OBJ("GW-BTLS", backend_fields);

static const struct schema_field gw_tls_fields[] = {
	{ "frontend", &frontend, 0, NULL },
	{ "backend", &backend, 0, NULL },
	END,
};
static const struct schema_node gw_tls = OBJ("GW-FTLS", gw_tls_fields);

/* ---- spec and the whole object ---- */

static const struct schema_node class_name = STR("GW-CLASSNAME", 1, 253, PAT_NONE);

static const struct schema_field spec_fields[] = {
	{ "gatewayClassName", &class_name, REQ, "GW-REQ" },
	{ "listeners", &listeners, REQ, "GW-REQ" },
	{ "addresses", &addresses, 0, NULL },
	{ "infrastructure", &infrastructure, 0, NULL },
	{ "allowedListeners", &allowed_listeners, 0, NULL },
	{ "tls", &gw_tls, 0, NULL },
	END,
};
static const struct schema_node spec = OBJ("GW-REQ", spec_fields);

static const struct schema_field gateway_fields[] = {
	{ "apiVersion", &str_plain, 0, NULL },
	{ "kind", &str_plain, 0, NULL },
	{ "metadata", &schema_object_meta, 0, NULL },
	{ "spec", &spec, REQ, "GW-REQ" },
	{ "status", &any, 0, NULL },
	END,
};

const struct schema_node schema_gateway = {
	.type = SCHEMA_OBJECT, .rule = "SCHEMA-TYPE", .fields = gateway_fields,
};
