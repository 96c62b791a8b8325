/*
 * policyload: reads `--policy PATH` (files or directories, through cli/input.c and so
 * cli/yamldoc.c, with --var substitution) into a policy set, and runs the policy
 * pass of `check`. A set is built whole or not at all: the first unreadable file, bad
 * YAML or invalid policy is the error, and nothing is returned, so `serve` can load a
 * new set on a file change and keep the old one when the new one fails.
 */
#ifndef CLI_POLICYLOAD_H
#define CLI_POLICYLOAD_H

#include <stddef.h>

#include "policy.h"
#include "report.h"
#include "subst.h"

struct err;

#define POLICYLOAD_MAX_PATHS 64

/* A new set (free with policy_set_free), or NULL with err set: ERR_IO (unreadable,
 * or a path with no policy file), ERR_INVALID (bad YAML, not a policy, unsupported
 * Kyverno feature: the message names the file), ERR_NOMEM. vars may be NULL. */
struct policy_set *policyload_paths(const char *const *paths, size_t npaths, const struct subst_vars *vars,
				    struct err *err);

/*
 * The policy pass of `check`, after the cluster pass, over the view v that holds the
 * applied objects (routes included): for each Gateway in objs, o->policy becomes
 * {"service": "ns/name", "servicePatch": [...], "gatewayPatch": [...]} and the
 * validation findings go to o->fs; each route gets policy_check_route. 0 or ERR_NOMEM.
 */
int policyload_check(const struct policy_set *s, const struct view *v, struct report_obj *objs, size_t n);

#endif
