/*
 * policy: building a policy set from documents (see policy.h and policies/README.md).
 *
 * Every document is validated completely before anything of it is kept, and every
 * field is either understood or refused by name: a policy that silently did less than
 * its author wrote is worse than one that does not load. Kyverno documents are
 * translated rule by rule into POLICY_KYVERNO rules; the features gatewarden does not
 * implement (context, preconditions, foreach, JSON patches, anchors, variables, ...)
 * are refused with the field that uses them.
 */
#include "policy_int.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "jcopy.h"
#include "jv.h"
#include "labels.h"

static bool ns_selected(const json_t *sel, const struct view *v, const char *ns)
{
	return labels_selector_matches(sel, view_namespace_labels(v, ns));
}

/* ---- helpers shared by the policy modules ---- */

const char *policy_obj_ns(const json_t *obj)
{
	const char *ns = jv_str(jv_obj(obj, "metadata"), "namespace");

	return ns != NULL && ns[0] != '\0' ? ns : "default";
}

bool policy_glob(const char *pat, const char *s)
{
	const char *star = NULL, *back = NULL;

	while (*s) {
		if (*pat == '*') {
			star = pat++;
			back = s;
		} else if (*pat == '?' || *pat == *s) {
			pat++;
			s++;
		} else if (star != NULL) {
			pat = star + 1;
			s = ++back;
		} else {
			return false;
		}
	}
	while (*pat == '*')
		pat++;
	return *pat == '\0';
}

static bool str_in(const json_t *arr, const char *s, bool glob)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v) {
		const char *p = json_string_value(v);

		if (p != NULL && (glob ? policy_glob(p, s) : strcmp(p, s) == 0))
			return true;
	}
	return false;
}

bool policy_entry_selects_ns(const json_t *entry, const struct view *v, const char *ns)
{
	const json_t *names = jv_arr(entry, "namespaces");
	const json_t *sel = jv_obj(entry, "namespaceSelector");

	if (names != NULL && str_in(names, ns, false))
		return true;
	if (sel != NULL && ns_selected(sel, v, ns))
		return true;
	return false;
}

bool policy_select_gateway(const struct policy_select *sel, const struct view *v, const json_t *gw)
{
	const json_t *md = jv_obj(gw, "metadata");
	const char *ns = policy_obj_ns(gw);
	const char *cls = jv_str(jv_obj(gw, "spec"), "gatewayClassName");

	if (sel->classes != NULL && (cls == NULL || !str_in(sel->classes, cls, false)))
		return false;
	if (sel->namespaces != NULL && !str_in(sel->namespaces, ns, false))
		return false;
	if (sel->ns_selector != NULL && !ns_selected(sel->ns_selector, v, ns))
		return false;
	if (sel->selector != NULL && !labels_selector_matches(sel->selector, jv_obj(md, "labels")))
		return false;
	if (sel->annotations != NULL) {
		const json_t *ann = jv_obj(md, "annotations");
		const char *k;
		json_t *want;

		json_object_foreach((json_t *)sel->annotations, k, want) {
			const char *have = jv_str(ann, k);

			if (have == NULL || strcmp(have, json_string_value(want)) != 0)
				return false;
		}
	}
	return true;
}

/* ---- set lifecycle ---- */

/* every set and every change of one takes the next number */
static _Atomic uint64_t last_generation;

static uint64_t next_generation(void)
{
	return atomic_fetch_add(&last_generation, 1) + 1;
}

struct policy_set *policy_set_new(void)
{
	struct policy_set *s = calloc(1, sizeof(struct policy_set));

	if (s != NULL)
		s->gen = next_generation();
	return s;
}

static void rule_release(struct policy_rule *r)
{
	free(r->source);
	json_decref(r->sel.classes);
	json_decref(r->sel.namespaces);
	json_decref(r->sel.ns_selector);
	json_decref(r->sel.selector);
	json_decref(r->sel.annotations);
	json_decref(r->annotations);
	json_decref(r->labels);
	free(r->lb_class);
	json_decref(r->entries);
	json_decref(r->match_any);
	json_decref(r->match_all);
	free(r->policy_ns);
	json_decref(r->psm);
}

void policy_set_free(struct policy_set *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		rule_release(&s->v[i]);
	free(s->v);
	free(s);
}

