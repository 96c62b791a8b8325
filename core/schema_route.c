/*
 * schema_route: the structural (OpenAPI) schemas of HTTPRoute (v1/v1beta1) and GRPCRoute
 * (v1/v1alpha2), standard channel at HEAD (v1.6), and of TCPRoute/UDPRoute (v1alpha2,
 * experimental channel; at the end of the file). Experimental-only fields (retry,
 * sessionPersistence, ExternalAuth, useDefaultGateways) are deliberately absent so they
 * are reported as unknown fields, as a standard-channel API server would.
 *
 * Every node carries the rule id of the row of spec/gateway-api-rules.md section 4 it
 * implements. Because the rule id lives in the node, a type that appears under several
 * rules (an ObjectName in a parentRef, a backendRef, a mirror target) gets one node per
 * rule. What the table cannot say (integer enums, CEL) lives in check_*.c.
 */
#include "checks.h"

#define MINMAX (SCHEMA_HAS_MIN | SCHEMA_HAS_MAX)

/* string with length bounds and an optional pattern */
#define STR(r, lo, hi, pat) \
	{ .type = SCHEMA_STRING, .rule = (r), .flags = MINMAX, .min = (lo), .max = (hi), .pattern = (pat) }
/* string with only a maximum length */
#define STRMAX(r, hi, pat) \
	{ .type = SCHEMA_STRING, .rule = (r), .flags = SCHEMA_HAS_MAX, .max = (hi), .pattern = (pat) }
#define ENUM(r, e) { .type = SCHEMA_STRING, .rule = (r), .enums = (e) }
#define INT(r, lo, hi) { .type = SCHEMA_INT, .rule = (r), .flags = MINMAX, .min = (lo), .max = (hi) }
#define OBJ(r, f) { .type = SCHEMA_OBJECT, .rule = (r), .fields = (f) }
#define ARR(r, hi, it) { .type = SCHEMA_ARRAY, .rule = (r), .flags = SCHEMA_HAS_MAX, .max = (hi), .items = (it) }
#define SET(r, hi, it) \
	{ .type = SCHEMA_ARRAY, .rule = (r), .flags = SCHEMA_HAS_MAX, .max = (hi), .items = (it), \
	  .list = SCHEMA_LIST_SET }
#define MAP(r, hi, it, key) \
	{ .type = SCHEMA_ARRAY, .rule = (r), .flags = SCHEMA_HAS_MAX, .max = (hi), .items = (it), \
	  .list = SCHEMA_LIST_MAP, .map_key = (key) }

#define REQ SCHEMA_REQUIRED
#define END { NULL, NULL, 0, NULL }

#define INT32_MAX_LL 2147483647LL

static const struct schema_node any = { .type = SCHEMA_ANY };
static const struct schema_node str_any = { .type = SCHEMA_STRING, .rule = "SCHEMA-TYPE" };
static const struct schema_node bool_any = { .type = SCHEMA_BOOL, .rule = "SCHEMA-TYPE" };

/* ---- parentRefs (HR-PREF) ---- */

static const struct schema_node pref_group = STRMAX("HR-PREF", 253, PAT_GROUP);
static const struct schema_node pref_kind = STR("HR-PREF", 1, 63, PAT_KIND);
static const struct schema_node pref_ns = STR("HR-PREF", 1, 63, PAT_NS);
static const struct schema_node pref_name = STR("HR-PREF", 1, 253, PAT_NONE);
static const struct schema_node pref_section = STR("HR-PREF", 1, 253, PAT_PRECISE);
static const struct schema_node pref_port = INT("HR-PREF", 1, 65535);

static const struct schema_field pref_fields[] = {
	{ "group", &pref_group, 0, NULL },
	{ "kind", &pref_kind, 0, NULL },
	{ "namespace", &pref_ns, 0, NULL },
	{ "name", &pref_name, REQ, NULL },
	{ "sectionName", &pref_section, 0, NULL },
	{ "port", &pref_port, 0, NULL },
	END,
};

static const struct schema_node pref = OBJ("HR-PREF", pref_fields);
static const struct schema_node pref_list = ARR("HR-PREF", 32, &pref);

/* ---- hostnames (HR-HOST) ---- */

static const struct schema_node host = STR("HR-HOST", 1, 253, PAT_HOST);
static const struct schema_node host_list = ARR("HR-HOST", 16, &host);

