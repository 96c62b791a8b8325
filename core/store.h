/*
 * store: an in-memory, indexed cluster, the struct view of `check --state` and of
 * the tests (the watch cache will be another implementation of the same view).
 * Pure.
 *
 * Ownership: store_add takes its own reference on each object it keeps (the caller
 * keeps and releases its own); store_free drops them. Every pointer the view hands
 * out (objects, arrays, namespace label sets) is owned by the store and valid until
 * the next store_add, store_remove or store_free. The store never modifies an object.
 *
 * What is kept: the kinds kind_classify knows (KIND_OTHER is ignored), except Secrets
 * whose type is not kubernetes.io/tls (only TLS Secrets matter to listeners). The
 * key is kind + namespace + metadata.name; adding an existing key replaces the
 * earlier object in place. Cluster-scoped kinds (Namespace, GatewayClass) have
 * namespace "" whatever the object says; other objects without metadata.namespace
 * are in the default namespace ("default" unless store_set_default_namespace says
 * otherwise), which the view does not write into the object: callers that read
 * metadata.namespace from a listed object must apply the same default.
 *
 * Lookups through the view normalise their ns argument the same way: it is ignored
 * for cluster-scoped kinds, and NULL or "" means the default namespace otherwise.
 *
 * Order: list_kind and list_ns give objects in the order of their first add
 * (replacing keeps the place); store_remove moves the last object of each list into
 * the removed one's place. list_hostname's and list_parent's orders are deterministic
 * for a given sequence of adds but otherwise unspecified (a replacement whose
 * hostnames, or parents, changed moves).
 *
 * list_parent: a route is indexed under each Gateway its parentRefs may name (group
 * gateway.networking.k8s.io or unset, kind Gateway or unset); a parentRef without
 * namespace (or with "") names the route's namespace as the store has it, so the
 * default namespace applies to a route without metadata.namespace.
 *
 * Cost: get, list_* and namespace_labels are O(1) plus O(result); store_add and
 * store_remove are O(1) amortised plus O(number of hostnames and parentRefs).
 * namespace_labels caches one label set per namespace asked for, so concurrent
 * readers need store_set_lock.
 */
#ifndef CORE_STORE_H
#define CORE_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "kind.h"
#include "view.h"

struct store;

/* NULL when out of memory. */
struct store *store_new(void);
/* NULL-safe. */
void store_free(struct store *s);

/* The namespace of namespaced objects that set none (kubectl's -n). Call before the
 * first store_add. Returns 0 or ERR_NOMEM. */
int store_set_default_namespace(struct store *s, const char *ns);

/*
 * Add (or replace) obj. Returns 0 also for objects that are not kept (KIND_OTHER,
 * non-TLS Secrets); ERR_INVALID (with err filled) when a kept kind has no
 * metadata.name; ERR_LIMIT for a route a compact store cannot write as text (nested
 * deeper than 512 levels); ERR_NOMEM; the last three leave the store as it was.
 */
int store_add(struct store *s, json_t *obj, struct err *err);

/*
 * Remove the object of kind k named ns/name (ns normalised as for lookups) and drop
 * the store's reference. Returns 0, ERR_NOTFOUND when there is no such object, or
 * ERR_NOMEM (only for names too long for the stack buffer), leaving the store as it
 * was.
 */
int store_remove(struct store *s, enum kind k, const char *ns, const char *name);

/*
 * Concurrent readers. Reads never change what the view returns, but two of them fill
 * caches on first use: namespace_labels (one label set per namespace asked for) and
 * list_name (the by-name index, rebuilt after a change). A caller whose view is read
 * by several threads at once (with writers excluded, e.g. by a rwlock) gives a lock
 * here; the store takes it around those fills and nothing else. Without one (the
 * default) the view has a single reader at a time.
 */
void store_set_lock(struct store *s, void (*lock)(void *ud), void (*unlock)(void *ud), void *ud);

/* A view of s; valid until store_free. For a store with compact routes it answers
 * route kinds with nothing: read such a store through a store_reader. */
void store_view(struct store *s, struct view *ret);

/*
 * Compact routes, for long-lived admission views: the store keeps each route
 * (HTTPRoute, GRPCRoute, TCPRoute, UDPRoute) as compact JSON text instead of a jansson
 * tree, indexed as usual (by name, namespace, hostname and parent). The text of a slim
 * route takes about a fifth of the memory of its tree; an evaluation parses only the
 * routes it reads. Converts the routes already added and keeps later ones compact
 * (call it before a bulk load: converting each route as it comes keeps the load's
 * peak low, and its freed trees are reused by the next one). A route already added
 * that nests too deep for text stays a tree. Returns 0, or ERR_NOMEM (the store stays
 * consistent and compact; the routes not converted stay trees, which readers return
 * as they are). The text round trip changes nothing an evaluation reads (jwrite,
 * then jparse): only a real without fraction (80.0) comes back as the integer (80).
 */
int store_set_compact_routes(struct store *s);
/* True when s keeps objects of kind k as text (store_set_compact_routes). */
bool store_keeps_text(const struct store *s, enum kind k);

/*
 * store_reader: one evaluation's view of a store, for compact stores (it works on any
 * store). Objects of kinds the store keeps as trees are the store's own; compact
 * routes are parsed on first use and kept by the reader until store_reader_reset, so
 * what its view returns stays valid, and the same pointer, until then. After the store
 * changes, reset the reader before it reads again (it would return what it parsed
 * before the change). A reader belongs to one thread at a time; several readers read one
 * store at once under the same rules as store_view (writers excluded, store_set_lock
 * for the lazy fills).
 *
 * Out of memory while parsing or listing: the call answers nothing and view_failed
 * (view.h) is true until the reset, so an evaluation can refuse to decide on a view
 * that lost objects.
 */
struct store_reader;

/* NULL when out of memory. */
struct store_reader *store_reader_new(struct store *s);
/* The reader's view; r NULL gives a view that answers nothing and has failed (for a
 * caller whose store_reader_new failed). */
void store_reader_view(struct store_reader *r, struct view *ret);
/* Drop what the reader parsed and its failure: the end of one evaluation. */
void store_reader_reset(struct store_reader *r);
/* NULL-safe. */
void store_reader_free(struct store_reader *r);

/* Whether store_add keeps obj, of kind k: every kind the store indexes, and of Secrets
 * only kubernetes.io/tls ones (the only ones listeners reference). A caller that
 * prepares objects for the store (check copies them) skips the rest. */
bool store_keeps(enum kind k, const json_t *obj);

/* Number of objects of kind k kept. */
size_t store_count(const struct store *s, enum kind k);

#endif
