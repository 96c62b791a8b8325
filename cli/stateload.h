/*
 * stateload: reads `--state PATH` files (as `check` reads its arguments: files,
 * directories, stdin, --var) into a struct store, for the long-running commands.
 * Objects are prepared as the cross-object checks expect them: schema defaults
 * applied, routes pruned to what those checks read (cluster_prune_route), TLS Secrets
 * reduced to their certificate summary (no key material kept), kinds gatewarden does
 * not use dropped.
 */
#ifndef CLI_STATELOAD_H
#define CLI_STATELOAD_H

#include <stddef.h>

#include "store.h"
#include "subst.h"

struct err;

/* Add the objects of every path to s, defaulted, routes whole (the datapath plan
 * reads their rules, filters and matches). Objects without a namespace go to
 * default_ns. Returns 0, or ERR_INVALID / ERR_IO naming the first path that could not
 * be read (bad YAML, unreadable file) or ERR_NOMEM. *ret_count gets the objects s then
 * holds: an object given twice counts once, kinds the store does not keep not at all. */
int stateload_paths_whole(struct store *s, const char *const *paths, size_t npaths, const struct subst_vars *vars,
			  const char *default_ns, size_t *ret_count, struct err *err);

/* The same for a long-lived admission view: each object also goes through
 * admit_slim (routes lose their backends: not for the datapath), and equal parts of
 * the objects are shared (core/jintern.h: the stored objects must stay unmodified). */
int stateload_paths_slim(struct store *s, const char *const *paths, size_t npaths, const struct subst_vars *vars,
			 const char *default_ns, size_t *ret_count, struct err *err);

#endif
