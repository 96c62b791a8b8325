/*
 * checks: the per-kind rule sets. Each kind has a schema table (structural rules,
 * run by schema_validate) and a check function (CEL, old-webhook, WX-* rules) that runs
 * on the defaulted object after the schema pass. Check functions must tolerate any
 * shape (a field of the wrong type is skipped: the schema pass has reported it) and
 * report every problem, not just the first. Pure.
 *
 * Files: schema_gateway.c + check_gateway.c, schema_route.c + check_httproute.c +
 * check_grpcroute.c (route-common parts live in schema_route.c / check_route.c);
 * TCPRoute and UDPRoute: schema_route.c (schema_l4route) + check_l4route.c.
 */
#ifndef CORE_CHECKS_H
#define CORE_CHECKS_H

#include <jansson.h>

#include "schema.h"

struct findings;

/* Whole-object schemas (apiVersion, kind, metadata, spec, status). */
extern const struct schema_node schema_gateway;
extern const struct schema_node schema_httproute;
extern const struct schema_node schema_grpcroute;
extern const struct schema_node schema_l4route; /* TCPRoute and UDPRoute */

void check_gateway(const json_t *obj, struct findings *fs);
void check_httproute(const json_t *obj, struct findings *fs);
void check_grpcroute(const json_t *obj, struct findings *fs);
void check_l4route(const json_t *obj, struct findings *fs);

#endif
