/*
 * status: what a conformant controller would report for a route's parents or a
 * Gateway's listeners, kept compactly from the cluster pass until the report.
 *
 * The pass makes one for every route and Gateway of the input; as jansson trees they
 * took 32 of the 55 MB the pass allocates on the bench's 10k-route tree, and a quarter
 * of its instructions. A status is one allocation: the fields, with copies of the
 * strings; reason strings are the literals of core/attach.h and core/gwstatus.h. The
 * report renders it as text or builds its JSON, one object at a time.
 */
#ifndef CLI_STATUS_H
#define CLI_STATUS_H

#include <jansson.h>
#include <stdio.h>

struct attach_result;
struct gwstatus;
struct status;

/* route's parents from r (route: the object r was decided for; each parentRef is kept
 * by reference). NULL when memory is short. */
struct status *status_from_route(const json_t *route, const struct attach_result *r);
/* a Gateway's listeners from s. NULL when memory is short. */
struct status *status_from_gateway(const struct gwstatus *s);
void status_free(struct status *st);

/* The JSON array of `check -o json`: parents [{parentRef, gateway, accepted, reason,
 * resolvedRefs, refsReason, message}] or listeners [{name, attachedRoutes,
 * supportedKinds, conditions}]. NULL when memory is short. */
json_t *status_json(const struct status *st);
/* One note line per parent or listener, each after prefix ("file:line: Kind ns/name"). */
void status_text(const struct status *st, FILE *out, const char *prefix);

#endif