size_t policy_set_count(const struct policy_set *s)
{
	return s != NULL ? s->ndocs : 0;
}

uint64_t policy_set_generation(const struct policy_set *s)
{
	return s != NULL ? s->gen : 0;
}

/* ---- validation helpers: every failure names source, the policy and the field ---- */

struct ld {
	const char *source;
	const char *kind;
	const char *name;
	struct err *err;
};

static int bad(const struct ld *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(const struct ld *l, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(l->err, ERR_INVALID, "%s: %s %s: %s", l->source, l->kind, l->name, msg);
}

/* Only the keys listed (NULL-terminated) may appear in obj. */
static int only_keys(const struct ld *l, const json_t *obj, const char *where,
		     const char *const *allowed, const char *why)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)obj, k, v) {
		size_t i;

		(void)v;
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(allowed[i], k) == 0)
				break;
		if (allowed[i] == NULL)
			return bad(l, "%s.%s is not supported%s", where, k, why);
	}
	return 0;
}

static int want_str_array(const struct ld *l, const json_t *v, const char *where)
{
	size_t i;
	json_t *x;

	if (!json_is_array(v))
		return bad(l, "%s must be a list of strings", where);
	json_array_foreach(v, i, x)
		if (!json_is_string(x))
			return bad(l, "%s[%zu] must be a string", where, i);
	return 0;
}

static int want_str_map(const struct ld *l, const json_t *v, const char *where)
{
	const char *k;
	json_t *x;

	if (!json_is_object(v))
		return bad(l, "%s must be a map of strings", where);
	json_object_foreach((json_t *)v, k, x) {
		if (!json_is_string(x))
			return bad(l, "%s.%s must be a string (quote it in YAML)", where, k);
		if (strstr(json_string_value(x), "{{") != NULL)
			return bad(l, "%s.%s uses a Kyverno variable ({{ }}), which is not supported", where, k);
	}
	return 0;
}

static int want_selector(const struct ld *l, const json_t *v, const char *where)
{
	static const char *const keys[] = { "matchLabels", "matchExpressions", NULL };
	const json_t *ml, *me;
	size_t i;
	json_t *e;

	if (!json_is_object(v))
		return bad(l, "%s must be a label selector", where);
	if (only_keys(l, v, where, keys, "") != 0)
		return ERR_INVALID;
	ml = json_object_get(v, "matchLabels");
	me = json_object_get(v, "matchExpressions");
	if (ml != NULL && want_str_map(l, ml, where) != 0)
		return ERR_INVALID;
	if (me != NULL && !json_is_array(me))
		return bad(l, "%s.matchExpressions must be a list", where);
	json_array_foreach(me, i, e) {
		const char *op = jv_str(e, "operator");

		if (jv_str(e, "key") == NULL || op == NULL ||
		    (strcmp(op, "In") != 0 && strcmp(op, "NotIn") != 0 && strcmp(op, "Exists") != 0 &&
		     strcmp(op, "DoesNotExist") != 0))
			return bad(l, "%s.matchExpressions[%zu] needs key and an operator In, NotIn, Exists or DoesNotExist", where, i);
		if (jv_get(e, "values") != NULL && want_str_array(l, jv_get(e, "values"), where) != 0)
			return ERR_INVALID;
	}
	return 0;
}

static json_t *copy(const json_t *v)
{
	return v != NULL ? jcopy(v) : NULL;
}

static char *dupstr(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static int push_rule(struct policy_set *s, struct policy_rule *r, struct err *err)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		struct policy_rule *n = realloc(s->v, cap * sizeof(*n));

		if (n == NULL) {
			rule_release(r);
			return err_set(err, ERR_NOMEM, "policy: out of memory");
		}
		s->v = n;
		s->cap = cap;
	}
	s->v[s->n++] = *r;
	return 0;
}

static int make_source(struct policy_rule *r, const struct ld *l, const char *rule, struct err *err)
{
	char buf[512];

	if (rule != NULL)
		snprintf(buf, sizeof(buf), "%s: %s %s rule %s", l->source, l->kind, l->name, rule);
	else
		snprintf(buf, sizeof(buf), "%s: %s %s", l->source, l->kind, l->name);
	r->source = strdup(buf);
	return r->source != NULL ? 0 : err_set(err, ERR_NOMEM, "policy: out of memory");
}