/* ---- backendRef fields shared by HTTP and gRPC backendRefs (HR-BREF, HR-WEIGHT) ---- */

static const struct schema_node bref_group = STRMAX("HR-BREF", 253, PAT_GROUP);
static const struct schema_node bref_kind = STR("HR-BREF", 1, 63, PAT_KIND);
static const struct schema_node bref_name = STR("HR-BREF", 1, 253, PAT_NONE);
static const struct schema_node bref_ns = STR("HR-BREF", 1, 63, PAT_NS);
static const struct schema_node bref_port = INT("HR-BREF", 1, 65535);
static const struct schema_node bref_weight = INT("HR-WEIGHT", 0, 1000000);

/* ---- header modifiers (HR-HDRMOD) ---- */

static const struct schema_node hm_name = STR("HR-HDRMOD", 1, 256, PAT_HEADER);
static const struct schema_node hm_value = STR("HR-HDRMOD", 1, 4096, PAT_NONE);

static const struct schema_field hm_header_fields[] = {
	{ "name", &hm_name, REQ, NULL },
	{ "value", &hm_value, REQ, NULL },
	END,
};

static const struct schema_node hm_header = OBJ("HR-HDRMOD", hm_header_fields);
static const struct schema_node hm_set = MAP("HR-HDRMOD", 16, &hm_header, "name");
/* remove has no name pattern upstream (WX-HDRMOD-REMOVE-NAME covers that) */
static const struct schema_node hm_remove_item = { .type = SCHEMA_STRING, .rule = "HR-HDRMOD" };
static const struct schema_node hm_remove = SET("HR-HDRMOD", 16, &hm_remove_item);

static const struct schema_field hm_fields[] = {
	{ "set", &hm_set, 0, NULL },
	{ "add", &hm_set, 0, NULL },
	{ "remove", &hm_remove, 0, NULL },
	END,
};

static const struct schema_node header_mod = OBJ("HR-HDRMOD", hm_fields);

/* ---- requestMirror (HR-MIRROR) ---- */

static const struct schema_node mir_group = STRMAX("HR-MIRROR", 253, PAT_GROUP);
static const struct schema_node mir_kind = STR("HR-MIRROR", 1, 63, PAT_KIND);
static const struct schema_node mir_name = STR("HR-MIRROR", 1, 253, PAT_NONE);
static const struct schema_node mir_ns = STR("HR-MIRROR", 1, 63, PAT_NS);
static const struct schema_node mir_port = INT("HR-MIRROR", 1, 65535);

static const struct schema_field mir_bref_fields[] = {
	{ "group", &mir_group, 0, NULL },
	{ "kind", &mir_kind, 0, NULL },
	{ "name", &mir_name, REQ, NULL },
	{ "namespace", &mir_ns, 0, NULL },
	{ "port", &mir_port, 0, NULL },
	END,
};

static const struct schema_node mir_bref = OBJ("HR-MIRROR", mir_bref_fields);
static const struct schema_node mir_percent = INT("HR-MIRROR", 0, 100);
static const struct schema_node mir_numerator = INT("HR-MIRROR", 0, INT32_MAX_LL);
static const struct schema_node mir_denominator = INT("HR-MIRROR", 1, INT32_MAX_LL);

static const struct schema_field mir_fraction_fields[] = {
	{ "numerator", &mir_numerator, REQ, NULL },
	{ "denominator", &mir_denominator, 0, NULL },
	END,
};

static const struct schema_node mir_fraction = OBJ("HR-MIRROR", mir_fraction_fields);

static const struct schema_field mirror_fields[] = {
	{ "backendRef", &mir_bref, REQ, NULL },
	{ "percent", &mir_percent, 0, NULL },
	{ "fraction", &mir_fraction, 0, NULL },
	END,
};

static const struct schema_node mirror = OBJ("HR-MIRROR", mirror_fields);

/* ---- extensionRef (HR-EXTREF) ---- */

static const struct schema_node ext_group = STRMAX("HR-EXTREF", 253, PAT_GROUP);
static const struct schema_node ext_kind = STR("HR-EXTREF", 1, 63, PAT_KIND);
static const struct schema_node ext_name = STR("HR-EXTREF", 1, 253, PAT_NONE);

