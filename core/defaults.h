/*
 * defaults: the CRD structural-schema defaults of spec/gateway-api-rules.md section 9,
 * applied in place as the API server applies them at decode time. Only members whose
 * parent has the right JSON type are defaulted (a wrong type is the schema pass's to
 * report). Idempotent: applying twice changes nothing the second time. Pure.
 */
#ifndef CORE_DEFAULTS_H
#define CORE_DEFAULTS_H

#include <jansson.h>

#include "kind.h"

/* Returns 0, or ERR_NOMEM (obj may then be partly defaulted). */
int defaults_apply(enum kind k, json_t *obj);

#endif
