/*
 * pattern: the OpenAPI/CEL string patterns of the Gateway API CRDs, as hand-written
 * matchers with the same (RE2 search) semantics as upstream, quirks included:
 * P-PROTO's second alternative and P-ADDRTYPE's alternatives after the first are not
 * anchored at the start (see spec/gateway-api-rules.md section 1.5). Pure, no allocation.
 *
 * Inputs are (pointer, length) byte strings; NUL bytes never match.
 */
#ifndef CORE_PATTERN_H
#define CORE_PATTERN_H

#include <stdbool.h>
#include <stddef.h>

enum pattern_id {
	PAT_NONE = 0,
	PAT_HOST,       /* Hostname: optional "*." then DNS labels */
	PAT_PRECISE,    /* PreciseHostname, SectionName, RFC 1123 subdomain */
	PAT_NS,         /* Namespace: one DNS label */
	PAT_GROUP,      /* "" or PAT_PRECISE */
	PAT_KIND,
	PAT_PROTO,
	PAT_HEADER,     /* HTTP header name (token) */
	PAT_DURATION,   /* GEP-2257 */
	PAT_PATH,       /* Exact/PathPrefix path characters */
	PAT_ADDRTYPE,
	PAT_CONTROLLER,
	PAT_KEY,        /* label/annotation key */
	PAT_LABELVAL,
	PAT_ORIGIN,     /* CORS origin */
	PAT_HVALUE,     /* header value (experimental channel) */
	PAT_GRPC_SERVICE,
	PAT_GRPC_METHOD,
	PAT_MAX
};

bool pattern_match(enum pattern_id id, const char *s, size_t len);
/* The upstream regular expression text, for "should match '<pattern>'" messages. */
const char *pattern_source(enum pattern_id id);

/* Building blocks shared with hostname.c and the rules. */
bool pattern_is_dns_labels(const char *s, size_t len);  /* PAT_PRECISE */
/* Parse a GEP-2257 duration into milliseconds; false when it does not match PAT_DURATION. */
bool pattern_duration_ms(const char *s, size_t len, unsigned long long *ret_ms);
/* Number of Unicode code points in a UTF-8 string (invalid bytes count as one each). */
size_t pattern_codepoints(const char *s, size_t len);

#endif