static const struct schema_field ext_fields[] = {
	{ "group", &ext_group, REQ, NULL },
	{ "kind", &ext_kind, REQ, NULL },
	{ "name", &ext_name, REQ, NULL },
	END,
};

static const struct schema_node ext_ref = OBJ("HR-EXTREF", ext_fields);

/* ---- rule name (HR-RULE-NAME), shared ---- */

static const struct schema_node rule_name = STR("HR-RULE-NAME", 1, 253, PAT_PRECISE);

/* ---- HTTPRoute: matches ---- */

static const char *const path_types[] = { "Exact", "PathPrefix", "RegularExpression", NULL };
static const char *const match_types[] = { "Exact", "RegularExpression", NULL };
static const char *const http_methods[] = {
	"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", NULL,
};

static const struct schema_node path_type = ENUM("HR-PATH-TYPE", path_types);
static const struct schema_node path_value = STRMAX("HR-PATH-LEN", 1024, PAT_NONE);

static const struct schema_field path_fields[] = {
	{ "type", &path_type, 0, NULL },
	{ "value", &path_value, 0, NULL },
	END,
};

static const struct schema_node path_match = OBJ("HR-PATH-TYPE", path_fields);

static const struct schema_node hdr_type = ENUM("HR-HDR-MATCH", match_types);
static const struct schema_node hdr_name = STR("HR-HDR-MATCH", 1, 256, PAT_HEADER);
static const struct schema_node hdr_value = STR("HR-HDR-MATCH", 1, 4096, PAT_NONE);

static const struct schema_field hdr_fields[] = {
	{ "type", &hdr_type, 0, NULL },
	{ "name", &hdr_name, REQ, NULL },
	{ "value", &hdr_value, REQ, NULL },
	END,
};

static const struct schema_node hdr_match = OBJ("HR-HDR-MATCH", hdr_fields);
static const struct schema_node hdr_list = MAP("HR-HDR-MATCH", 16, &hdr_match, "name");

static const struct schema_node qp_type = ENUM("HR-QP-MATCH", match_types);
static const struct schema_node qp_name = STR("HR-QP-MATCH", 1, 256, PAT_HEADER);
static const struct schema_node qp_value = STR("HR-QP-MATCH", 1, 1024, PAT_NONE);

static const struct schema_field qp_fields[] = {
	{ "type", &qp_type, 0, NULL },
	{ "name", &qp_name, REQ, NULL },
	{ "value", &qp_value, REQ, NULL },
	END,
};

static const struct schema_node qp_match = OBJ("HR-QP-MATCH", qp_fields);
static const struct schema_node qp_list = MAP("HR-QP-MATCH", 16, &qp_match, "name");

static const struct schema_node http_method = ENUM("HR-METHOD", http_methods);

static const struct schema_field http_match_fields[] = {
	{ "path", &path_match, 0, NULL },
	{ "headers", &hdr_list, 0, NULL },
	{ "queryParams", &qp_list, 0, NULL },
	{ "method", &http_method, 0, NULL },
	END,
};

static const struct schema_node http_match = OBJ("HR-MATCH-COUNT", http_match_fields);
static const struct schema_node http_match_list = ARR("HR-MATCH-COUNT", 64, &http_match);

/* ---- HTTPRoute: filters ---- */

static const char *const pathmod_types[] = { "ReplaceFullPath", "ReplacePrefixMatch", NULL };

static const struct schema_node pathmod_type = ENUM("HR-PATHMOD", pathmod_types);
static const struct schema_node pathmod_value = STRMAX("HR-PATHMOD", 1024, PAT_NONE);

static const struct schema_field pathmod_fields[] = {
	{ "type", &pathmod_type, REQ, NULL },
	{ "replaceFullPath", &pathmod_value, 0, NULL },
	{ "replacePrefixMatch", &pathmod_value, 0, NULL },
	END,
};

static const struct schema_node pathmod = OBJ("HR-PATHMOD", pathmod_fields);

static const char *const schemes[] = { "http", "https", NULL };

static const struct schema_node redir_scheme = ENUM("HR-REDIRECT", schemes);
static const struct schema_node redir_host = STR("HR-REDIRECT", 1, 253, PAT_PRECISE);
static const struct schema_node redir_port = INT("HR-REDIRECT", 1, 65535);
/* an integer enum (301, 302, 303, 307, 308): the values are checked in check_httproute.c */
static const struct schema_node redir_status = { .type = SCHEMA_INT, .rule = "HR-REDIRECT" };

