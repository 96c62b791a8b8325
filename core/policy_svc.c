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
#include "jpatch.h"
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

bool policy_service_owner(const json_t *svc, char *ns, size_t nscap, char *name, size_t namecap)
{
	const json_t *lab = jv_obj(jv_obj(svc, "metadata"), "labels");
	const char *svcns = policy_obj_ns(svc);
	static const char *const same_ns[] = { "io.cilium.gateway/owning-gateway",
					       "projectcontour.io/owning-gateway-name",
					       "gateway.networking.k8s.io/gateway-name", NULL };
	const char *egn = jv_str(lab, "gateway.envoyproxy.io/owning-gateway-name");
	const char *egns = jv_str(lab, "gateway.envoyproxy.io/owning-gateway-namespace");

	if (egn != NULL && egns != NULL)
		return copy_str(ns, nscap, egns) && copy_str(name, namecap, egn);
	for (size_t i = 0; same_ns[i] != NULL; i++) {
		const char *n = jv_str(lab, same_ns[i]);

		if (n != NULL)
			return copy_str(ns, nscap, svcns) && copy_str(name, namecap, n);
	}
	return false;
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
	refs = jv_arr(spec, "parentRefs") != NULL ? json_deep_copy(jv_arr(spec, "parentRefs")) : NULL;
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
	labels = jv_obj(infra, "labels") != NULL ? json_deep_copy(jv_obj(infra, "labels")) : json_object();
	ann = jv_obj(infra, "annotations") != NULL ? json_deep_copy(jv_obj(infra, "annotations")) : json_object();
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

struct want {
	json_t *ann;          /* object, owned */
	json_t *labels;       /* object, owned */
	json_t *spec;         /* object of spec fields, owned */
	const char *lb_class; /* borrowed from the set */
	const char *lb_src;   /* policy that set it */
};

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

int policy_service_patch(const struct policy_set *s, const struct view *v, const json_t *svc,
			 const json_t *old_svc, json_t **ret_patch, struct findings *warnings,
			 struct err *err)
{
	return policy_service_patch_gw(s, v, svc, old_svc, NULL, NULL, ret_patch, warnings, err);
}

int policy_service_patch_memo(const struct policy_set *s, const struct view *v, const json_t *svc,
			      const json_t *old_svc, const struct policy_memo *memo, json_t **ret_patch,
			      struct findings *warnings, struct err *err)
{
	return policy_service_patch_gw(s, v, svc, old_svc, NULL, memo, ret_patch, warnings, err);
}

/* The joined external-dns hostnames of gw (JSON null when none), through the memo when
 * there is one and the view has a generation (never for a Gateway being admitted: the
 * view does not hold that one). A new reference, or NULL with rc set. */
static json_t *gateway_hosts_value(const struct view *v, const json_t *gw, bool from_view,
				   const struct policy_memo *memo, int *rc, struct err *err)
{
	uint64_t gen = from_view && memo != NULL ? view_generation(v) : 0;
	const char *ns = policy_obj_ns(gw), *name = jv_str(jv_obj(gw, "metadata"), "name");
	json_t *hosts, *val = NULL;

	if (gen != 0 && name != NULL && (val = memo->get(memo->ud, ns, name, gen)) != NULL)
		return val;
	if ((*rc = policy_gateway_hostnames(v, gw, &hosts, err)) != 0)
		return NULL;
	if (json_array_size(hosts) > 0)
		*rc = join_hosts(hosts, &val);
	else if ((val = json_null()) == NULL)
		*rc = ERR_NOMEM;
	json_decref(hosts);
	if (*rc != 0)
		return NULL;
	if (gen != 0 && name != NULL)
		memo->put(memo->ud, ns, name, gen, val);
	return val;
}

/*
 * The operations for one map policy writes (metadata.annotations, metadata.labels or
 * spec): for each wanted member in key order, nothing when the Service has it equal,
 * its diff when it differs, an add when it is missing; the whole map as one add (or
 * replace) when the Service has no such map. These are the operations jpatch_diff
 * gives for "the Service with the wants merged in" against the Service, without
 * copying the Service: members policy does not name are never visited.
 */
static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int diff_map(json_t *patch, const char *path, const json_t *have, const json_t *want, struct err *err)
{
	const char *small[16], **keys, *k;
	size_t n = json_object_size(want), i = 0, len = strlen(path);
	char ptr[1024];
	json_t *x;
	int rc = 0;

	if (n == 0)
		return 0;
	if (!json_is_object(have)) {
		if (have == NULL)
			return jpatch_diff_at(path, NULL, want, patch, err);
		return jpatch_diff_at(path, have, want, patch, err); /* not an object: replaced */
	}
	keys = n <= 16 ? small : malloc(n * sizeof(*keys));
	if (keys == NULL)
		return ERR_NOMEM;
	json_object_foreach((json_t *)want, k, x)
		keys[i++] = k;
	qsort(keys, n, sizeof(*keys), cmp_cstr);
	memcpy(ptr, path, len + 1);
	for (i = 0; rc == 0 && i < n; i++) {
		if (jpatch_pointer_append(ptr, len, sizeof(ptr), keys[i]) == (size_t)-1) {
			rc = err_set(err, ERR_LIMIT, "policy: key %.64s... is too long for a patch path", keys[i]);
			break;
		}
		rc = jpatch_diff_at(ptr, json_object_get(have, keys[i]), json_object_get(want, keys[i]), patch, err);
	}
	if (keys != small)
		free(keys);
	return rc;
}

int policy_service_patch_gw(const struct policy_set *s, const struct view *v, const json_t *svc,
			    const json_t *old_svc, const json_t *owner, const struct policy_memo *memo,
			    json_t **ret_patch, struct findings *warnings, struct err *err)
{
	struct want w = { json_object(), json_object(), json_object(), NULL, NULL };
	char gwns[256], gwname[256];
	const json_t *gw = NULL;
	bool owned, external_dns = false, create = old_svc == NULL, any_gw_rule = false;
	size_t last_one_policy = (size_t)-1;
	int rc = 0;

	*ret_patch = NULL;
	if (w.ann == NULL || w.labels == NULL || w.spec == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	if (!json_is_object(svc)) {
		rc = err_set(err, ERR_INVALID, "policy: the Service is not an object");
		goto out;
	}
	owned = policy_service_owner(svc, gwns, sizeof(gwns), gwname, sizeof(gwname));
	for (size_t i = 0; s != NULL && i < s->n; i++)
		if (s->v[i].kind == POLICY_SERVICE)
			any_gw_rule = true;
	if (owned && any_gw_rule) {
		gw = owner != NULL ? owner : view_get(v, KIND_GATEWAY, gwns, gwname);
		if (gw == NULL)
			findings_add(warnings, "POL-SVC-GATEWAY-MISSING", "metadata.labels",
				     "the owning Gateway %s/%s is not known yet: the Service is allowed unchanged by "
				     "Gateway policies (the reconciler fills it in later)", gwns, gwname);
	}
	if (gw != NULL) {
		const json_t *infra_ann = jv_obj(jv_obj(jv_obj(gw, "spec"), "infrastructure"), "annotations");

		for (size_t i = 0; i < s->n; i++) {
			const struct policy_rule *r = &s->v[i];

			if (r->kind != POLICY_SERVICE || !policy_select_gateway(&r->sel, v, gw))
				continue;
			if (merge_strs(w.ann, r->annotations) != 0 || merge_strs(w.labels, r->labels) != 0) {
				rc = ERR_NOMEM;
				goto out;
			}
			if (r->lb_class != NULL) {
				w.lb_class = r->lb_class;
				w.lb_src = r->source;
			}
			external_dns = external_dns || r->external_dns;
		}
		if (merge_strs(w.ann, infra_ann) != 0) {
			rc = ERR_NOMEM;
			goto out;
		}
		if (external_dns && jv_get(infra_ann, POLICY_ANN_EXTERNAL_DNS) == NULL) {
			json_t *val = gateway_hosts_value(v, gw, owner == NULL, memo, &rc, err);

			if (val == NULL)
				goto out;
			if (json_is_string(val) && json_object_set_new(w.ann, POLICY_ANN_EXTERNAL_DNS, val) != 0)
				rc = ERR_NOMEM;
			else if (!json_is_string(val))
				json_decref(val);
			if (rc != 0)
				goto out;
		}
	}
	for (size_t i = 0; s != NULL && i < s->n; i++) {
		const struct policy_rule *r = &s->v[i];
		const json_t *psm_md, *psm_spec;
		const char *k;
		json_t *x;

		if (r->kind != POLICY_KYVERNO || r->policy_id == last_one_policy || !kyverno_matches(r, v, svc, create))
			continue;
		if (r->apply_one)
			last_one_policy = r->policy_id;
		psm_md = jv_obj(r->psm, "metadata");
		psm_spec = jv_obj(r->psm, "spec");
		if (merge_strs(w.ann, jv_obj(psm_md, "annotations")) != 0 ||
		    merge_strs(w.labels, jv_obj(psm_md, "labels")) != 0) {
			rc = ERR_NOMEM;
			goto out;
		}
		json_object_foreach((json_t *)psm_spec, k, x) {
			if (strcmp(k, "loadBalancerClass") == 0) {
				w.lb_class = json_string_value(x);
				w.lb_src = r->source;
			} else if (json_object_set_new(w.spec, k, json_deep_copy(x)) != 0) {
				rc = ERR_NOMEM;
				goto out;
			}
		}
	}
	if (json_object_size(w.ann) == 0 && json_object_size(w.labels) == 0 && json_object_size(w.spec) == 0 &&
	    w.lb_class == NULL) {
		/* no policy applies: nothing to write */
		*ret_patch = json_array();
		rc = *ret_patch != NULL ? 0 : ERR_NOMEM;
		goto out;
	}
	if (w.lb_class != NULL) {
		const json_t *spec = jv_obj(svc, "spec");
		const char *type = jv_str(spec, "type");
		const char *have = jv_str(spec, "loadBalancerClass");
		const char *old = jv_str(jv_obj(old_svc, "spec"), "loadBalancerClass");

		if (create) {
			if (type != NULL && strcmp(type, "LoadBalancer") == 0 &&
			    json_object_set_new(w.spec, "loadBalancerClass", json_string(w.lb_class)) != 0) {
				rc = ERR_NOMEM;
				goto out;
			}
		} else if ((have != NULL && strcmp(have, w.lb_class) != 0) ||
			   (have == NULL && old != NULL && strcmp(old, w.lb_class) != 0)) {
			findings_add(warnings, "POL-SVC-IMMUTABLE", "spec.loadBalancerClass",
				     "loadBalancerClass is %s but %s asks for %s; it cannot change after create "
				     "(delete and recreate the Service, or fix the policy)",
				     have != NULL ? have : old, w.lb_src, w.lb_class);
		}
	}
	*ret_patch = json_array();
	if (*ret_patch == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	{
		/* metadata then spec, annotations then labels: key order, as a whole diff has */
		const json_t *md = json_object_get(svc, "metadata");

		if (json_object_size(w.ann) + json_object_size(w.labels) > 0 && !json_is_object(md)) {
			json_t *m = json_object();

			if (m == NULL || (json_object_size(w.ann) > 0 && json_object_set(m, "annotations", w.ann) != 0) ||
			    (json_object_size(w.labels) > 0 && json_object_set(m, "labels", w.labels) != 0)) {
				json_decref(m);
				rc = ERR_NOMEM;
				goto out;
			}
			rc = jpatch_diff_at("/metadata", md, m, *ret_patch, err);
			json_decref(m);
		} else if ((rc = diff_map(*ret_patch, "/metadata/annotations", jv_get(md, "annotations"), w.ann, err)) == 0) {
			rc = diff_map(*ret_patch, "/metadata/labels", jv_get(md, "labels"), w.labels, err);
		}
		if (rc == 0)
			rc = diff_map(*ret_patch, "/spec", jv_get(svc, "spec"), w.spec, err);
	}
	if (rc != 0) {
		json_decref(*ret_patch);
		*ret_patch = NULL;
	}
out:
	json_decref(w.ann);
	json_decref(w.labels);
	json_decref(w.spec);
	if (rc == ERR_NOMEM)
		err_set(err, ERR_NOMEM, "policy: out of memory");
	return rc;
}
