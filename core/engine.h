/*
 * engine: the one entry point that decides about an object. The same calls answer
 * `gatewarden check`, the webhook and the reconciler. Pure.
 *
 * Single-object evaluation: classify, apply the CRD schema defaults in place (as the
 * API server does before validation), run the schema table and the kind's rules.
 */
#ifndef CORE_ENGINE_H
#define CORE_ENGINE_H

#include <jansson.h>

#include "kind.h"

struct findings;

/* Evaluate obj (mutated: defaults are applied) as kind k, which must satisfy
 * kind_is_validated(). Findings are appended to fs. Returns 0, or ERR_NOMEM when
 * defaulting ran out of memory. */
int engine_check_object(enum kind k, json_t *obj, struct findings *fs);

#endif