static const struct schema_field redirect_fields[] = {
	{ "scheme", &redir_scheme, 0, NULL },
	{ "hostname", &redir_host, 0, NULL },
	{ "path", &pathmod, 0, NULL },
	{ "port", &redir_port, 0, NULL },
	{ "statusCode", &redir_status, 0, NULL },
	END,
};

static const struct schema_node redirect = OBJ("HR-REDIRECT", redirect_fields);

static const struct schema_node rewrite_host = STR("HR-REWRITE", 1, 253, PAT_PRECISE);

static const struct schema_field rewrite_fields[] = {
	{ "hostname", &rewrite_host, 0, NULL },
	{ "path", &pathmod, 0, NULL },
	END,
};

static const struct schema_node rewrite = OBJ("HR-REWRITE", rewrite_fields);

static const char *const cors_methods[] = {
	"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "*", NULL,
};

static const struct schema_node cors_origin = STR("HR-CORS", 1, 253, PAT_ORIGIN);
static const struct schema_node cors_origins = SET("HR-CORS", 64, &cors_origin);
static const struct schema_node cors_method = ENUM("HR-CORS", cors_methods);
static const struct schema_node cors_method_list = SET("HR-CORS", 9, &cors_method);
static const struct schema_node cors_header = STR("HR-CORS", 1, 256, PAT_HEADER);
static const struct schema_node cors_headers = SET("HR-CORS", 64, &cors_header);
static const struct schema_node cors_max_age = INT("HR-CORS", 1, INT32_MAX_LL);

static const struct schema_field cors_fields[] = {
	{ "allowOrigins", &cors_origins, 0, NULL },
	{ "allowCredentials", &bool_any, 0, NULL },
	{ "allowMethods", &cors_method_list, 0, NULL },
	{ "allowHeaders", &cors_headers, 0, NULL },
	{ "exposeHeaders", &cors_headers, 0, NULL },
	{ "maxAge", &cors_max_age, 0, NULL },
	END,
};

static const struct schema_node cors = OBJ("HR-CORS", cors_fields);

static const char *const http_filter_types[] = {
	"RequestHeaderModifier", "ResponseHeaderModifier", "RequestMirror", "RequestRedirect",
	"URLRewrite", "ExtensionRef", "CORS", NULL,
};

static const struct schema_node http_filter_type = ENUM("HR-FLT-TYPE", http_filter_types);

static const struct schema_field http_filter_fields[] = {
	{ "type", &http_filter_type, REQ, NULL },
	{ "requestHeaderModifier", &header_mod, 0, NULL },
	{ "responseHeaderModifier", &header_mod, 0, NULL },
	{ "requestMirror", &mirror, 0, NULL },
	{ "requestRedirect", &redirect, 0, NULL },
	{ "urlRewrite", &rewrite, 0, NULL },
	{ "extensionRef", &ext_ref, 0, NULL },
	{ "cors", &cors, 0, NULL },
	END,
};

static const struct schema_node http_filter = OBJ("HR-FLT-TYPE", http_filter_fields);
static const struct schema_node http_filter_list = ARR("HR-FLT-COUNT", 16, &http_filter);

/* ---- HTTPRoute: backendRefs, timeouts, rules ---- */

static const struct schema_field http_bref_fields[] = {
	{ "group", &bref_group, 0, NULL },
	{ "kind", &bref_kind, 0, NULL },
	{ "name", &bref_name, REQ, NULL },
	{ "namespace", &bref_ns, 0, NULL },
	{ "port", &bref_port, 0, NULL },
	{ "weight", &bref_weight, 0, NULL },
	{ "filters", &http_filter_list, 0, NULL },
	END,
};

static const struct schema_node http_bref = OBJ("HR-BREF", http_bref_fields);
static const struct schema_node http_bref_list = ARR("HR-BREF", 16, &http_bref);

static const struct schema_node duration = { .type = SCHEMA_STRING, .rule = "HR-TIMEOUT-FMT",
					     .pattern = PAT_DURATION };

static const struct schema_field timeout_fields[] = {
	{ "request", &duration, 0, NULL },
	{ "backendRequest", &duration, 0, NULL },
	END,
};

static const struct schema_node timeouts = OBJ("HR-TIMEOUT-FMT", timeout_fields);