/* ---- native kinds ---- */

static int load_select(const struct ld *l, const json_t *g, struct policy_select *sel)
{
	static const char *const keys[] = { "gatewayClassNames", "namespaces", "namespaceSelector",
					    "selector", "annotations", NULL };

	memset(sel, 0, sizeof(*sel));
	if (g == NULL)
		return 0;
	if (!json_is_object(g))
		return bad(l, "spec.gateways must be a map");
	if (only_keys(l, g, "spec.gateways", keys, "") != 0)
		return ERR_INVALID;
	if ((jv_get(g, "gatewayClassNames") && want_str_array(l, jv_get(g, "gatewayClassNames"), "spec.gateways.gatewayClassNames")) ||
	    (jv_get(g, "namespaces") && want_str_array(l, jv_get(g, "namespaces"), "spec.gateways.namespaces")) ||
	    (jv_get(g, "namespaceSelector") && want_selector(l, jv_get(g, "namespaceSelector"), "spec.gateways.namespaceSelector")) ||
	    (jv_get(g, "selector") && want_selector(l, jv_get(g, "selector"), "spec.gateways.selector")) ||
	    (jv_get(g, "annotations") && want_str_map(l, jv_get(g, "annotations"), "spec.gateways.annotations")))
		return ERR_INVALID;
	sel->classes = copy(jv_get(g, "gatewayClassNames"));
	sel->namespaces = copy(jv_get(g, "namespaces"));
	sel->ns_selector = copy(jv_get(g, "namespaceSelector"));
	sel->selector = copy(jv_get(g, "selector"));
	sel->annotations = copy(jv_get(g, "annotations"));
	return 0;
}

static int want_bool(const struct ld *l, const json_t *v, const char *where, bool *ret)
{
	if (v == NULL)
		return 0;
	if (!json_is_boolean(v))
		return bad(l, "%s must be true or false", where);
	*ret = json_is_true(v);
	return 0;
}

static int load_service(struct policy_set *s, const struct ld *l, const json_t *spec)
{
	static const char *const skeys[] = { "gateways", "service", NULL };
	static const char *const vkeys[] = { "annotations", "labels", "loadBalancerClass",
					     "externalDNSHostname", NULL };
	const json_t *svc = jv_get(spec, "service");
	struct policy_rule r;

	memset(&r, 0, sizeof(r));
	r.kind = POLICY_SERVICE;
	if (only_keys(l, spec, "spec", skeys, "") != 0)
		return ERR_INVALID;
	if (!json_is_object(svc))
		return bad(l, "spec.service is required (a map)");
	if (only_keys(l, svc, "spec.service", vkeys, "") != 0 ||
	    (jv_get(svc, "annotations") && want_str_map(l, jv_get(svc, "annotations"), "spec.service.annotations")) ||
	    (jv_get(svc, "labels") && want_str_map(l, jv_get(svc, "labels"), "spec.service.labels")) ||
	    want_bool(l, jv_get(svc, "externalDNSHostname"), "spec.service.externalDNSHostname", &r.external_dns))
		return ERR_INVALID;
	if (jv_get(svc, "loadBalancerClass") != NULL && jv_str(svc, "loadBalancerClass") == NULL)
		return bad(l, "spec.service.loadBalancerClass must be a string");
	if (load_select(l, jv_get(spec, "gateways"), &r.sel) != 0)
		return ERR_INVALID;
	r.annotations = copy(jv_get(svc, "annotations"));
	r.labels = copy(jv_get(svc, "labels"));
	r.lb_class = dupstr(jv_str(svc, "loadBalancerClass"));
	if (make_source(&r, l, NULL, l->err) != 0) {
		rule_release(&r);
		return ERR_NOMEM;
	}
	return push_rule(s, &r, l->err);
}

