/*
 * hostname: Gateway API hostname semantics. A wildcard "*.example.com" matches one or
 * more extra labels and never the apex; an unset hostname (NULL) means "*" (all).
 * Pure, no allocation.
 */
#ifndef CORE_HOSTNAME_H
#define CORE_HOSTNAME_H

#include <stdbool.h>
#include <stddef.h>

/* True when s is an IPv4 or IPv6 literal (what WX-HOST-IP forbids). */
bool hostname_is_ip(const char *s);
/* True when some dot-separated label of s (after an optional "*.") is longer than 63. */
bool hostname_has_long_label(const char *s);
/* True when a and b (either may be NULL = any, or a wildcard) can both match some
 * host name: precise-precise equal; wildcard vs precise when precise has at least one
 * label more than the wildcard's suffix; two wildcards when one suffix ends the other. */
bool hostname_intersect(const char *a, const char *b);
/* True when host (a precise name or wildcard) is fully covered by pattern (NULL = all):
 * every name host matches is matched by pattern. */
bool hostname_covers(const char *pattern, const char *host);

#endif