static const struct schema_field http_rule_fields[] = {
	{ "name", &rule_name, 0, NULL },
	{ "matches", &http_match_list, 0, NULL },
	{ "filters", &http_filter_list, 0, NULL },
	{ "backendRefs", &http_bref_list, 0, NULL },
	{ "timeouts", &timeouts, 0, NULL },
	END,
};

static const struct schema_node http_rule = OBJ("HR-RULES-COUNT", http_rule_fields);
static const struct schema_node http_rule_list = {
	.type = SCHEMA_ARRAY, .rule = "HR-RULES-COUNT", .flags = MINMAX, .min = 1, .max = 16,
	.items = &http_rule,
};

static const struct schema_field http_spec_fields[] = {
	{ "parentRefs", &pref_list, 0, NULL },
	{ "hostnames", &host_list, 0, NULL },
	{ "rules", &http_rule_list, 0, NULL },
	END,
};

static const struct schema_node http_spec = OBJ("HR-REQ", http_spec_fields);

static const struct schema_field httproute_fields[] = {
	{ "apiVersion", &str_any, 0, NULL },
	{ "kind", &str_any, 0, NULL },
	{ "metadata", &schema_object_meta, 0, NULL },
	{ "spec", &http_spec, REQ, "HR-REQ" },
	{ "status", &any, 0, NULL },
	END,
};

const struct schema_node schema_httproute = {
	.type = SCHEMA_OBJECT, .rule = "SCHEMA-TYPE", .fields = httproute_fields,
};

/* ---- GRPCRoute ---- */

static const struct schema_node gmethod_type = ENUM("GR-METHOD", match_types);
static const struct schema_node gmethod_name = STRMAX("GR-METHOD", 1024, PAT_NONE);

static const struct schema_field gmethod_fields[] = {
	{ "type", &gmethod_type, 0, NULL },
	{ "service", &gmethod_name, 0, NULL },
	{ "method", &gmethod_name, 0, NULL },
	END,
};

static const struct schema_node gmethod = OBJ("GR-METHOD", gmethod_fields);

static const struct schema_node ghdr_type = ENUM("GR-HDR-MATCH", match_types);
static const struct schema_node ghdr_name = STR("GR-HDR-MATCH", 1, 256, PAT_HEADER);
static const struct schema_node ghdr_value = STR("GR-HDR-MATCH", 1, 4096, PAT_NONE);

static const struct schema_field ghdr_fields[] = {
	{ "type", &ghdr_type, 0, NULL },
	{ "name", &ghdr_name, REQ, NULL },
	{ "value", &ghdr_value, REQ, NULL },
	END,
};

static const struct schema_node ghdr_match = OBJ("GR-HDR-MATCH", ghdr_fields);
static const struct schema_node ghdr_list = MAP("GR-HDR-MATCH", 16, &ghdr_match, "name");

static const struct schema_field grpc_match_fields[] = {
	{ "method", &gmethod, 0, NULL },
	{ "headers", &ghdr_list, 0, NULL },
	END,
};

static const struct schema_node grpc_match = OBJ("GR-MATCH-COUNT", grpc_match_fields);
static const struct schema_node grpc_match_list = ARR("GR-MATCH-COUNT", 64, &grpc_match);

static const char *const grpc_filter_types[] = {
	"ResponseHeaderModifier", "RequestHeaderModifier", "RequestMirror", "ExtensionRef", NULL,
};

static const struct schema_node grpc_filter_type = ENUM("GR-FLT-TYPE", grpc_filter_types);

static const struct schema_field grpc_filter_fields[] = {
	{ "type", &grpc_filter_type, REQ, NULL },
	{ "requestHeaderModifier", &header_mod, 0, NULL },
	{ "responseHeaderModifier", &header_mod, 0, NULL },
	{ "requestMirror", &mirror, 0, NULL },
	{ "extensionRef", &ext_ref, 0, NULL },
	END,
};

static const struct schema_node grpc_filter = OBJ("GR-FLT-TYPE", grpc_filter_fields);
static const struct schema_node grpc_filter_list = ARR("HR-FLT-COUNT", 16, &grpc_filter);