static int load_defaults(struct policy_set *s, const struct ld *l, const json_t *spec)
{
	static const char *const skeys[] = { "gateways", "httpsListenersOnly", "annotations", NULL };
	struct policy_rule r;

	memset(&r, 0, sizeof(r));
	r.kind = POLICY_GWDEFAULTS;
	if (only_keys(l, spec, "spec", skeys, "") != 0 ||
	    want_bool(l, jv_get(spec, "httpsListenersOnly"), "spec.httpsListenersOnly", &r.https_only))
		return ERR_INVALID;
	if (jv_get(spec, "annotations") == NULL)
		return bad(l, "spec.annotations is required");
	if (want_str_map(l, jv_get(spec, "annotations"), "spec.annotations") != 0 ||
	    load_select(l, jv_get(spec, "gateways"), &r.sel) != 0)
		return ERR_INVALID;
	r.annotations = copy(jv_get(spec, "annotations"));
	if (make_source(&r, l, NULL, l->err) != 0) {
		rule_release(&r);
		return ERR_NOMEM;
	}
	return push_rule(s, &r, l->err);
}

/* entries of HostnameOwnership (owners) and InfrastructureAnnotations (rules) */
static int load_entries(struct policy_set *s, const struct ld *l, const json_t *spec,
			enum policy_kind kind)
{
	static const char *const hkeys[] = { "owners", "exclusive", NULL };
	static const char *const ikeys[] = { "rules", NULL };
	static const char *const hekeys[] = { "name", "namespaces", "namespaceSelector", "hostnames", NULL };
	static const char *const iekeys[] = { "namespaces", "namespaceSelector", "allowedKeys", NULL };
	const char *list = kind == POLICY_HOSTNAMES ? "owners" : "rules";
	const char *vals = kind == POLICY_HOSTNAMES ? "hostnames" : "allowedKeys";
	const json_t *arr = jv_get(spec, list);
	struct policy_rule r;
	char where[64];
	size_t i;
	json_t *e;

	memset(&r, 0, sizeof(r));
	r.kind = kind;
	if (only_keys(l, spec, "spec", kind == POLICY_HOSTNAMES ? hkeys : ikeys, "") != 0 ||
	    want_bool(l, jv_get(spec, "exclusive"), "spec.exclusive", &r.exclusive))
		return ERR_INVALID;
	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return bad(l, "spec.%s is required (a non-empty list)", list);
	json_array_foreach(arr, i, e) {
		snprintf(where, sizeof(where), "spec.%s[%zu]", list, i);
		if (!json_is_object(e))
			return bad(l, "%s must be a map", where);
		if (only_keys(l, e, where, kind == POLICY_HOSTNAMES ? hekeys : iekeys, "") != 0)
			return ERR_INVALID;
		if (jv_get(e, "namespaces") == NULL && jv_get(e, "namespaceSelector") == NULL)
			return bad(l, "%s needs namespaces or namespaceSelector", where);
		if ((jv_get(e, "namespaces") && want_str_array(l, jv_get(e, "namespaces"), where)) ||
		    (jv_get(e, "namespaceSelector") && want_selector(l, jv_get(e, "namespaceSelector"), where)))
			return ERR_INVALID;
		if (jv_get(e, "name") != NULL && jv_str(e, "name") == NULL)
			return bad(l, "%s.name must be a string", where);
		if (jv_get(e, vals) == NULL)
			return bad(l, "%s.%s is required", where, vals);
		if (want_str_array(l, jv_get(e, vals), where) != 0)
			return ERR_INVALID;
	}
	r.entries = copy(arr);
	if (make_source(&r, l, NULL, l->err) != 0) {
		rule_release(&r);
		return ERR_NOMEM;
	}
	return push_rule(s, &r, l->err);
}

/* ---- Kyverno ---- */

/* The Service fields a patchStrategicMerge may set; anything else is refused so that
 * no immutable field (clusterIP, ipFamilies, ...) is ever written by an import. */
