/*
 * regex: decides whether a regular expression compiles in RE2 syntax, the dialect of
 * Envoy and Cilium (WX-REGEX-COMPILE). A syntax checker, not a matcher: it rejects what
 * RE2 rejects (backreferences, lookaround, possessive quantifiers, unbalanced groups or
 * brackets, bad escapes, repeat counts over 1000, nothing to repeat, bad \p classes,
 * invalid UTF-8) and accepts the rest. Pure, no allocation.
 */
#ifndef CORE_REGEX_H
#define CORE_REGEX_H

#include <stdbool.h>
#include <stddef.h>

/* Returns true when re compiles; otherwise false and a short reason in why[whysz]. */
bool regex_re2_valid(const char *re, size_t len, char *why, size_t whysz);

#endif
