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

/* The kind of obj from its apiVersion and kind (KIND_OTHER when not one of ours). */
enum kind engine_classify(const json_t *obj);

/* Evaluate obj (mutated: defaults are applied). *ret_kind receives its kind; kinds that
 * are not validated (kind_is_validated() false) get no findings. A served group and kind
 * with an unserved version gets one META-APIVERSION finding and nothing else. Findings
 * are appended to fs. Returns 0, or ERR_NOMEM when defaulting ran out of memory. */
int engine_check_object(json_t *obj, struct findings *fs, enum kind *ret_kind);

#endif