static const struct schema_field grpc_bref_fields[] = {
	{ "group", &bref_group, 0, NULL },
	{ "kind", &bref_kind, 0, NULL },
	{ "name", &bref_name, REQ, NULL },
	{ "namespace", &bref_ns, 0, NULL },
	{ "port", &bref_port, 0, NULL },
	{ "weight", &bref_weight, 0, NULL },
	{ "filters", &grpc_filter_list, 0, NULL },
	END,
};

static const struct schema_node grpc_bref = OBJ("HR-BREF", grpc_bref_fields);
static const struct schema_node grpc_bref_list = ARR("HR-BREF", 16, &grpc_bref);

static const struct schema_field grpc_rule_fields[] = {
	{ "name", &rule_name, 0, NULL },
	{ "matches", &grpc_match_list, 0, NULL },
	{ "filters", &grpc_filter_list, 0, NULL },
	{ "backendRefs", &grpc_bref_list, 0, NULL },
	END,
};

static const struct schema_node grpc_rule = OBJ("GR-RULES-COUNT", grpc_rule_fields);
static const struct schema_node grpc_rule_list = ARR("GR-RULES-COUNT", 16, &grpc_rule);

static const struct schema_field grpc_spec_fields[] = {
	{ "parentRefs", &pref_list, 0, NULL },
	{ "hostnames", &host_list, 0, NULL },
	{ "rules", &grpc_rule_list, 0, NULL },
	END,
};

static const struct schema_node grpc_spec = OBJ("GR-REQ", grpc_spec_fields);

static const struct schema_field grpcroute_fields[] = {
	{ "apiVersion", &str_any, 0, NULL },
	{ "kind", &str_any, 0, NULL },
	{ "metadata", &schema_object_meta, 0, NULL },
	{ "spec", &grpc_spec, REQ, "GR-REQ" },
	{ "status", &any, 0, NULL },
	END,
};

const struct schema_node schema_grpcroute = {
	.type = SCHEMA_OBJECT, .rule = "SCHEMA-TYPE", .fields = grpcroute_fields,
};

/* ---- TCPRoute and UDPRoute (gateway.networking.k8s.io/v1alpha2, experimental) ----
 * One schema for both: parentRefs as in every route (HR-PREF), no hostnames, 1..16
 * rules of an optional name and 1..16 backendRefs without filters (L4-RULES-COUNT,
 * L4-BREF-COUNT; the backendRef fields keep their HR-BREF / HR-WEIGHT ids). */

static const struct schema_field l4_bref_fields[] = {
	{ "group", &bref_group, 0, NULL },
	{ "kind", &bref_kind, 0, NULL },
	{ "name", &bref_name, REQ, NULL },
	{ "namespace", &bref_ns, 0, NULL },
	{ "port", &bref_port, 0, NULL },
	{ "weight", &bref_weight, 0, NULL },
	END,
};

static const struct schema_node l4_bref = OBJ("HR-BREF", l4_bref_fields);
static const struct schema_node l4_bref_list = {
	.type = SCHEMA_ARRAY, .rule = "L4-BREF-COUNT", .flags = MINMAX, .min = 1, .max = 16,
	.items = &l4_bref,
};

static const struct schema_field l4_rule_fields[] = {
	{ "name", &rule_name, 0, NULL },
	{ "backendRefs", &l4_bref_list, REQ, NULL },
	END,
};

static const struct schema_node l4_rule = OBJ("L4-RULES-COUNT", l4_rule_fields);
static const struct schema_node l4_rule_list = {
	.type = SCHEMA_ARRAY, .rule = "L4-RULES-COUNT", .flags = MINMAX, .min = 1, .max = 16,
	.items = &l4_rule,
};

static const struct schema_field l4_spec_fields[] = {
	{ "parentRefs", &pref_list, 0, NULL },
	{ "rules", &l4_rule_list, REQ, "L4-REQ" },
	END,
};

static const struct schema_node l4_spec = OBJ("L4-REQ", l4_spec_fields);

static const struct schema_field l4route_fields[] = {
	{ "apiVersion", &str_any, 0, NULL },
	{ "kind", &str_any, 0, NULL },
	{ "metadata", &schema_object_meta, 0, NULL },
	{ "spec", &l4_spec, REQ, "L4-REQ" },
	{ "status", &any, 0, NULL },
	END,
};

const struct schema_node schema_l4route = {
	.type = SCHEMA_OBJECT, .rule = "SCHEMA-TYPE", .fields = l4route_fields,
};
