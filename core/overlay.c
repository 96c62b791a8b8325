/* overlay: one object laid over a view (see overlay.h). */
#include "overlay.h"

#include <stdlib.h>
#include <string.h>

#include "jv.h"

#define GAPI_GROUP "gateway.networking.k8s.io"

static bool cluster_scoped(enum kind k)
{
	return k == KIND_GATEWAYCLASS || k == KIND_NAMESPACE;
}

void overlay_init(struct overlay *o, const struct view *base, enum kind k, const json_t *obj)
{
	const json_t *meta = jv_obj(obj, "metadata");

	memset(o, 0, sizeof(*o));
	o->base = base;
	o->kind = k;
	o->obj = obj;
	o->name = jv_str(meta, "name") ? jv_str(meta, "name") : "";
	o->ns = cluster_scoped(k) ? "" : (jv_str(meta, "namespace") ? jv_str(meta, "namespace") : "default");
}

void overlay_release(struct overlay *o)
{
	for (size_t i = 0; i < o->ncopies; i++)
		free(o->copies[i]);
	free(o->copies);
	o->copies = NULL;
	o->ncopies = o->capcopies = 0;
}

/* is x the same object (kind already equal) as the overlay's, by namespace and name */
static bool same_key(const struct overlay *o, const json_t *x)
{
	const json_t *meta = jv_obj(x, "metadata");
	const char *ns = jv_str(meta, "namespace");
	const char *name = jv_str(meta, "name");

	if (name == NULL || strcmp(name, o->name) != 0)
		return false;
	if (cluster_scoped(o->kind))
		return true;
	/* the store's default namespace; the webhook's view objects carry theirs */
	return strcmp(ns ? ns : "default", o->ns) == 0;
}

static bool track(struct overlay *o, const json_t **arr)
{
	if (o->ncopies == o->capcopies) {
		size_t ncap = o->capcopies ? o->capcopies * 2 : 8;
		const json_t ***nc = realloc(o->copies, ncap * sizeof(*nc));

		if (nc == NULL)
			return false;
		o->copies = nc;
		o->capcopies = ncap;
	}
	o->copies[o->ncopies++] = arr;
	return true;
}

/* The base list with the overlay's object: an old version replaced by it when
 * include, dropped otherwise; appended when include and not there. */
static size_t merge(struct overlay *o, size_t n, const json_t *const *base, bool include,
		    const json_t *const **ret)
{
	const json_t **arr;
	size_t m = 0;
	bool placed = false;

	arr = malloc((n + 1) * sizeof(*arr));
	if (arr == NULL || !track(o, arr)) {
		free(arr);
		o->nomem = true;
		*ret = base;
		return n;
	}
	for (size_t i = 0; i < n; i++) {
		if (same_key(o, base[i])) {
			if (include && !placed)
				arr[m++] = o->obj;
			placed = true;
			continue;
		}
		arr[m++] = base[i];
	}
	if (include && !placed)
		arr[m++] = o->obj;
	*ret = arr;
	return m;
}

static const json_t *ov_get(void *ctx, enum kind k, const char *ns, const char *name)
{
	struct overlay *o = ctx;

	if (k == o->kind && name != NULL && strcmp(name, o->name) == 0 &&
	    (cluster_scoped(k) || strcmp(ns && *ns ? ns : "default", o->ns) == 0))
		return o->obj;
	return view_get(o->base, k, ns, name);
}

static size_t ov_list_ns(void *ctx, enum kind k, const char *ns, const json_t *const **ret)
{
	struct overlay *o = ctx;
	size_t n = view_list_ns(o->base, k, ns, ret);

	if (k != o->kind)
		return n;
	return merge(o, n, *ret, cluster_scoped(k) || strcmp(ns && *ns ? ns : "default", o->ns) == 0, ret);
}

static size_t ov_list_kind(void *ctx, enum kind k, const json_t *const **ret)
{
	struct overlay *o = ctx;
	size_t n = view_list_kind(o->base, k, ret);

	return k == o->kind ? merge(o, n, *ret, true, ret) : n;
}

/* does the overlay's route list hostname h in spec.hostnames ("*" or NULL: none) */
static bool names_hostname(const struct overlay *o, const char *h)
{
	const json_t *hosts = jv_arr(jv_obj(o->obj, "spec"), "hostnames");
	const json_t *x;
	size_t i;

	if (h == NULL || strcmp(h, "*") == 0)
		return jv_size(hosts) == 0;
	json_array_foreach(hosts, i, x)
		if (json_is_string(x) && strcmp(json_string_value(x), h) == 0)
			return true;
	return false;
}

static size_t ov_list_hostname(void *ctx, enum kind k, const char *h, const json_t *const **ret)
{
	struct overlay *o = ctx;
	size_t n = view_list_hostname(o->base, k, h, ret);

	if (k != o->kind || !kind_is_route(k))
		return n;
	return merge(o, n, *ret, names_hostname(o, h), ret);
}

/* does the overlay's route name Gateway gw_ns/gw_name in a parentRef (see view.h) */
static bool names_parent(const struct overlay *o, const char *gw_ns, const char *gw_name)
{
	const json_t *x;
	size_t i;

	if (gw_name == NULL)
		return false;
	if (gw_ns == NULL || *gw_ns == '\0')
		gw_ns = "default";
	json_array_foreach(jv_arr(jv_obj(o->obj, "spec"), "parentRefs"), i, x) {
		const char *g = jv_str(x, "group"), *k = jv_str(x, "kind");
		const char *n = jv_str(x, "name"), *ns = jv_str(x, "namespace");

		if ((g != NULL && strcmp(g, GAPI_GROUP) != 0) || (k != NULL && strcmp(k, "Gateway") != 0))
			continue;
		if (n != NULL && strcmp(n, gw_name) == 0 && strcmp(ns != NULL && *ns != '\0' ? ns : o->ns, gw_ns) == 0)
			return true;
	}
	return false;
}

static size_t ov_list_parent(void *ctx, enum kind k, const char *gw_ns, const char *gw_name,
			     const json_t *const **ret)
{
	struct overlay *o = ctx;
	size_t n = view_list_parent(o->base, k, gw_ns, gw_name, ret);

	if (k != o->kind || !kind_is_route(k))
		return n;
	return merge(o, n, *ret, names_parent(o, gw_ns, gw_name), ret);
}

static size_t ov_list_name(void *ctx, enum kind k, const char *name, const json_t *const **ret)
{
	struct overlay *o = ctx;
	size_t n = view_list_name(o->base, k, name, ret);

	if (k != o->kind || name == NULL || strcmp(name, o->name) != 0)
		return n;
	return merge(o, n, *ret, true, ret);
}

static const json_t *ov_namespace_labels(void *ctx, const char *ns)
{
	struct overlay *o = ctx;

	/* a Namespace being admitted is not a kind the webhook validates, so its labels
	 * are always the base's */
	return view_namespace_labels(o->base, ns);
}

static bool ov_failed(void *ctx)
{
	return view_failed(((struct overlay *)ctx)->base);
}

static const struct view_ops overlay_ops = {
	.failed = ov_failed,
	.get = ov_get,
	.list_ns = ov_list_ns,
	.list_kind = ov_list_kind,
	.list_hostname = ov_list_hostname,
	.list_parent = ov_list_parent,
	.list_name = ov_list_name,
	.namespace_labels = ov_namespace_labels,
};

void overlay_view(struct overlay *o, struct view *ret)
{
	ret->ops = &overlay_ops;
	ret->ctx = o;
}
