/* fuzzlib: see fuzzlib.h. */
#include "fuzzlib.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);

#define NODES_MAX 4096

struct node {
	json_t *v, *parent;
	const char *key; /* parent an object: the member's key */
	size_t index;    /* parent an array: the element's index */
};

static const char *const words[] = {
	"", "*", "*.example.com", "a.example.com", "*.cloud.ogenki.io", "echo.cloud.ogenki.io", "HTTPRoute",
	"GRPCRoute", "TCPRoute", "Gateway", "GatewayClass", "Service", "Secret", "ReferenceGrant", "Namespace",
	"gateway.networking.k8s.io", "", "v1", "default", "infrastructure", "echo", "kube-system", "http", "https",
	"HTTP", "HTTPS", "TLS", "TCP", "UDP", "Terminate", "Passthrough", "All", "Same", "Selector", "PathPrefix",
	"Exact", "RegularExpression", "RequestHeaderModifier", "ResponseHeaderModifier", "RequestMirror",
	"RequestRedirect", "URLRewrite", "ReplacePrefixMatch", "ReplaceFullPath", "ExtensionRef", "In", "NotIn",
	"Exists", "DoesNotExist", "CREATE", "UPDATE", "DELETE", "/", "/api", "/a//b", "/%2e%2e/", "(a|b)*",
	"[", "x-header", "GET", "LoadBalancer", "platform", "platform-tls", "cilium",
	"io.cilium/gateway-controller", "10s", "1h", "0s", "kubernetes.io/metadata.name",
	"external-dns.alpha.kubernetes.io/hostname", "\u00e9\u20ac", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
};
static const char *const keys[] = {
	"sectionName", "port", "namespace", "name", "hostname", "hostnames", "allowedRoutes", "namespaces", "from",
	"kinds", "kind", "group", "filters", "backendRefs", "matches", "weight", "tls", "certificateRefs", "mode",
	"timeouts", "request", "backendRequest", "parentRefs", "rules", "listeners", "protocol", "value", "type",
	"headers", "queryParams", "method", "path", "requestMirror", "requestRedirect", "urlRewrite",
	"requestHeaderModifier", "set", "add", "remove", "selector", "matchLabels", "matchExpressions", "key",
	"operator", "values", "infrastructure", "annotations", "labels", "addresses", "gatewayClassName", "scheme",
	"statusCode", "replacePrefixMatch", "replaceFullPath", "fraction", "percent", "numerator", "denominator",
	"sessionPersistence", "retry", "uid", "object", "oldObject", "operation", "dryRun", "subResource",
	"metadata", "spec", "status", "apiVersion", "creationTimestamp", "generateName",
};

static unsigned rnd(unsigned *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 17;
	*state ^= *state << 5;
	return *state;
}

static void collect(json_t *v, json_t *parent, const char *key, size_t index, struct node *out, size_t *n)
{
	const char *k;
	json_t *c;
	size_t i;

	if (*n >= NODES_MAX)
		return;
	out[(*n)++] = (struct node){ v, parent, key, index };
	if (json_is_object(v)) {
		json_object_foreach(v, k, c)
			collect(c, v, k, 0, out, n);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, c)
			collect(c, v, NULL, i, out, n);
	}
}

static json_t *scalar(unsigned *st)
{
	static const json_int_t ints[] = { 0, -1, 1, 2, 80, 443, 1000, 65535, 65536, 1000000, 2147483648LL,
					   INT64_MAX };

	switch (rnd(st) % 6) {
	case 0: return json_integer(ints[rnd(st) % (sizeof(ints) / sizeof(ints[0]))]);
	case 1: return json_null();
	case 2: return rnd(st) & 1 ? json_true() : json_false();
	case 3: return rnd(st) & 1 ? json_object() : json_array();
	default: return json_string(words[rnd(st) % (sizeof(words) / sizeof(words[0]))]);
	}
}

/* put v (a new reference) where node x is */
static void put(const struct node *x, json_t *v)
{
	if (json_is_object(x->parent))
		json_object_set_new(x->parent, x->key, v);
	else
		json_array_set_new(x->parent, x->index, v);
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	static struct node nodes[NODES_MAX];
	unsigned st = seed | 1;
	json_error_t je;
	json_t *doc;
	size_t n = 0, len;
	char *text;

	if (size < 2 || rnd(&st) % 2 == 0 ||
	    (doc = json_loadb((const char *)data + 1, size - 1, JSON_DECODE_ANY, &je)) == NULL)
		return LLVMFuzzerMutate(data, size, max_size);
	collect(doc, NULL, NULL, 0, nodes, &n);
	for (unsigned edits = 1 + rnd(&st) % 3; edits > 0 && n > 1; edits--) {
		const struct node *x = &nodes[1 + rnd(&st) % (n - 1)]; /* not the root */
		json_t *y = nodes[rnd(&st) % n].v;

		switch (rnd(&st) % 6) {
		case 0: put(x, scalar(&st)); break;
		case 1: put(x, json_deep_copy(y)); break;
		case 2:
			if (json_is_object(x->parent))
				json_object_del(x->parent, x->key);
			else
				json_array_remove(x->parent, x->index);
			break;
		case 3:
			if (json_is_array(x->v))
				json_array_append_new(x->v, json_deep_copy(json_array_size(x->v) ? json_array_get(x->v, 0) : y));
			else if (json_is_object(x->v))
				json_object_set_new(x->v, keys[rnd(&st) % (sizeof(keys) / sizeof(keys[0]))],
						    rnd(&st) & 1 ? scalar(&st) : json_deep_copy(y));
			else
				put(x, scalar(&st));
			break;
		case 4:
			if (json_is_object(x->parent))
				json_object_set_new(x->parent, keys[rnd(&st) % (sizeof(keys) / sizeof(keys[0]))],
						    json_deep_copy(x->v));
			break;
		default: data[0] ^= (uint8_t)(1u << (rnd(&st) % 4)); break;
		}
		/* the tree changed: find the nodes again */
		n = 0;
		collect(doc, NULL, NULL, 0, nodes, &n);
	}
	text = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(doc);
	if (text == NULL || (len = strlen(text)) + 1 > max_size) {
		free(text);
		return LLVMFuzzerMutate(data, size, max_size);
	}
	memcpy(data + 1, text, len);
	free(text);
	return len + 1;
}

void fuzzlib_write_file(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		perror(path);
		abort();
	}
}
