/*
 * policy_svc: generated-Service mutation (see policy.h).
 *
 * The patch is "the Service as policy wants it" minus "the Service as it came":
 * what policy wants is collected as three maps (annotations, labels, spec fields), and
 * each wanted member is diffed against the Service's (jpatch_diff_at), so whatever the
 * policy does not name is never in the patch, and an UPDATE that already carries
 * everything gives the empty array. That is the property that stops a write loop with the
 * implementation's controller.
 */
#include "policy_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach.h"
#include "defaults.h"
#include "err.h"
#include "findings.h"
#include "hostname.h"
#include "jcopy.h"
#include "jparse.h"
#include "jpatch.h"
#include "jwrite.h"
#include "jv.h"
#include "labels.h"

#define GAPI_GROUP "gateway.networking.k8s.io"

static bool copy_str(char *dst, size_t cap, const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= cap)
		return false;
	memcpy(dst, s, n + 1);
	return true;
}

/* policy_service_owner from the Service's labels and namespace */
static bool owner_of(const json_t *lab, const char *svcns, char *ns, size_t nscap, char *name, size_t namecap)
{
	static const char *const same_ns[] = { "io.cilium.gateway/owning-gateway",
					       "projectcontour.io/owning-gateway-name",
					       "gateway.networking.k8s.io/gateway-name" };
	const char *egn = NULL, *egns = NULL, *by[3] = { NULL, NULL, NULL }, *k;
	json_t *x;

	/* one pass over the Service's few labels rather than a lookup per owner label */
	json_object_foreach((json_t *)lab, k, x) {
		const char *val = json_string_value(x);

		if (val == NULL)
			continue;
		if (strcmp(k, "gateway.envoyproxy.io/owning-gateway-name") == 0)
			egn = val;
		else if (strcmp(k, "gateway.envoyproxy.io/owning-gateway-namespace") == 0)
			egns = val;
		else
			for (size_t i = 0; i < 3; i++)
				if (strcmp(k, same_ns[i]) == 0)
					by[i] = val;
	}
	if (egn != NULL && egns != NULL)
		return copy_str(ns, nscap, egns) && copy_str(name, namecap, egn);
	for (size_t i = 0; i < 3; i++)
		if (by[i] != NULL)
			return copy_str(ns, nscap, svcns) && copy_str(name, namecap, by[i]);
	return false;
}

bool policy_service_owner(const json_t *svc, char *ns, size_t nscap, char *name, size_t namecap)
{
	return owner_of(jv_obj(jv_obj(svc, "metadata"), "labels"), policy_obj_ns(svc), ns, nscap, name, namecap);
}

/* ---- derived hostnames ---- */

