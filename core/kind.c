/* kind: see kind.h. */
#include "kind.h"

#include <string.h>

#define GAPI "gateway.networking.k8s.io/"

struct entry {
	enum kind kind;
	const char *name;
	const char *group_prefix; /* "group/" or "" for the core group */
	const char *versions[4];
	const char *served;
};

static const struct entry entries[] = {
	{ KIND_GATEWAY, "Gateway", GAPI, { "v1", "v1beta1" }, "v1, v1beta1" },
	{ KIND_HTTPROUTE, "HTTPRoute", GAPI, { "v1", "v1beta1" }, "v1, v1beta1" },
	{ KIND_GRPCROUTE, "GRPCRoute", GAPI, { "v1", "v1alpha2" }, "v1, v1alpha2" },
	{ KIND_GATEWAYCLASS, "GatewayClass", GAPI, { "v1", "v1beta1" }, "v1, v1beta1" },
	{ KIND_REFERENCEGRANT, "ReferenceGrant", GAPI, { "v1", "v1beta1", "v1alpha2" }, "v1, v1beta1, v1alpha2" },
	{ KIND_NAMESPACE, "Namespace", "", { "v1" }, "v1" },
	{ KIND_SERVICE, "Service", "", { "v1" }, "v1" },
	{ KIND_SECRET, "Secret", "", { "v1" }, "v1" },
	{ KIND_CERTIFICATE, "Certificate", "cert-manager.io/", { "v1" }, "v1" },
	{ KIND_TCPROUTE, "TCPRoute", GAPI, { "v1alpha2" }, "v1alpha2" },
	{ KIND_UDPROUTE, "UDPRoute", GAPI, { "v1alpha2" }, "v1alpha2" },
	{ KIND_ENDPOINTSLICE, "EndpointSlice", "discovery.k8s.io/", { "v1" }, "v1" },
};

enum kind kind_classify(const char *api_version, const char *kind, enum kind_version *ret_version)
{
	if (ret_version)
		*ret_version = KIND_VERSION_OK;
	if (api_version == NULL || kind == NULL)
		return KIND_OTHER;
	for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
		const struct entry *e = &entries[i];
		size_t gl = strlen(e->group_prefix);
		const char *ver;

		if (strcmp(kind, e->name) != 0)
			continue;
		if (gl > 0 && strncmp(api_version, e->group_prefix, gl) != 0)
			continue;
		ver = api_version + gl;
		if (gl == 0 && strchr(api_version, '/') != NULL)
			continue; /* a same-named kind of another group */
		for (size_t v = 0; v < 4 && e->versions[v]; v++)
			if (strcmp(ver, e->versions[v]) == 0)
				return e->kind;
		if (ret_version)
			*ret_version = KIND_VERSION_UNSERVED;
		return e->kind;
	}
	return KIND_OTHER;
}

const char *kind_name(enum kind k)
{
	for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++)
		if (entries[i].kind == k)
			return entries[i].name;
	return "Other";
}

const char *kind_served_versions(enum kind k)
{
	for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++)
		if (entries[i].kind == k)
			return entries[i].served;
	return "";
}

bool kind_is_validated(enum kind k)
{
	return k == KIND_GATEWAY || k == KIND_HTTPROUTE || k == KIND_GRPCROUTE || k == KIND_TCPROUTE ||
	       k == KIND_UDPROUTE;
}

bool kind_is_route(enum kind k)
{
	return k == KIND_HTTPROUTE || k == KIND_GRPCROUTE || k == KIND_TCPROUTE || k == KIND_UDPROUTE;
}
