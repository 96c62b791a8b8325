/*
 * labels: Kubernetes label selector semantics (metav1.LabelSelector) over jansson
 * values, as listeners' allowedRoutes.namespaces.selector uses them. Pure.
 *
 * Ownership: every argument is borrowed; nothing is kept after a call returns.
 *
 * A selector is {"matchLabels": {k: v}, "matchExpressions": [{key, operator,
 * values}]}. Every matchLabels pair and every expression must hold:
 *   In            key present and its value among values
 *   NotIn         key absent, or its value not among values
 *   Exists        key present
 *   DoesNotExist  key absent
 * An empty selector ({}, or both members empty) matches every label set; a NULL
 * selector matches none (Kubernetes: a nil selector selects nothing). A selector
 * that is malformed (wrong member types, an unknown operator, an expression without
 * a key) never matches: the single-object rules report the shape, and a
 * cross-object check must not admit anything through a broken selector.
 */
#ifndef CORE_LABELS_H
#define CORE_LABELS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* labels is a {string: string} object, or NULL for an object without labels.
 * Non-string label values count as present keys that equal nothing. */
bool labels_selector_matches(const json_t *selector, const json_t *labels);

/*
 * Render selector for messages, kubectl-like, requirements sorted by key and values
 * sorted: `env notin (dev, test), kubernetes.io/metadata.name in (a, b), !legacy,
 * team=web, tier` (matchLabels render as key=value, Exists as key, DoesNotExist as
 * !key). An empty selector renders as "<everything>", NULL as "<nothing>".
 * snprintf contract: buf (when bufsz > 0) is always NUL-terminated, the return value
 * is the length the full text needs (>= bufsz means truncated), or ERR_NOMEM.
 */
int labels_selector_describe(const json_t *selector, char *buf, size_t bufsz);

#endif