static int cmp_json_str(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

/* Sorted unique array from the keys of set. */
static json_t *sorted_keys_array(json_t *set)
{
	size_t n = json_object_size(set), i = 0;
	json_t **v = NULL, *arr = json_array();
	const char *k;
	json_t *x;

	if (arr == NULL)
		return NULL;
	if (n == 0)
		return arr;
	v = malloc(n * sizeof(*v));
	if (v == NULL) {
		json_decref(arr);
		return NULL;
	}
	json_object_foreach(set, k, x) {
		(void)x;
		v[i++] = json_string(k);
	}
	for (i = 0; i < n; i++)
		if (v[i] == NULL)
			break;
	if (i == n)
		qsort(v, n, sizeof(*v), cmp_json_str);
	for (size_t j = 0; j < n; j++) {
		if (i == n && json_array_append_new(arr, v[j]) != 0)
			i = 0;
		else if (i != n)
			json_decref(v[j]);
	}
	free(v);
	if (i != n) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

/* Does the route name this Gateway in some parentRef (group/kind Gateway)? The view's
 * list_parent answers the same question for a whole kind; this keeps the default
 * namespace of a route without metadata.namespace "default", as attach has it. */
static bool route_names_gateway(const json_t *route, const char *gwns, const char *gwname)
{
	const char *rns = policy_obj_ns(route);
	size_t i;
	json_t *p;

	json_array_foreach(jv_arr(jv_obj(route, "spec"), "parentRefs"), i, p) {
		const char *g = jv_str(p, "group"), *k = jv_str(p, "kind");
		const char *n = jv_str(p, "name"), *ns = jv_str(p, "namespace");

		if ((g != NULL && strcmp(g, GAPI_GROUP) != 0) || (k != NULL && strcmp(k, "Gateway") != 0))
			continue;
		if (n != NULL && strcmp(n, gwname) == 0 && strcmp(ns != NULL ? ns : rns, gwns) == 0)
			return true;
	}
	return false;
}

static bool is_wild(const char *h)
{
	return h != NULL && h[0] == '*';
}

/* Routes without a non-wildcard hostname add nothing: no attachment to compute. */
static bool has_precise_hostname(const json_t *route)
{
	size_t i;
	json_t *h;

	json_array_foreach(jv_arr(jv_obj(route, "spec"), "hostnames"), i, h)
		if (json_is_string(h) && !is_wild(json_string_value(h)))
			return true;
	return false;
}

/*
 * What decides whether a route is accepted (attach.c: check_parent) is its namespace,
 * parentRefs and hostnames; its rules only decide ResolvedRefs. A route of the view
 * reduced to those, with its own copy of parentRefs (defaults_apply writes into them)
 * and everything else shared: far cheaper to default and attach than a deep copy.
 */
static json_t *attach_skeleton(const json_t *orig)
{
	const json_t *meta = jv_obj(orig, "metadata"), *spec = jv_obj(orig, "spec");
	json_t *r = json_object(), *m = json_object(), *sp = json_object(), *refs;

	if (r == NULL || m == NULL || sp == NULL || json_object_set_new(r, "metadata", m) != 0) {
		json_decref(m);
		json_decref(sp);
		json_decref(r);
		return NULL;
	}
	if (json_object_set_new(r, "spec", sp) != 0) {
		json_decref(sp);
		json_decref(r);
		return NULL;
	}
	refs = jv_arr(spec, "parentRefs") != NULL ? jcopy(jv_arr(spec, "parentRefs")) : NULL;
	if ((jv_get(orig, "apiVersion") && json_object_set(r, "apiVersion", jv_get(orig, "apiVersion")) != 0) ||
	    (jv_get(orig, "kind") && json_object_set(r, "kind", jv_get(orig, "kind")) != 0) ||
	    (jv_get(meta, "name") && json_object_set(m, "name", jv_get(meta, "name")) != 0) ||
	    (jv_get(meta, "namespace") && json_object_set(m, "namespace", jv_get(meta, "namespace")) != 0) ||
	    (jv_get(spec, "hostnames") && json_object_set(sp, "hostnames", jv_get(spec, "hostnames")) != 0) ||
	    (refs != NULL && json_object_set_new(sp, "parentRefs", refs) != 0)) {
		json_decref(r);
		return NULL;
	}
	/* an empty rule list, so defaulting adds no catch-all rule to build */
	if (json_object_set_new(sp, "rules", json_array()) != 0) {
		json_decref(r);
		return NULL;
	}
	return r;
}

static int add_route_hosts(const struct view *v, enum kind k, const json_t *orig, const json_t *gw,
			   const char *key, uint64_t loose, json_t *set)
{
	const json_t *listeners = jv_arr(jv_obj(gw, "spec"), "listeners");
	struct attach_result *res;
	struct findings scratch;
	json_t *route = attach_skeleton(orig);
	int rc;

	if (route == NULL)
		return ERR_NOMEM;
	res = malloc(sizeof(*res));
	if (res == NULL) {
		json_decref(route);
		return ERR_NOMEM;
	}
	findings_init(&scratch, NULL);
	rc = defaults_apply(k, route);
	if (rc == 0)
		rc = attach_check_route(v, k, route, false, &scratch, res);
	findings_release(&scratch);
	for (size_t p = 0; rc == 0 && p < res->nparents; p++) {
		const struct attach_parent *ap = &res->parents[p];
		uint64_t on = ap->listeners & loose;
		size_t i;
		json_t *h;

		if (!ap->accepted || strcmp(ap->gateway, key) != 0 || on == 0)
			continue;
		json_array_foreach(jv_arr(jv_obj(route, "spec"), "hostnames"), i, h) {
			const char *hs = json_string_value(h);

			if (hs == NULL || is_wild(hs))
				continue;
			for (size_t li = 0; li < 64 && li < json_array_size(listeners); li++) {
				const char *lh = jv_str(json_array_get(listeners, li), "hostname");

				if ((on >> li & 1) && hostname_intersect(lh, hs)) {
					if (json_object_set_new(set, hs, json_true()) != 0)
						rc = ERR_NOMEM;
					break;
				}
			}
		}
	}
	free(res);
	json_decref(route);
	return rc;
}

int policy_gateway_hostnames(const struct view *v, const json_t *gw, json_t **ret, struct err *err)
{
	static const enum kind kinds[] = { KIND_HTTPROUTE, KIND_GRPCROUTE };
	const json_t *listeners = jv_arr(jv_obj(gw, "spec"), "listeners");
	const char *gwns = policy_obj_ns(gw), *gwname = jv_str(jv_obj(gw, "metadata"), "name");
	json_t *set = json_object(), *l;
	uint64_t loose = 0;
	char key[512];
	size_t i;
	int rc = 0;

	*ret = NULL;
	if (set == NULL)
		return err_set(err, ERR_NOMEM, "policy: out of memory");
	json_array_foreach(listeners, i, l) {
		const char *h = jv_str(l, "hostname");

		if (h != NULL && !is_wild(h)) {
			if (json_object_set_new(set, h, json_true()) != 0)
				rc = ERR_NOMEM;
		} else if (i < 64) {
			loose |= (uint64_t)1 << i;
		}
	}
	snprintf(key, sizeof(key), "%s/%s", gwns, gwname != NULL ? gwname : "");
	for (size_t ki = 0; rc == 0 && loose != 0 && gwname != NULL && ki < 2; ki++) {
		const json_t *const *routes;
		size_t n = view_list_parent(v, kinds[ki], gwns, gwname, &routes);

		for (size_t r = 0; rc == 0 && r < n; r++)
			if (route_names_gateway(routes[r], gwns, gwname) && has_precise_hostname(routes[r]))
				rc = add_route_hosts(v, kinds[ki], routes[r], gw, key, loose, set);
	}
	if (rc == 0 && (*ret = sorted_keys_array(set)) == NULL)
		rc = ERR_NOMEM;
	json_decref(set);
	if (rc != 0)
		return err_set(err, rc, "policy: out of memory");
	return 0;
}

/* ---- the generated Service of a Gateway (for check) ---- */

int policy_gateway_service(const struct view *v, const json_t *gw, json_t **ret_svc, struct err *err)
{
	const char *name = jv_str(jv_obj(gw, "metadata"), "name");
	const char *ns = policy_obj_ns(gw);
	const char *cls = jv_str(jv_obj(gw, "spec"), "gatewayClassName");
	const json_t *gc = cls != NULL ? view_get(v, KIND_GATEWAYCLASS, "", cls) : NULL;
	const char *ctl = jv_str(jv_obj(gc, "spec"), "controllerName");
	const json_t *infra = jv_obj(jv_obj(gw, "spec"), "infrastructure");
	bool cilium = ctl != NULL ? strcmp(ctl, "io.cilium/gateway-controller") == 0
				  : (cls != NULL && strstr(cls, "cilium") != NULL);
	char svcname[600];
	json_t *svc, *labels, *ann;

	*ret_svc = NULL;
	if (name == NULL)
		return err_set(err, ERR_INVALID, "policy: the Gateway has no metadata.name");
	if (cilium)
		snprintf(svcname, sizeof(svcname), "cilium-gateway-%s", name);
	else
		snprintf(svcname, sizeof(svcname), "%s-%s", name, cls != NULL ? cls : "");
	labels = jv_obj(infra, "labels") != NULL ? jcopy(jv_obj(infra, "labels")) : json_object();
	ann = jv_obj(infra, "annotations") != NULL ? jcopy(jv_obj(infra, "annotations")) : json_object();
	if (labels == NULL || ann == NULL ||
	    json_object_set_new(labels, "gateway.networking.k8s.io/gateway-name", json_string(name)) != 0 ||
	    (cilium && json_object_set_new(labels, "io.cilium.gateway/owning-gateway", json_string(name)) != 0)) {
		json_decref(labels);
		json_decref(ann);
		return err_set(err, ERR_NOMEM, "policy: out of memory");
	}
	if (json_object_size(ann) == 0) {
		json_decref(ann);
		ann = NULL;
	}
	svc = json_pack("{s:s,s:s,s:{s:s,s:s,s:o,s:o*},s:{s:s}}", "apiVersion", "v1", "kind", "Service",
			"metadata", "name", svcname, "namespace", ns, "labels", labels, "annotations", ann,
			"spec", "type", "LoadBalancer");
	if (svc == NULL)
		return err_set(err, ERR_NOMEM, "policy: out of memory");
	*ret_svc = svc;
	return 0;
}

/* ---- Kyverno matching ---- */

static bool strs_match(const json_t *arr, const char *s)
{
	size_t i;
	json_t *x;

	json_array_foreach(arr, i, x)
		if (policy_glob(json_string_value(x), s))
			return true;
	return false;
}

static bool filter_matches(const json_t *f, const struct view *v, const json_t *svc, bool create)
{
	const json_t *res = jv_obj(f, "resources");
	const json_t *md = jv_obj(svc, "metadata");
	const char *name = jv_str(md, "name"), *ns = policy_obj_ns(svc);
	const json_t *x;

	if (name == NULL)
		name = "";
	if ((x = jv_get(res, "name")) != NULL && !policy_glob(json_string_value(x), name))
		return false;
	if ((x = jv_get(res, "names")) != NULL && !strs_match(x, name))
		return false;
	if ((x = jv_get(res, "namespaces")) != NULL && !strs_match(x, ns))
		return false;
	if ((x = jv_get(res, "operations")) != NULL) {
		size_t i;
		json_t *o;
		bool hit = false;

		json_array_foreach(x, i, o)
			hit = hit || strcmp(json_string_value(o), create ? "CREATE" : "UPDATE") == 0;
		if (!hit)
			return false;
	}
	if ((x = jv_get(res, "selector")) != NULL && !labels_selector_matches(x, jv_obj(md, "labels")))
		return false;
	if ((x = jv_get(res, "namespaceSelector")) != NULL &&
	    !labels_selector_matches(x, view_namespace_labels(v, ns)))
		return false;
	return true;
}

static bool kyverno_matches(const struct policy_rule *r, const struct view *v, const json_t *svc, bool create)
{
	size_t i;
	json_t *f;

	if (r->policy_ns != NULL && strcmp(r->policy_ns, policy_obj_ns(svc)) != 0)
		return false;
	if (r->match_any != NULL) {
		json_array_foreach(r->match_any, i, f)
			if (filter_matches(f, v, svc, create))
				return true;
		return false;
	}
	json_array_foreach(r->match_all, i, f)
		if (!filter_matches(f, v, svc, create))
			return false;
	return true;
}

/* ---- composing the target ---- */

static int merge_strs(json_t *dst, const json_t *src)
{
	return src != NULL ? json_object_update(dst, (json_t *)src) : 0;
}

static int join_hosts(const json_t *arr, json_t **ret)
{
	size_t n = 0, i;
	json_t *h;
	char *buf, *p;

	json_array_foreach(arr, i, h)
		n += strlen(json_string_value(h)) + 1;
	buf = malloc(n + 1);
	if (buf == NULL)
		return ERR_NOMEM;
	p = buf;
	json_array_foreach(arr, i, h) {
		size_t l = strlen(json_string_value(h));

		if (i > 0)
			*p++ = ',';
		memcpy(p, json_string_value(h), l);
		p += l;
	}
	*p = '\0';
	*ret = json_string(buf);
	free(buf);
	return *ret != NULL ? 0 : ERR_NOMEM;
}

/* want[i] = v (taken), nothing when v is NULL; -1 when out of memory */
static int want_set(json_t *want, size_t i, json_t *v)
{
	return v != NULL && json_array_set_new(want, i, v) != 0 ? -1 : 0;
}

/* want[i] = the patch operation that adds value at path, as compact JSON text (written
 * once per Gateway, copied into every Service patch that needs it whole) */
static int want_add_op(json_t *want, size_t i, const char *path, const json_t *value)
{
	struct jwbuf b = { 0 };
	char *text;
	size_t len;
	int rc;

	jwrite_lit(&b, "{\"op\":\"add\",\"path\":");
	jwrite_cstr(&b, path);
	jwrite_lit(&b, ",\"value\":");
	jwrite_value(&b, value);
	jwrite_lit(&b, "}");
	if ((text = jwrite_finish(&b, &len)) == NULL)
		return -1;
	rc = json_array_set_new(want, i, json_stringn(text, len));
	free(text);
	return rc;
}

/* The Gateway's share of its Service, as an array of fixed slots (null when unset):
 * read back by index, not looked up by name. */
enum {
	WANT_ANN, WANT_ANN_ADD, WANT_ANN_OPS,
	WANT_LABELS, WANT_LABELS_ADD, WANT_LABELS_OPS,
	WANT_LB_CLASS, WANT_LB_SOURCE, WANT_LB_ADD, WANT_SLOTS
};

/* slot i of a want, NULL when unset */
static json_t *want_slot(const json_t *want, size_t i)
{
	json_t *x = json_array_get(want, i);

	return json_is_null(x) ? NULL : x;
}

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * map's members in key order as [key, value, patch path under prefix]: what diff_map
 * walks, one lookup in the Service's map per member. The memo keeps it per wanted map,
 * so a review neither sorts nor escapes. *ret a new array; 0, ERR_NOMEM, or ERR_LIMIT
 * (err set) for a key too long for a patch path.
 */
static int map_ops(const char *prefix, const json_t *map, json_t **ret, struct err *err)
{
	size_t n = json_object_size(map), k = 0, len = strlen(prefix);
	const char **keys = malloc((n > 0 ? n : 1) * sizeof(*keys)), *key;
	json_t *ops = json_array(), *x;
	char ptr[1024];
	int rc = 0;

	*ret = NULL;
	if (keys == NULL || ops == NULL) {
		free(keys);
		json_decref(ops);
		return ERR_NOMEM;
	}
	json_object_foreach((json_t *)map, key, x)
		keys[k++] = key;
	qsort(keys, n, sizeof(*keys), cmp_cstr);
	memcpy(ptr, prefix, len + 1);
	for (k = 0; rc == 0 && k < n; k++) {
		if (jpatch_pointer_append(ptr, len, sizeof(ptr), keys[k]) == (size_t)-1)
			rc = err_set(err, ERR_LIMIT, "policy: key %.64s... is too long for a patch path", keys[k]);
		else if (json_array_append_new(ops, json_pack("[sOs]", keys[k], json_object_get(map, keys[k]), ptr)) != 0)
			rc = ERR_NOMEM;
	}
	free(keys);
	if (rc != 0) {
		json_decref(ops);
		return rc;
	}
	*ret = ops;
	return 0;
}

/* want[i] = map_ops of map; a key too long for a path leaves the slot unset (diff_map
 * then meets the key itself, and reports it). -1 when out of memory. */
static int want_ops(json_t *want, size_t i, const char *prefix, const json_t *map)
{
	struct err scratch;
	json_t *ops;
	int rc;

	err_init(&scratch);
	rc = map_ops(prefix, map, &ops, &scratch);
	if (rc == ERR_LIMIT)
		return 0;
	return rc == 0 && json_array_set_new(want, i, ops) == 0 ? 0 : -1;
}

/* The memo's share of Gateway ns/name for the view's and the policy set's current
 * generations (a new reference), or NULL: no memo, a view without generations, or not
 * remembered. */
static json_t *memo_want(const struct policy_set *s, const struct view *v, const struct policy_memo *memo,
			 const char *ns, const char *name)
{
	uint64_t vgen = memo != NULL ? view_generation(v) : 0;

	return vgen != 0 ? memo->get(memo->ud, ns, name, vgen, policy_set_generation(s)) : NULL;
}

/*
 * The Gateway's share of its Service (steps 1-3 of policy_service_patch): the WANT_*
 * slots, maps in the order they were merged, also as the patch operation adding each
 * whole and as their map_ops, and the loadBalancerClass with its add operation. It
 * depends on the policy set and the view only, so it is memoised per Gateway for one
 * (view, policy set) generation pair: never for a Gateway being admitted (from_view
 * false: the view does not hold that one) or a view whose generation is 0. A new
 * reference, or NULL with the error code in *rc.
 */
static json_t *gateway_want(const struct policy_set *s, const struct view *v, const json_t *gw, bool from_view,
			    const struct policy_memo *memo, int *rc, struct err *err)
{
	const json_t *infra_ann;
	const char *ns = policy_obj_ns(gw), *name = jv_str(jv_obj(gw, "metadata"), "name");
	uint64_t vgen = from_view && memo != NULL && name != NULL ? view_generation(v) : 0;
	uint64_t pgen = policy_set_generation(s);
	json_t *want = NULL, *ann = NULL, *labels = NULL;
	const char *lb_class = NULL, *lb_src = NULL;
	bool external_dns = false;

	*rc = ERR_NOMEM;
	if (vgen != 0 && (want = memo_want(s, v, memo, ns, name)) != NULL) {
		*rc = 0;
		goto out;
	}
	if ((ann = json_object()) == NULL || (labels = json_object()) == NULL)
		goto out;
	infra_ann = jv_obj(jv_obj(jv_obj(gw, "spec"), "infrastructure"), "annotations");
	for (size_t i = 0; i < s->n; i++) {
		const struct policy_rule *r = &s->v[i];

		if (r->kind != POLICY_SERVICE || !policy_select_gateway(&r->sel, v, gw))
			continue;
		if (merge_strs(ann, r->annotations) != 0 || merge_strs(labels, r->labels) != 0)
			goto out;
		if (r->lb_class != NULL) {
			lb_class = r->lb_class;
			lb_src = r->source;
		}
		external_dns = external_dns || r->external_dns;
	}
	if (merge_strs(ann, infra_ann) != 0)
		goto out;
	if (external_dns && jv_get(infra_ann, POLICY_ANN_EXTERNAL_DNS) == NULL) {
		json_t *hosts, *val = NULL;

		if ((*rc = policy_gateway_hostnames(v, gw, &hosts, err)) != 0)
			goto out;
		*rc = json_array_size(hosts) > 0 ? join_hosts(hosts, &val) : 0;
		json_decref(hosts);
		if (*rc != 0 || (val != NULL && json_object_set_new(ann, POLICY_ANN_EXTERNAL_DNS, val) != 0))
			goto nomem;
	}
	if ((want = json_array()) == NULL)
		goto nomem;
	for (size_t i = 0; i < WANT_SLOTS; i++)
		if (json_array_append_new(want, json_null()) != 0)
			goto nomem;
	if ((json_object_size(ann) > 0 && (want_set(want, WANT_ANN, json_incref(ann)) != 0 ||
					   want_add_op(want, WANT_ANN_ADD, "/metadata/annotations", ann) != 0 ||
					   want_ops(want, WANT_ANN_OPS, "/metadata/annotations", ann) != 0)) ||
	    (json_object_size(labels) > 0 && (want_set(want, WANT_LABELS, json_incref(labels)) != 0 ||
					      want_add_op(want, WANT_LABELS_ADD, "/metadata/labels", labels) != 0 ||
					      want_ops(want, WANT_LABELS_OPS, "/metadata/labels", labels) != 0)) ||
	    (lb_class != NULL && (want_set(want, WANT_LB_CLASS, json_string(lb_class)) != 0 ||
				  want_add_op(want, WANT_LB_ADD, "/spec/loadBalancerClass", want_slot(want, WANT_LB_CLASS)) != 0)) ||
	    (lb_src != NULL && want_set(want, WANT_LB_SOURCE, json_string(lb_src)) != 0))
		goto nomem;
	/* a view that lost objects (view_failed) gave an incomplete share */
	if (view_failed(v))
		goto nomem;
	if (vgen != 0)
		memo->put(memo->ud, ns, name, vgen, pgen, want);
	*rc = 0;
	goto out;
nomem:
	*rc = ERR_NOMEM;
	json_decref(want);
	want = NULL;
out:
	json_decref(ann);
	json_decref(labels);
	if (*rc == ERR_NOMEM)
		err_set(err, ERR_NOMEM, "policy: out of memory");
	return want;
}

/*
 * The patch as compact JSON text, written as it is decided: jansson values are made
 * only where an operation needs a diff below a member (a Kyverno spec field that is an
 * object or array, a map that is not an object). The operations are those jpatch_diff
 * gives for "the Service with the wants merged in" against the Service, and so is the
 * text: jwrite writes an operation as jansson would ({"op","path","value"}).
 */
struct ptext {
	struct jwbuf b;
	size_t nops;
};

/* An operation up to its value: the caller writes the value, then ptext_end. */
static void ptext_begin(struct ptext *o, const char *op, const char *path)
{
	jwrite_lit(&o->b, o->nops++ > 0 ? ",{\"op\":\"" : "[{\"op\":\"");
	jwrite_lit(&o->b, op);
	jwrite_lit(&o->b, "\",\"path\":");
	jwrite_cstr(&o->b, path);
	jwrite_lit(&o->b, ",\"value\":");
}

static void ptext_end(struct ptext *o)
{
	jwrite_lit(&o->b, "}");
}

/* a whole operation already written (the memo's) */
static void ptext_raw(struct ptext *o, const json_t *op)
{
	jwrite_lit(&o->b, o->nops++ > 0 ? "," : "[");
	jwrite_raw(&o->b, json_string_value(op), json_string_length(op));
}

static void ptext_op(struct ptext *o, const char *op, const char *path, const json_t *value)
{
	ptext_begin(o, op, path);
	jwrite_value(&o->b, value);
	ptext_end(o);
}

/* jpatch_diff_at's operations for one member, appended as text */
static int ptext_diff(struct ptext *o, const char *path, const json_t *have, const json_t *want, struct err *err)
{
	json_t *ops = json_array(), *op;
	size_t i;
	int rc;

	if (ops == NULL)
		return ERR_NOMEM;
	rc = jpatch_diff_at(path, have, want, ops, err);
	json_array_foreach(ops, i, op) {
		jwrite_lit(&o->b, o->nops++ > 0 ? "," : "[");
		jwrite_value(&o->b, op);
	}
	json_decref(ops);
	return rc;
}

/* A map the wants may write into: the Gateway's share is borrowed (it may be the
 * memo's) until a Kyverno rule writes it, then copied once. */
struct wmap {
	json_t *m;
	const json_t *add;      /* while m is the Gateway's share: the operation adding it whole */
	const json_t *ops;      /* and m as [key, value, path] in key order (want_ops) */
	bool own;
};

static int wmap_merge(struct wmap *w, const json_t *src)
{
	if (src == NULL)
		return 0;
	if (!w->own) {
		json_t *c = w->m != NULL ? json_copy(w->m) : json_object();

		if (c == NULL)
			return ERR_NOMEM;
		w->m = c;
		w->add = NULL;
		w->ops = NULL;
		w->own = true;
	}
	return merge_strs(w->m, src);
}

static void wmap_release(struct wmap *w)
{
	if (w->own)
		json_decref(w->m);
}

/* One wanted member against the Service's: an add when missing, a replace when a
 * string differs (annotations and labels are strings), else jpatch's diff. */
static int diff_member(struct ptext *o, const char *path, const json_t *have, const json_t *want, struct err *err)
{
	if (have == want)
		return 0;
	if (have == NULL) {
		ptext_op(o, "add", path, want);
	} else if (json_is_string(have) && json_is_string(want)) {
		size_t hl = json_string_length(have);

		if (hl != json_string_length(want) || memcmp(json_string_value(have), json_string_value(want), hl) != 0)
			ptext_op(o, "replace", path, want);
	} else {
		return ptext_diff(o, path, have, want, err);
	}
	return 0;
}

/*
 * The operations for one map policy writes (metadata.annotations, metadata.labels or
 * spec): for each wanted member in key order, nothing when the Service has it equal,
 * its diff when it differs (a replace, for the strings annotations and labels are), an
 * add when it is missing; the whole map as one add (or replace) when the Service has
 * no such map. Members policy does not name are never visited.
 */
static int diff_map(struct ptext *o, const char *path, const json_t *have, const struct wmap *wm, struct err *err)
{
	const json_t *want = wm->m, *ops = wm->ops;
	json_t *own = NULL, *op;
	size_t i;
	int rc = 0;

	if (json_object_size(want) == 0)
		return 0;
	if (have == NULL && wm->add != NULL) {
		ptext_raw(o, wm->add);
		return 0;
	}
	if (have == NULL) {
		ptext_op(o, "add", path, want);
		return 0;
	}
	if (!json_is_object(have))
		return ptext_diff(o, path, have, want, err); /* not an object: replaced */
	if (ops == NULL && (rc = map_ops(path, want, &own, err)) != 0)
		return rc;
	json_array_foreach(own != NULL ? own : ops, i, op) {
		const json_t *hv = json_object_get(have, json_string_value(json_array_get(op, 0)));

		if ((rc = diff_member(o, json_string_value(json_array_get(op, 2)), hv, json_array_get(op, 1), err)) != 0)
			break;
	}
	json_decref(own);
	return rc;
}

/* Merge a Kyverno rule's patchStrategicMerge into the wants. */
static int merge_kyverno(const struct policy_rule *r, struct wmap *ann, struct wmap *labels, json_t **spec,
			 const json_t **lb_class, const char **lb_src)
{
	const json_t *psm_md = jv_obj(r->psm, "metadata"), *psm_spec = jv_obj(r->psm, "spec");
	const char *k;
	json_t *x;

	if (wmap_merge(ann, jv_obj(psm_md, "annotations")) != 0 || wmap_merge(labels, jv_obj(psm_md, "labels")) != 0)
		return ERR_NOMEM;
	json_object_foreach((json_t *)psm_spec, k, x) {
		if (strcmp(k, "loadBalancerClass") == 0) {
			*lb_class = json_is_string(x) ? x : NULL;
			*lb_src = r->source;
		} else if ((*spec = *spec != NULL ? *spec : json_object()) == NULL ||
			   json_object_set_new(*spec, k, jcopy(x)) != 0) {
			return ERR_NOMEM;
		}
	}
	return 0;
}

int policy_service_patch_text(const struct policy_set *s, const struct view *v, const json_t *svc,
			      const json_t *old_svc, const json_t *owner, const struct policy_memo *memo,
			      char **ret_text, size_t *ret_len, struct findings *warnings, struct err *err)
{
	struct ptext o = { .b = { 0 }, .nops = 0 };
	char gwns[256], gwname[256];
	const json_t *gw = NULL, *md, *sp, *have_ann, *have_labels, *have_lb = NULL;
	const char *svcns;
	json_t *gwant = NULL, *spec = NULL;
	struct wmap ann = { NULL, NULL, NULL, false }, labels = { NULL, NULL, NULL, false };
	const json_t *lb_add = NULL;
	bool lb_direct = false;
	const json_t *lb_class_v = NULL;
	const char *lb_class, *lb_src = NULL;
	bool owned, create = old_svc == NULL, any_gw_rule = false;
	size_t last_one_policy = (size_t)-1;
	int rc = 0;

	*ret_text = NULL;
	if (ret_len != NULL)
		*ret_len = 0;
	if (!json_is_object(svc))
		return err_set(err, ERR_INVALID, "policy: the Service is not an object");
	md = json_object_get(svc, "metadata");
	sp = json_object_get(svc, "spec");
	have_ann = jv_get(md, "annotations");
	have_labels = jv_get(md, "labels");
	svcns = jv_str(md, "namespace");
	owned = owner_of(json_is_object(have_labels) ? have_labels : NULL, svcns != NULL && *svcns ? svcns : "default", gwns,
			 sizeof(gwns), gwname, sizeof(gwname));
	for (size_t i = 0; s != NULL && i < s->n; i++)
		if (s->v[i].kind == POLICY_SERVICE)
			any_gw_rule = true;
	/* the memo first, by the owner labels: a Gateway it remembers for this view
	 * generation is in the view, so neither the Gateway nor its metadata is read */
	if (owned && any_gw_rule && owner == NULL)
		gwant = memo_want(s, v, memo, gwns, gwname);
	if (owned && any_gw_rule && gwant == NULL) {
		gw = owner != NULL ? owner : view_get(v, KIND_GATEWAY, gwns, gwname);
		if (gw == NULL)
			findings_add(warnings, "POL-SVC-GATEWAY-MISSING", "metadata.labels",
				     "the owning Gateway %s/%s is not known yet: the Service is allowed unchanged by "
				     "Gateway policies (the reconciler fills it in later)", gwns, gwname);
		else if ((gwant = gateway_want(s, v, gw, owner == NULL, memo, &rc, err)) == NULL)
			return rc;
	}
	if (gwant != NULL) {
		ann.m = want_slot(gwant, WANT_ANN);
		ann.add = want_slot(gwant, WANT_ANN_ADD);
		ann.ops = want_slot(gwant, WANT_ANN_OPS);
		labels.m = want_slot(gwant, WANT_LABELS);
		labels.add = want_slot(gwant, WANT_LABELS_ADD);
		labels.ops = want_slot(gwant, WANT_LABELS_OPS);
		lb_class_v = want_slot(gwant, WANT_LB_CLASS);
		lb_src = json_string_value(want_slot(gwant, WANT_LB_SOURCE));
		lb_add = want_slot(gwant, WANT_LB_ADD);
	}
	for (size_t i = 0; rc == 0 && s != NULL && i < s->n; i++) {
		const struct policy_rule *r = &s->v[i];

		if (r->kind != POLICY_KYVERNO || r->policy_id == last_one_policy || !kyverno_matches(r, v, svc, create))
			continue;
		if (r->apply_one)
			last_one_policy = r->policy_id;
		rc = merge_kyverno(r, &ann, &labels, &spec, &lb_class_v, &lb_src);
	}
	lb_class = json_string_value(lb_class_v);
	if (rc != 0 || (json_object_size(ann.m) == 0 && json_object_size(labels.m) == 0 && json_object_size(spec) == 0 &&
			lb_class == NULL))
		goto out; /* no policy applies: nothing to write */
	if (lb_class != NULL) {
		const char *type = jv_str(sp, "type");
		const char *old = jv_str(jv_obj(old_svc, "spec"), "loadBalancerClass");
		const char *have;

		have_lb = json_object_get(sp, "loadBalancerClass"); /* also read by the add below */
		have = json_string_value(have_lb);

		if (create && type != NULL && strcmp(type, "LoadBalancer") == 0) {
			/* alone in spec, it is written directly; with Kyverno's fields, in key order */
			lb_direct = spec == NULL;
			if (!lb_direct && json_object_set(spec, "loadBalancerClass", (json_t *)lb_class_v) != 0) {
				rc = ERR_NOMEM;
				goto out;
			}
		} else if (create) {
			/* not a LoadBalancer: no class */
		} else if ((have != NULL && strcmp(have, lb_class) != 0) ||
			   (have == NULL && old != NULL && strcmp(old, lb_class) != 0)) {
			findings_add(warnings, "POL-SVC-IMMUTABLE", "spec.loadBalancerClass",
				     "loadBalancerClass is %s but %s asks for %s; it cannot change after create "
				     "(delete and recreate the Service, or fix the policy)",
				     have != NULL ? have : old, lb_src, lb_class);
		}
	}
	jwrite_reserve(&o.b, 512);
	/* metadata then spec, annotations then labels: key order, as a whole diff has */
	if (json_object_size(ann.m) + json_object_size(labels.m) > 0 && !json_is_object(md)) {
		json_t *m = json_object();

		if (m == NULL || (json_object_size(ann.m) > 0 && json_object_set(m, "annotations", ann.m) != 0) ||
		    (json_object_size(labels.m) > 0 && json_object_set(m, "labels", labels.m) != 0))
			rc = ERR_NOMEM;
		else
			rc = ptext_diff(&o, "/metadata", md, m, err);
		json_decref(m);
	} else if ((rc = diff_map(&o, "/metadata/annotations", have_ann, &ann, err)) == 0) {
		rc = diff_map(&o, "/metadata/labels", have_labels, &labels, err);
	}
	if (rc == 0 && spec != NULL) {
		struct wmap sm = { spec, NULL, NULL, true };

		rc = diff_map(&o, "/spec", sp, &sm, err);
	}
	if (rc == 0 && lb_direct) {
		/* the memo's operation, unless a Kyverno rule chose another class */
		if (have_lb == NULL && lb_add != NULL && lb_class_v == want_slot(gwant, WANT_LB_CLASS))
			ptext_raw(&o, lb_add);
		else
			rc = diff_member(&o, "/spec/loadBalancerClass", have_lb, lb_class_v, err);
	}
	if (o.nops > 0)
		jwrite_lit(&o.b, "]");
	if (rc == 0 && o.nops > 0 && (*ret_text = jwrite_finish(&o.b, ret_len)) == NULL)
		rc = ERR_NOMEM;
	else if (*ret_text == NULL)
		free(jwrite_finish(&o.b, NULL));
out:
	wmap_release(&ann);
	wmap_release(&labels);
	json_decref(gwant);
	json_decref(spec);
	if (rc == ERR_NOMEM)
		err_set(err, ERR_NOMEM, "policy: out of memory");
	return rc;
}

int policy_service_patch_gw(const struct policy_set *s, const struct view *v, const json_t *svc,
			    const json_t *old_svc, const json_t *owner, json_t **ret_patch,
			    struct findings *warnings, struct err *err)
{
	char *text;
	size_t len;
	int rc = policy_service_patch_text(s, v, svc, old_svc, owner, NULL, &text, &len, warnings, err);

	*ret_patch = NULL;
	if (rc != 0)
		return rc;
	*ret_patch = text != NULL ? jparse(text, len, JPATCH_MAX_DEPTH + 8, err) : json_array();
	free(text);
	if (*ret_patch == NULL)
		return err->code != 0 ? err->code : err_set(err, ERR_NOMEM, "policy: out of memory");
	return 0;
}

int policy_service_patch(const struct policy_set *s, const struct view *v, const json_t *svc,
			 const json_t *old_svc, json_t **ret_patch, struct findings *warnings,
			 struct err *err)
{
	return policy_service_patch_gw(s, v, svc, old_svc, NULL, ret_patch, warnings, err);
}