static int kyv_check_psm(const struct ld *l, const json_t *psm, const char *where)
{
	static const char *const top[] = { "metadata", "spec", NULL };
	static const char *const md[] = { "annotations", "labels", NULL };
	static const char *const sp[] = { "loadBalancerClass", "externalTrafficPolicy",
					  "internalTrafficPolicy", "loadBalancerSourceRanges",
					  "allocateLoadBalancerNodePorts", NULL };
	const json_t *m = jv_get(psm, "metadata"), *sv = jv_get(psm, "spec");
	char w[256];
	const char *k;
	json_t *x;

	if (!json_is_object(psm))
		return bad(l, "%s must be a map", where);
	/* anchors first: they are the likeliest unsupported feature */
	json_object_foreach((json_t *)psm, k, x) {
		(void)x;
		if (strchr(k, '(') != NULL)
			return bad(l, "%s: the anchor %s is not supported", where, k);
	}
	if (only_keys(l, psm, where, top, " (only metadata.annotations, metadata.labels and spec fields of a Service)") != 0)
		return ERR_INVALID;
	if (m != NULL) {
		snprintf(w, sizeof(w), "%s.metadata", where);
		if (!json_is_object(m))
			return bad(l, "%s must be a map", w);
		json_object_foreach((json_t *)m, k, x) {
			(void)x;
			if (strchr(k, '(') != NULL)
				return bad(l, "%s: the anchor %s is not supported", w, k);
		}
		if (only_keys(l, m, w, md, " (only annotations and labels)") != 0)
			return ERR_INVALID;
		for (int q = 0; q < 2; q++) {
			const json_t *mm = jv_obj(m, q ? "labels" : "annotations");

			json_object_foreach((json_t *)mm, k, x) {
				(void)x;
				if (strchr(k, '(') != NULL)
					return bad(l, "%s.%s: the anchor %s is not supported", w, q ? "labels" : "annotations", k);
			}
		}
		snprintf(w, sizeof(w), "%s.metadata.annotations", where);
		if (jv_get(m, "annotations") && want_str_map(l, jv_get(m, "annotations"), w) != 0)
			return ERR_INVALID;
		snprintf(w, sizeof(w), "%s.metadata.labels", where);
		if (jv_get(m, "labels") && want_str_map(l, jv_get(m, "labels"), w) != 0)
			return ERR_INVALID;
		if (json_object_get(m, "annotations") != NULL && !json_is_object(json_object_get(m, "annotations")))
			return bad(l, "%s.metadata.annotations must be a map", where);
	}
	if (sv != NULL) {
		snprintf(w, sizeof(w), "%s.spec", where);
		if (!json_is_object(sv))
			return bad(l, "%s must be a map", w);
		json_object_foreach((json_t *)sv, k, x) {
			(void)x;
			if (strchr(k, '(') != NULL)
				return bad(l, "%s: the anchor %s is not supported", w, k);
		}
		if (only_keys(l, sv, w, sp, " (other Service spec fields are immutable or not handled)") != 0)
			return ERR_INVALID;
		if (jv_get(sv, "loadBalancerClass") && jv_str(sv, "loadBalancerClass") == NULL)
			return bad(l, "%s.loadBalancerClass must be a string", w);
		json_object_foreach((json_t *)sv, k, x)
			if (json_is_string(x) && strstr(json_string_value(x), "{{") != NULL)
				return bad(l, "%s.%s uses a Kyverno variable ({{ }}), which is not supported", w, k);
	}
	return 0;
}

static int kyv_check_filter(const struct ld *l, const json_t *f, const char *where)
{
	static const char *const fkeys[] = { "resources", NULL };
	static const char *const rkeys[] = { "kinds", "names", "name", "namespaces", "selector",
					     "namespaceSelector", "operations", NULL };
	const json_t *res = jv_get(f, "resources");
	char w[256];
	size_t i;
	json_t *k;

	if (!json_is_object(f))
		return bad(l, "%s must be a map", where);
	if (only_keys(l, f, where, fkeys, " (only resources filters: subjects, roles and clusterRoles are not)") != 0)
		return ERR_INVALID;
	snprintf(w, sizeof(w), "%s.resources", where);
	if (!json_is_object(res))
		return bad(l, "%s is required (a map)", w);
	if (only_keys(l, res, w, rkeys, "") != 0)
		return ERR_INVALID;
	if (jv_get(res, "kinds") == NULL)
		return bad(l, "%s.kinds is required", w);
	if (want_str_array(l, jv_get(res, "kinds"), w) != 0)
		return ERR_INVALID;
	json_array_foreach(jv_get(res, "kinds"), i, k) {
		const char *s = json_string_value(k);

		if (strcmp(s, "Service") != 0 && strcmp(s, "v1/Service") != 0)
			return bad(l, "%s.kinds: %s is not supported (only Service)", w, s);
	}
	if ((jv_get(res, "names") && want_str_array(l, jv_get(res, "names"), w)) ||
	    (jv_get(res, "namespaces") && want_str_array(l, jv_get(res, "namespaces"), w)) ||
	    (jv_get(res, "operations") && want_str_array(l, jv_get(res, "operations"), w)) ||
	    (jv_get(res, "selector") && want_selector(l, jv_get(res, "selector"), w)) ||
	    (jv_get(res, "namespaceSelector") && want_selector(l, jv_get(res, "namespaceSelector"), w)))
		return ERR_INVALID;
	if (jv_get(res, "name") != NULL && jv_str(res, "name") == NULL)
		return bad(l, "%s.name must be a string", w);
	json_array_foreach(jv_get(res, "operations"), i, k) {
		const char *s = json_string_value(k);

		if (strcmp(s, "CREATE") != 0 && strcmp(s, "UPDATE") != 0)
			return bad(l, "%s.operations: %s is not supported (CREATE and UPDATE)", w, s);
	}
	return 0;
}

