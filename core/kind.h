/*
 * kind: maps apiVersion + kind to one enum, once, so nothing downstream compares
 * strings to dispatch. Pure.
 */
#ifndef CORE_KIND_H
#define CORE_KIND_H

#include <stdbool.h>

enum kind {
	KIND_OTHER = 0,      /* not a kind gatewarden knows: skipped silently */
	KIND_GATEWAY,
	KIND_HTTPROUTE,
	KIND_GRPCROUTE,
	KIND_GATEWAYCLASS,
	KIND_REFERENCEGRANT,
	KIND_NAMESPACE,
	KIND_SERVICE,
	KIND_SECRET,
	KIND_CERTIFICATE,    /* cert-manager.io Certificate: a Secret that will be issued */
	KIND_TCPROUTE,       /* gateway.networking.k8s.io v1alpha2, experimental channel */
	KIND_UDPROUTE,       /* gateway.networking.k8s.io v1alpha2, experimental channel */
	KIND_ENDPOINTSLICE,  /* discovery.k8s.io v1: context only (backends of the datapath) */
	KIND_MAX
};

enum kind_version {
	KIND_VERSION_OK = 0,
	KIND_VERSION_UNSERVED, /* right group and kind, version not served (e.g. Gateway v1alpha1) */
};

/* Classify an object. ret_version tells whether the version is served. */
enum kind kind_classify(const char *api_version, const char *kind, enum kind_version *ret_version);
const char *kind_name(enum kind k);
/* The versions served for k, for messages ("v1, v1beta1"). */
const char *kind_served_versions(enum kind k);
/* Kinds the engine validates (as opposed to context kinds such as Service). */
bool kind_is_validated(enum kind k);
bool kind_is_route(enum kind k);

#endif