static int load_kyverno(struct policy_set *s, const struct ld *l, const json_t *doc, bool namespaced)
{
	static const char *const skeys[] = { "rules", "validationFailureAction", "background",
					     "failurePolicy", "webhookTimeoutSeconds", "admission",
					     "applyRules", "schemaValidation", "emitWarning",
					     "useServerSideApply", NULL };
	static const char *const rkeys[] = { "name", "match", "mutate", "skipBackgroundRequests", NULL };
	static const char *const mkeys[] = { "any", "all", NULL };
	static const char *const mukeys[] = { "patchStrategicMerge", NULL };
	const json_t *spec = jv_get(doc, "spec"), *rules, *rule;
	const char *apply = NULL;
	size_t i, first = s->n;
	char where[160];

	if (!json_is_object(spec))
		return bad(l, "spec is required (a map)");
	if (only_keys(l, spec, "spec", skeys, " by gatewarden's Kyverno import") != 0)
		return ERR_INVALID;
	if (jv_get(spec, "admission") != NULL && !json_is_true(jv_get(spec, "admission")))
		return bad(l, "spec.admission: false is not supported (the policy would never run at admission)");
	if (jv_get(spec, "applyRules") != NULL) {
		apply = jv_str(spec, "applyRules");
		if (apply == NULL || (strcmp(apply, "One") != 0 && strcmp(apply, "All") != 0))
			return bad(l, "spec.applyRules must be One or All");
	}
	if (namespaced && jv_str(jv_obj(doc, "metadata"), "namespace") == NULL)
		return bad(l, "a namespaced Policy needs metadata.namespace");
	rules = jv_get(spec, "rules");
	if (!json_is_array(rules) || json_array_size(rules) == 0)
		return bad(l, "spec.rules is required (a non-empty list)");
	json_array_foreach(rules, i, rule) {
		const char *rname = jv_str(rule, "name");
		const json_t *match = jv_get(rule, "match"), *mut = jv_get(rule, "mutate");
		struct policy_rule r;

		snprintf(where, sizeof(where), "spec.rules[%zu]", i);
		if (!json_is_object(rule))
			return bad(l, "%s must be a map", where);
		if (only_keys(l, rule, where, rkeys, " by gatewarden's Kyverno import (only match and mutate.patchStrategicMerge)") != 0)
			return ERR_INVALID;
		if (rname == NULL)
			return bad(l, "%s.name is required", where);
		if (!json_is_object(match))
			return bad(l, "%s.match is required", where);
		snprintf(where, sizeof(where), "spec.rules[%zu].match", i);
		if (only_keys(l, match, where, mkeys, " (use match.any or match.all with resources)") != 0)
			return ERR_INVALID;
		if ((jv_get(match, "any") == NULL) == (jv_get(match, "all") == NULL))
			return bad(l, "%s needs exactly one of any and all", where);
		{
			const char *which = jv_get(match, "any") != NULL ? "any" : "all";
			const json_t *arr = jv_get(match, which);
			size_t j;
			json_t *f;
			char fw[192];

			if (!json_is_array(arr) || json_array_size(arr) == 0)
				return bad(l, "%s.%s must be a non-empty list", where, which);
			json_array_foreach(arr, j, f) {
				snprintf(fw, sizeof(fw), "%s.%s[%zu]", where, which, j);
				if (kyv_check_filter(l, f, fw) != 0)
					return ERR_INVALID;
			}
		}
		snprintf(where, sizeof(where), "spec.rules[%zu].mutate", i);
		if (!json_is_object(mut))
			return bad(l, "spec.rules[%zu]: only mutate rules are supported (validate, generate and verifyImages are not)", i);
		if (only_keys(l, mut, where, mukeys, " (only patchStrategicMerge)") != 0)
			return ERR_INVALID;
		snprintf(where, sizeof(where), "spec.rules[%zu].mutate.patchStrategicMerge", i);
		if (jv_get(mut, "patchStrategicMerge") == NULL)
			return bad(l, "%s is required", where);
		if (kyv_check_psm(l, jv_get(mut, "patchStrategicMerge"), where) != 0)
			return ERR_INVALID;
		memset(&r, 0, sizeof(r));
		r.kind = POLICY_KYVERNO;
		r.match_any = copy(jv_get(match, "any"));
		r.match_all = copy(jv_get(match, "all"));
		r.psm = copy(jv_get(mut, "patchStrategicMerge"));
		r.policy_ns = namespaced ? dupstr(jv_str(jv_obj(doc, "metadata"), "namespace")) : NULL;
		r.apply_one = apply != NULL && strcmp(apply, "One") == 0;
		r.policy_id = s->ndocs;
		if (r.psm == NULL || (namespaced && r.policy_ns == NULL) || make_source(&r, l, rname, l->err) != 0) {
			rule_release(&r);
			goto nomem;
		}
		if (push_rule(s, &r, l->err) != 0)
			goto nomem; /* push_rule released r */
	}
	return 0;
nomem:
	while (s->n > first)
		rule_release(&s->v[--s->n]);
	return err_set(l->err, ERR_NOMEM, "policy: out of memory");
}

/* ---- entry point ---- */

int policy_set_add(struct policy_set *s, const json_t *doc, const char *source, struct err *err)
{
	const char *av = jv_str(doc, "apiVersion"), *kind = jv_str(doc, "kind");
	const char *name = jv_str(jv_obj(doc, "metadata"), "name");
	struct ld l = { source != NULL ? source : "<policy>", kind != NULL ? kind : "document",
			name != NULL ? name : "(unnamed)", err };
	size_t before = s->n;
	int rc;

	s->gen = next_generation();
	if (!json_is_object(doc))
		return err_set(err, ERR_INVALID, "%s: a policy document must be a map", l.source);
	if (av == NULL || kind == NULL)
		return err_set(err, ERR_INVALID, "%s: a policy document needs apiVersion and kind", l.source);
	if (name == NULL)
		return bad(&l, "metadata.name is required");
	if (strncmp(av, "kyverno.io/", 11) == 0) {
		if (strcmp(kind, "ClusterPolicy") == 0)
			rc = load_kyverno(s, &l, doc, false);
		else if (strcmp(kind, "Policy") == 0)
			rc = load_kyverno(s, &l, doc, true);
		else
			return bad(&l, "Kyverno kind %s is not supported (ClusterPolicy and Policy with mutate.patchStrategicMerge are)", kind);
	} else if (strcmp(av, POLICY_API_VERSION) == 0) {
		const json_t *spec = jv_get(doc, "spec");

		if (!json_is_object(spec))
			return bad(&l, "spec is required (a map)");
		if (strcmp(kind, "ServicePolicy") == 0)
			rc = load_service(s, &l, spec);
		else if (strcmp(kind, "GatewayDefaults") == 0)
			rc = load_defaults(s, &l, spec);
		else if (strcmp(kind, "HostnameOwnership") == 0)
			rc = load_entries(s, &l, spec, POLICY_HOSTNAMES);
		else if (strcmp(kind, "InfrastructureAnnotations") == 0)
			rc = load_entries(s, &l, spec, POLICY_INFRA);
		else
			return bad(&l, "unknown kind (ServicePolicy, GatewayDefaults, HostnameOwnership, InfrastructureAnnotations)");
	} else {
		return err_set(err, ERR_INVALID, "%s: %s %s is not a policy (apiVersion %s or kyverno.io/v1)",
			       l.source, kind, l.name, POLICY_API_VERSION);
	}
	if (rc != 0) {
		/* a failure after an allocation (select copies) may leave nothing half-added */
		while (s->n > before)
			rule_release(&s->v[--s->n]);
		if (rc == ERR_NOMEM)
			err_set(err, ERR_NOMEM, "policy: out of memory");
		return rc;
	}
	s->ndocs++;
	return 0;
}
