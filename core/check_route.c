/*
 * check_route: the CEL, old-webhook and WX rules that HTTPRoute and GRPCRoute share
 * (see route_int.h). CEL rules are reproduced with CEL's semantics, not the prose of the
 * spec: parentRef namespaces compare as written, an absent member makes has() false,
 * and messages are upstream's text, followed where useful by the offending value and
 * what to change. Pairwise checks are quadratic; the schema caps every list involved
 * (32 parentRefs, 16 headers), and longer lists, which the schema pass has already
 * reported, are still handled, only more slowly. WX-RULE-SHADOW is linear: it hashes
 * the canonical key (route_match_key, shared with XO-MATCH-CONFLICT) of each match
 * whose path value a match of another rule also has, the only ones that can shadow.
 */
#include "route_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "findings.h"
#include "hmap.h"
#include "hostname.h"
#include "jv.h"
#include "jwrite.h"
#include "path.h"
#include "pattern.h"
#include "regex.h"
#include "schema.h"

/* ---- parentRefs ---- */

/* CEL: (!has(ns) || ns == '') on both sides, or both set and equal */
static bool ns_written_equal(const json_t *a, const json_t *b)
{
	const char *na = jv_str(a, "namespace"), *nb = jv_str(b, "namespace");
	bool ua = na == NULL || na[0] == '\0', ub = nb == NULL || nb[0] == '\0';

	if (ua || ub)
		return ua && ub;
	return strcmp(na, nb) == 0;
}

/* the namespace a ref points into, unset read as the route's own (NULL if unknown) */
static const char *ns_effective(const json_t *ref, const char *route_ns)
{
	const char *ns = jv_str(ref, "namespace");

	return ns != NULL && ns[0] != '\0' ? ns : route_ns;
}

static bool section_unset(const json_t *ref)
{
	const char *s = jv_str(ref, "sectionName");

	return s == NULL || s[0] == '\0';
}

/* A ref the CEL rules can evaluate: group, kind, name are strings, namespace and
 * sectionName absent or strings. Anything else the schema pass reports. */
static bool ref_usable(const json_t *ref)
{
	return jv_str(ref, "group") && jv_str(ref, "kind") && jv_str(ref, "name") &&
	       (jv_get(ref, "namespace") == NULL || jv_str(ref, "namespace")) &&
	       (jv_get(ref, "sectionName") == NULL || jv_str(ref, "sectionName"));
}

static bool same_target(const json_t *a, const json_t *b)
{
	return strcmp(jv_str(a, "group"), jv_str(b, "group")) == 0 &&
	       strcmp(jv_str(a, "kind"), jv_str(b, "kind")) == 0 &&
	       strcmp(jv_str(a, "name"), jv_str(b, "name")) == 0;
}

/* 1: sectionName set on one and not on the other; 2: same (or no) sectionName; 0: fine */
static int section_conflict(const json_t *a, const json_t *b)
{
	bool ua = section_unset(a), ub = section_unset(b);

	if (ua != ub)
		return 1;
	if (ua || strcmp(jv_str(a, "sectionName"), jv_str(b, "sectionName")) == 0)
		return 2;
	return 0;
}

static void report_normalize(const json_t *ref, size_t i, size_t j, int conflict, const char *route_ns,
			     struct findings *fs)
{
	char field[64];

	snprintf(field, sizeof(field), "spec.parentRefs[%zu]", j);
	findings_add(fs, "WX-PREF-NS-NORMALIZE", field,
		     "parentRefs[%zu] and parentRefs[%zu] both refer to %s \"%s\" in namespace \"%s\" once the unset namespace is read as the route's own; %s",
		     i, j, jv_str(ref, "kind"), jv_str(ref, "name"), route_ns,
		     conflict == 1 ? "set sectionName on both, each to a different listener"
				   : "give them different sectionNames or remove one");
}

/* Checks ref j against the earlier refs; each rule reports at most once per j. */
static void check_parent_pair(const json_t *refs, size_t j, const char *route_ns, struct findings *fs)
{
	const json_t *b = json_array_get(refs, j);
	bool req = false, uniq = false, norm = false;

	for (size_t i = 0; i < j; i++) {
		const json_t *a = json_array_get(refs, i);
		int c;

		if (!ref_usable(a) || !same_target(a, b))
			continue;
		c = section_conflict(a, b);
		if (c == 0)
			continue;
		if (ns_written_equal(a, b)) {
			if (c == 1 && !req)
				findings_add(fs, "HR-PREF-SECTION-REQ", "spec.parentRefs",
					     "sectionName must be specified when parentRefs includes 2 or more references to the same parent (parentRefs[%zu] and parentRefs[%zu]: set sectionName on both)",
					     i, j);
			if (c == 2 && !uniq)
				findings_add(fs, "HR-PREF-SECTION-UNIQUE", "spec.parentRefs",
					     "sectionName must be unique when parentRefs includes 2 or more references to the same parent (parentRefs[%zu] and parentRefs[%zu]: use different sectionNames or remove one)",
					     i, j);
			req = req || c == 1;
			uniq = uniq || c == 2;
		} else if (!norm && route_ns != NULL && ns_effective(a, route_ns) != NULL &&
			   strcmp(ns_effective(a, route_ns), ns_effective(b, route_ns)) == 0) {
			report_normalize(b, i, j, c, route_ns, fs);
			norm = true;
		}
	}
}

void route_check_parent_refs(const json_t *obj, struct findings *fs)
{
	const json_t *refs = jv_arr(jv_obj(obj, "spec"), "parentRefs");
	const char *route_ns = jv_str(jv_obj(obj, "metadata"), "namespace");

	if (route_ns != NULL && route_ns[0] == '\0')
		route_ns = NULL;
	for (size_t j = 1; j < jv_size(refs); j++)
		if (ref_usable(json_array_get(refs, j)))
			check_parent_pair(refs, j, route_ns, fs);
}

/* ---- hostnames ---- */

void route_check_hostname(const char *host, const struct path *p, struct findings *fs)
{
	char q[128];

	if (host == NULL || host[0] == '\0')
		return;
	schema_quote(host, strlen(host), q, sizeof(q));
	if (hostname_is_ip(host))
		findings_add(fs, "WX-HOST-IP", path_str(p),
			     "Invalid value: %s: IP addresses are not allowed in hostnames; use a DNS name", q);
	if (hostname_has_long_label(host))
		findings_add(fs, "WX-HOST-LABEL63", path_str(p),
			     "Invalid value: %s: a DNS label must be at most 63 characters (RFC 1123); shorten the label",
			     q);
}

void route_check_hostnames(const json_t *spec, struct findings *fs)
{
	const json_t *hosts = jv_arr(spec, "hostnames");
	struct path p;

	path_init(&p);
	path_key(&p, "spec");
	path_key(&p, "hostnames");
	for (size_t i = 0; i < jv_size(hosts); i++) {
		size_t m = path_idx(&p, i);

		route_check_hostname(json_string_value(json_array_get(hosts, i)), &p, fs);
		path_pop(&p, m);
	}
}

/* ---- matches ---- */

void route_check_match_total(const json_t *rules, const char *rule, struct findings *fs)
{
	size_t total = 0;

	for (size_t i = 0; i < jv_size(rules); i++)
		total += jv_size(jv_arr(json_array_get(rules, i), "matches"));
	if (total > 128)
		findings_add(fs, rule, "spec.rules",
			     "While 16 rules and 64 matches per rule are allowed, the total number of matches across all rules in a route must be less than 128 (found %zu; move some matches to another route)",
			     total);
}

void route_check_regex(const char *re, size_t len, const struct path *p, struct findings *fs)
{
	char why[128], q[128];

	why[0] = '\0';
	if (re == NULL || regex_re2_valid(re, len, why, sizeof(why)))
		return;
	schema_quote(re, len, q, sizeof(q));
	findings_add(fs, "WX-REGEX-COMPILE", path_str(p),
		     "Invalid value: %s: not a valid RE2 regular expression (%s); Envoy and Cilium would reject it, rewrite it in RE2 syntax",
		     q, why[0] ? why : "syntax error");
}

/* WX-HDR-VALUE for one header value at p (an empty value is the schema's business) */
static void check_header_value(const json_t *h, struct path *p, struct findings *fs)
{
	const json_t *hv = jv_get(h, "value");
	const char *v = jv_as_str(hv);
	size_t len = v != NULL ? json_string_length(hv) : 0;
	char q[128];
	size_t m;

	if (v == NULL || len == 0 || pattern_match(PAT_HVALUE, v, len))
		return;
	schema_quote(v, len, q, sizeof(q));
	m = path_key(p, "value");
	findings_add(fs, "WX-HDR-VALUE", path_str(p),
		     "Invalid value: %s: header values must be printable ASCII with no control characters (CR, LF, ...) and no leading, trailing or doubled blanks (should match '%s'); remove those characters",
		     q, pattern_source(PAT_HVALUE));
	path_pop(p, m);
}

/* OW-HDR-MATCH-CI: header k against the earlier ones; exact duplicates are the list-map's */
static void check_header_case(const json_t *headers, size_t k, struct path *p, struct findings *fs)
{
	const char *name = jv_str(json_array_get(headers, k), "name");
	char q[128];

	if (name == NULL)
		return;
	for (size_t l = 0; l < k; l++) {
		const char *other = jv_str(json_array_get(headers, l), "name");

		if (other == NULL || strcasecmp(name, other) != 0 || strcmp(name, other) == 0)
			continue;
		schema_quote(name, strlen(name), q, sizeof(q));
		findings_add(fs, "OW-HDR-MATCH-CI", path_str(p),
			     "Invalid value: %s: cannot match the same header multiple times in the same rule (headers[%zu] is \"%s\"; header names are case-insensitive): keep one of them",
			     q, l, other);
		return;
	}
}

void route_check_header_matches(const json_t *headers, struct path *p, struct findings *fs)
{
	size_t mh = path_key(p, "headers");

	for (size_t k = 0; k < jv_size(headers); k++) {
		const json_t *h = json_array_get(headers, k);
		size_t m = path_idx(p, k);

		check_header_case(headers, k, p, fs);
		check_header_value(h, p, fs);
		if (jv_streq(h, "type", "RegularExpression")) {
			size_t mv = path_key(p, "value");

			route_check_regex(jv_str(h, "value"), jv_strlen(h, "value"), p, fs);
			path_pop(p, mv);
		}
		path_pop(p, m);
	}
	path_pop(p, mh);
}

/* ---- filters ---- */

/* The kinds' fields the filter sets: one walk over its members (a filter has two or
 * three) instead of a lookup per kind. */
#define FILTER_KINDS_MAX 16

void route_check_filter_union(const json_t *filter, const struct route_filter_kind *kinds,
			      const char *rule, const struct path *p, struct findings *fs)
{
	const char *type = jv_str(filter, "type"), *key;
	bool has[FILTER_KINDS_MAX] = { false };
	size_t nk = 0;
	json_t *member;

	if (type == NULL)
		return;
	while (nk < FILTER_KINDS_MAX && kinds[nk].type != NULL)
		nk++;
	json_object_foreach((json_t *)filter, key, member) {
		for (size_t i = 0; i < nk; i++)
			if (key[0] == kinds[i].field[0] && strcmp(key, kinds[i].field) == 0) {
				has[i] = true;
				break;
			}
	}
	for (size_t i = 0; i < nk; i++) {
		bool is = strcmp(type, kinds[i].type) == 0;

		if (has[i] && !is)
			findings_add(fs, rule, path_str(p), "filter.%s must be nil if the filter.type is not %s",
				     kinds[i].field, kinds[i].type);
		else if (!has[i] && is)
			findings_add(fs, rule, path_str(p), "filter.%s must be specified for %s filter.type",
				     kinds[i].field, kinds[i].type);
	}
}

/* how many filters of the list have type t, given each filter's type (types, n) */
static size_t count_type(const char *const *types, size_t n, const char *t)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		if (types[i] != NULL && strcmp(types[i], t) == 0)
			c++;
	return c;
}

#define FILTERS_SMALL 16  /* filters whose types are held on the stack */

/* Each filter's type (NULL when it has none), read once: into small (FILTERS_SMALL
 * entries) when the list fits, else into an allocation the caller frees; NULL on
 * ENOMEM. */
static const char **filter_types(const json_t *filters, const char **small, size_t *ret_n)
{
	size_t n = jv_size(filters);
	const char **v = n <= FILTERS_SMALL ? small : malloc(n * sizeof(*v));

	*ret_n = n;
	for (size_t i = 0; v != NULL && i < n; i++)
		v[i] = jv_str(json_array_get(filters, i), "type");
	return v;
}

bool route_filters_have_types(const json_t *filters, const char *a, const char *b)
{
	const char *small[FILTERS_SMALL], **types;
	size_t n;
	bool both;

	types = filter_types(filters, small, &n);
	if (types == NULL)
		return false;
	both = count_type(types, n, a) > 0 && count_type(types, n, b) > 0;
	if (types != small)
		free(types);
	return both;
}

void route_check_filter_repeat(const json_t *filters, const char *const *types, const char *rule,
			       const struct path *p, struct findings *fs)
{
	const char *small[FILTERS_SMALL], **have;
	size_t n;

	have = filter_types(filters, small, &n);
	if (have == NULL) {
		fs->nomem = true;
		return;
	}
	for (const char *const *t = types; *t; t++) {
		size_t c = count_type(have, n, *t);

		if (c > 1)
			findings_add(fs, rule, path_str(p),
				     "%s filter cannot be repeated (found %zu; merge them into one)", *t, c);
	}
	if (have != small)
		free(have);
}

/* ---- header modifiers ---- */

struct hm_entry {
	const char *list;  /* "set", "add", "remove" */
	size_t idx;
	const char *name;
};

/* OW-HDRMOD-MULTI: entry e against the earlier entries (exact duplicates within one
 * list are the list-map's / list-set's finding, not this one) */
static void check_hm_multi(const struct hm_entry *v, size_t e, struct path *p, struct findings *fs)
{
	char q[128];

	for (size_t i = 0; i < e; i++) {
		size_t m;

		if (strcasecmp(v[i].name, v[e].name) != 0)
			continue;
		if (v[i].list == v[e].list && strcmp(v[i].name, v[e].name) == 0)
			continue;
		schema_quote(v[e].name, strlen(v[e].name), q, sizeof(q));
		m = path_key(p, v[e].list);
		path_idx(p, v[e].idx);
		findings_add(fs, "OW-HDRMOD-MULTI", path_str(p),
			     "Invalid value: %s: cannot specify multiple actions for header (also in %s[%zu]; names are case-insensitive): keep one of set, add or remove for it",
			     q, v[i].list, v[i].idx);
		path_pop(p, m);
		return;
	}
}

/* a header modifier's lists, picked at once (arrs[] in this order) */
static const char *const hm_lists[] = { "set", "add", "remove" };

static size_t collect_hm(json_t *const *arrs, struct hm_entry *v, size_t cap)
{
	size_t n = 0;

	for (size_t l = 0; l < 3; l++) {
		const json_t *arr = jv_as_arr(arrs[l]);

		for (size_t i = 0; i < jv_size(arr) && n < cap; i++) {
			const json_t *it = json_array_get(arr, i);
			const char *name = l == 2 ? json_string_value(it) : jv_str(it, "name");

			if (name == NULL)
				continue;
			v[n].list = hm_lists[l];
			v[n].idx = i;
			v[n].name = name;
			n++;
		}
	}
	return n;
}

static void check_hm_remove(const json_t *rm, struct path *p, struct findings *fs)
{
	size_t mr = path_key(p, "remove");

	for (size_t i = 0; i < jv_size(rm); i++) {
		const json_t *it = json_array_get(rm, i);
		const char *s = json_string_value(it);
		size_t len = json_string_length(it);
		char q[128];
		size_t m;

		if (s == NULL || (len <= 256 && pattern_match(PAT_HEADER, s, len)))
			continue;
		schema_quote(s, len, q, sizeof(q));
		m = path_idx(p, i);
		findings_add(fs, "WX-HDRMOD-REMOVE-NAME", path_str(p),
			     "Invalid value: %s: remove entries must be header names of 1 to 256 characters (should match '%s'); fix or drop the entry",
			     q, pattern_source(PAT_HEADER));
		path_pop(p, m);
	}
	path_pop(p, mr);
}

static void check_header_modifier(const json_t *mod, struct path *p, struct findings *fs)
{
	/* set, add and remove hold at most 16 each; more than that is the schema's finding */
	struct hm_entry v[48];
	json_t *arrs[3];
	size_t n;

	jv_pick(mod, hm_lists, 3, arrs);
	n = collect_hm(arrs, v, sizeof(v) / sizeof(v[0]));
	for (size_t e = 1; e < n; e++)
		check_hm_multi(v, e, p, fs);
	for (size_t l = 0; l < 2; l++) {
		const json_t *arr = jv_as_arr(arrs[l]);
		size_t ml = path_key(p, hm_lists[l]);

		for (size_t i = 0; i < jv_size(arr); i++) {
			size_t m = path_idx(p, i);

			check_header_value(json_array_get(arr, i), p, fs);
			path_pop(p, m);
		}
		path_pop(p, ml);
	}
	check_hm_remove(jv_as_arr(arrs[2]), p, fs);
}

/* ---- requestMirror ---- */

/* group "" and kind Service, as defaulting leaves a core Service reference */
static bool is_core_service_gk(const char *g, const char *k)
{
	return g != NULL && k != NULL && g[0] == '\0' && strcmp(k, "Service") == 0;
}

static bool is_core_service(const json_t *ref)
{
	return is_core_service_gk(jv_str(ref, "group"), jv_str(ref, "kind"));
}

static void check_mirror(const json_t *mirror, struct path *p, struct findings *fs)
{
	const json_t *fraction = jv_obj(mirror, "fraction");
	const json_t *ref = jv_obj(mirror, "backendRef");
	long long num, den;
	size_t m;

	if (jv_get(mirror, "percent") && jv_get(mirror, "fraction"))
		findings_add(fs, "HR-MIRROR", path_str(p),
			     "Only one of percent or fraction may be specified in HTTPRequestMirrorFilter; remove one of them");
	if (jv_int(fraction, "numerator", &num) && jv_int(fraction, "denominator", &den) && num > den) {
		m = path_key(p, "fraction");
		findings_add(fs, "HR-MIRROR", path_str(p),
			     "numerator must be less than or equal to denominator (%lld > %lld)", num, den);
		path_pop(p, m);
	}
	if (is_core_service(ref) && jv_get(ref, "port") == NULL) {
		m = path_key(p, "backendRef");
		findings_add(fs, "HR-MIRROR", path_str(p),
			     "Must have port for Service reference; set backendRef.port to the Service port to mirror to");
		path_pop(p, m);
	}
}

void route_check_common_filter(const json_t *filter, struct path *p, struct findings *fs)
{
	static const char *const keys[] = { "requestHeaderModifier", "responseHeaderModifier", "requestMirror" };
	json_t *fv[3];
	const json_t *mirror;
	size_t m;

	jv_pick(filter, keys, 3, fv);
	mirror = jv_as_obj(fv[2]);
	for (size_t i = 0; i < 2; i++) {
		const json_t *mod = jv_as_obj(fv[i]);

		if (mod == NULL)
			continue;
		m = path_key(p, keys[i]);
		check_header_modifier(mod, p, fs);
		path_pop(p, m);
	}
	if (mirror != NULL) {
		m = path_key(p, "requestMirror");
		check_mirror(mirror, p, fs);
		path_pop(p, m);
	}
}

/* ---- backendRefs ---- */

void route_check_backend_refs(const json_t *rule, struct path *p, struct findings *fs)
{
	const json_t *refs = jv_arr(rule, "backendRefs");
	size_t mb = path_key(p, "backendRefs");
	size_t zero = 0, ints = 0;

	for (size_t i = 0; i < jv_size(refs); i++) {
		static const char *const keys[] = { "weight", "group", "kind", "port" };
		json_t *rv[4];
		long long w;

		jv_pick(json_array_get(refs, i), keys, 4, rv);
		if (jv_as_int(rv[0], &w)) {
			ints++;
			zero += w == 0;
		}
		if (is_core_service_gk(jv_as_str(rv[1]), jv_as_str(rv[2])) && rv[3] == NULL) {
			size_t m = path_idx(p, i);

			findings_add(fs, "HR-BREF-PORT", path_str(p),
				     "Must have port for Service reference; set port to the Service port to send traffic to");
			path_pop(p, m);
		}
	}
	if (jv_size(refs) > 0 && ints == jv_size(refs) && zero == ints)
		findings_add(fs, "WX-WEIGHT-ALLZERO", path_str(p),
			     "all backendRefs of this rule have weight 0, so it forwards no traffic (requests get an error response); give at least one backendRef a positive weight");
	path_pop(p, mb);
}

/* ---- canonical match key (WX-RULE-SHADOW, XO-MATCH-CONFLICT) ---- */

/*
 * A match's key is its compact JSON with keys sorted, after making equal constraints
 * equal text: members that are absent, null or [] are dropped (none constrains), and
 * each list member is a set, its elements in the order of their own text. Nested
 * values are written as they are (keys sorted). At most KEY_MAX_DEPTH levels: a
 * deeper match (no valid one is; the schema reports it) gets no key, like a malformed
 * one, and is not recursed on.
 *
 * It is written in one walk into one jwrite buffer. This runs for every match a
 * cluster view loads and twice per match of a reviewed route; building a canonical copy
 * and dumping each list element on its own cost about twice as much.
 */
#define KEY_MAX_DEPTH 32
#define KEY_SMALL 16    /* members or list elements sorted on the stack */

/* absent, null and [] are the same constraint: none */
static bool member_empty(const json_t *v)
{
	return v == NULL || json_is_null(v) || (json_is_array(v) && json_array_size(v) == 0);
}

/* one list element's text: off and len in the list's text, text in a copy of it */
struct key_elem {
	size_t off, len;
	const char *text;
};

/* the texts hold no NUL (jwrite escapes it), so this is strcmp's order */
static int key_elem_cmp(const void *a, const void *b)
{
	const struct key_elem *x = a, *y = b;
	int c = memcmp(x->text, y->text, x->len < y->len ? x->len : y->len);

	return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}

static void key_sort_elems(struct key_elem *es, size_t n)
{
	if (n > KEY_SMALL) {
		qsort(es, n, sizeof(*es), key_elem_cmp);
		return;
	}
	for (size_t j = 1; j < n; j++) {
		struct key_elem t = es[j];
		size_t k = j;

		while (k > 0 && key_elem_cmp(&es[k - 1], &t) > 0) {
			es[k] = es[k - 1];
			k--;
		}
		es[k] = t;
	}
}

/* arr (two elements or more) as a set: its elements written one after another, then
 * written again from a copy in the order of their text */
static void key_set(struct jwbuf *b, const json_t *arr)
{
	struct key_elem small[KEY_SMALL], *es = small;
	size_t n = json_array_size(arr), start, total;
	char *copy = NULL;

	if (n > KEY_SMALL && (es = malloc(n * sizeof(*es))) == NULL) {
		b->failed = true;
		return;
	}
	jwrite_ch(b, '[');
	start = b->n;
	for (size_t i = 0; i < n && !b->failed; i++) {
		es[i].off = b->n - start;
		jwrite_value_at(b, json_array_get(arr, i), 2);
		es[i].len = b->n - start - es[i].off;
	}
	total = b->n - start;
	if (!b->failed && (copy = malloc(total ? total : 1)) == NULL)
		b->failed = true;
	if (!b->failed) {
		memcpy(copy, b->p + start, total);
		for (size_t i = 0; i < n; i++)
			es[i].text = copy + es[i].off;
		key_sort_elems(es, n);
		b->n = start;
		for (size_t i = 0; i < n; i++) {
			if (i > 0)
				jwrite_ch(b, ',');
			jwrite_raw(b, es[i].text, es[i].len);
		}
	}
	jwrite_ch(b, ']');
	free(copy);
	if (es != small)
		free(es);
}

static void key_match(struct jwbuf *b, const json_t *m)
{
	struct jwrite_member small[KEY_SMALL], *ms = small;
	size_t n = 0;
	const char *key;
	json_t *v;

	if (json_object_size(m) > KEY_SMALL && (ms = malloc(json_object_size(m) * sizeof(*ms))) == NULL) {
		b->failed = true;
		return;
	}
	json_object_foreach((json_t *)m, key, v) {
		if (!member_empty(v))
			ms[n++] = (struct jwrite_member){ key, v };
	}
	jwrite_sort_members(ms, n);
	jwrite_ch(b, '{');
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			jwrite_ch(b, ',');
		jwrite_str(b, ms[i].key, strlen(ms[i].key));
		jwrite_ch(b, ':');
		if (json_is_array(ms[i].val) && json_array_size(ms[i].val) > 1)
			key_set(b, ms[i].val);
		else
			jwrite_value_at(b, ms[i].val, 1);
	}
	jwrite_ch(b, '}');
	if (ms != small)
		free(ms);
}

int route_match_key(const json_t *m, char **ret)
{
	struct jwbuf b = { .sort_keys = true, .max_depth = KEY_MAX_DEPTH };

	*ret = NULL;
	if (m != NULL && !json_is_object(m))
		return 0;
	jwrite_reserve(&b, 256); /* a typical key fits */
	if (m == NULL)
		jwrite_raw(&b, "{}", 2);
	else
		key_match(&b, m);
	*ret = jwrite_finish(&b, NULL);
	if (*ret == NULL && b.too_deep)
		return 0; /* no valid match nests that deep: like a malformed one, it has no key */
	return *ret != NULL ? 0 : ERR_NOMEM;
}

const json_t *route_rule_match(const json_t *rule, size_t i)
{
	return json_array_get(jv_arr(rule, "matches"), i);
}

size_t route_rule_nmatches(const json_t *rule, bool grpc)
{
	const json_t *ms = jv_get(rule, "matches");

	if (!json_is_object(rule))
		return 0;
	if (ms == NULL)
		return grpc ? 1 : 0;
	if (!json_is_array(ms))
		return 0;
	if (json_array_size(ms) == 0)
		return grpc ? 1 : 0;
	return json_array_size(ms);
}

/* ---- WX-RULE-SHADOW ---- */

/* one match of the route in document order; key NULL for a malformed match and for
 * one that cannot shadow (key_candidates) */
struct shadow_match {
	const json_t *m;   /* NULL: the implicit catch-all of a gRPC rule without matches */
	size_t rule, idx;
	char *key;         /* owned */
};

static void report_shadow(const struct shadow_match *m, const struct shadow_match *e,
			  struct findings *fs)
{
	char field[64], earlier[64];

	if (m->m == NULL)
		snprintf(field, sizeof(field), "spec.rules[%zu]", m->rule);
	else
		snprintf(field, sizeof(field), "spec.rules[%zu].matches[%zu]", m->rule, m->idx);
	if (e->m == NULL)
		snprintf(earlier, sizeof(earlier), "the catch-all rule spec.rules[%zu]", e->rule);
	else
		snprintf(earlier, sizeof(earlier), "spec.rules[%zu].matches[%zu]", e->rule, e->idx);
	findings_add(fs, "WX-RULE-SHADOW", field,
		     "this match is identical to %s and the earlier rule wins, so it never receives traffic; remove it or make it more specific",
		     earlier);
}

static size_t count_matches(const json_t *rules, bool grpc)
{
	size_t n = 0;

	for (size_t r = 0; r < jv_size(rules); r++)
		n += route_rule_nmatches(json_array_get(rules, r), grpc);
	return n;
}

/* every match of every rule, in document order, without keys yet */
static void collect_matches(const json_t *rules, bool grpc, struct shadow_match *v)
{
	size_t n = 0;

	for (size_t r = 0; r < jv_size(rules); r++) {
		const json_t *rule = json_array_get(rules, r);

		for (size_t k = 0; k < route_rule_nmatches(rule, grpc); k++, n++) {
			v[n].m = route_rule_match(rule, k);
			v[n].rule = r;
			v[n].idx = k;
		}
	}
}

/* A match's path value ("" when it has none): matches with the same key have the
 * same one, so only matches whose path value another rule also has can shadow. */
static const char *shadow_bucket(const struct shadow_match *sm)
{
	const char *s = jv_str(jv_obj(sm->m, "path"), "value");

	return s != NULL ? s : "";
}

#define BUCKET_MULTI ((void *)(uintptr_t)-1)   /* matches of two rules or more */

#define SHADOW_SMALL 32   /* matches compared pair by pair, not through a table */

/* The key of every match that shares its path value with a match of another rule (a
 * key costs thousands of instructions, and most routes give each rule its own path);
 * false on ENOMEM */

static bool key_candidates(struct shadow_match *v, size_t n)
{
	struct hmap rule_of = HMAP_INIT;   /* path value -> first rule + 1, or BUCKET_MULTI */
	bool ok = true;

	if (n <= SHADOW_SMALL) {
		/* a match is keyed when a match of another rule has its path value: for the
		 * few matches of most routes, comparing each pair costs less than a table */
		const char *b[SHADOW_SMALL];
		bool multi[SHADOW_SMALL] = { false };

		for (size_t i = 0; i < n; i++)
			b[i] = shadow_bucket(&v[i]);
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < i; j++)
				if (v[j].rule != v[i].rule && strcmp(b[i], b[j]) == 0)
					multi[i] = multi[j] = true;
		for (size_t i = 0; ok && i < n; i++)
			if (multi[i])
				ok = route_match_key(v[i].m, &v[i].key) == 0;
		return ok;
	}

	for (size_t i = 0; ok && i < n; i++) {
		const char *b = shadow_bucket(&v[i]);
		void *r = hmap_get(&rule_of, b);
		void *mine = (void *)(uintptr_t)(v[i].rule + 1);

		if (r == NULL || (r != mine && r != BUCKET_MULTI))
			ok = hmap_put(&rule_of, b, r == NULL ? mine : BUCKET_MULTI, NULL) == 0;
	}
	for (size_t i = 0; ok && i < n; i++)
		if (hmap_get(&rule_of, shadow_bucket(&v[i])) == BUCKET_MULTI)
			ok = route_match_key(v[i].m, &v[i].key) == 0;
	hmap_release(&rule_of, NULL);
	return ok;
}

/* Each match against the first match with the same key: reported when that one is in
 * an earlier rule (identical matches inside one rule are harmless). */
static bool report_shadows(struct shadow_match *v, size_t n, struct findings *fs)
{
	struct hmap first = HMAP_INIT;
	bool ok = true;

	for (size_t i = 0; ok && i < n; i++) {
		struct shadow_match *e;

		if (v[i].key == NULL)
			continue;
		e = hmap_get(&first, v[i].key);
		if (e == NULL)
			ok = hmap_put(&first, v[i].key, &v[i], NULL) == 0;
		else if (e->rule < v[i].rule)
			report_shadow(&v[i], e, fs);
	}
	hmap_release(&first, NULL);
	return ok;
}

void route_check_shadow(const json_t *rules, bool grpc, struct findings *fs)
{
	size_t n;
	struct shadow_match *v;

	/* shadowing is between rules: a single rule cannot shadow anything */
	if (jv_size(rules) < 2 || (n = count_matches(rules, grpc)) < 2)
		return;
	v = calloc(n, sizeof(*v));
	if (v != NULL)
		collect_matches(rules, grpc, v);
	if (v == NULL || !key_candidates(v, n) || !report_shadows(v, n, fs))
		fs->nomem = true;
	for (size_t i = 0; v != NULL && i < n; i++)
		free(v[i].key);
	free(v);
}

static void check_rule_common(const json_t *rule, const struct route_kind_checks *kc, struct path *p,
			      struct findings *fs)
{
	const json_t *refs = jv_arr(rule, "backendRefs");

	kc->check_rule(rule, p, fs);
	kc->check_filters(rule, p, fs);
	route_check_backend_refs(rule, p, fs);
	for (size_t i = 0; i < jv_size(refs); i++) {
		size_t mb = path_key(p, "backendRefs");

		path_idx(p, i);
		kc->check_filters(json_array_get(refs, i), p, fs);
		path_pop(p, mb);
	}
}

void route_check_spec(const json_t *obj, const struct route_kind_checks *kc, struct findings *fs)
{
	const json_t *spec = jv_obj(obj, "spec");
	const json_t *rules = jv_arr(spec, "rules");
	struct path p;

	if (spec == NULL)
		return;
	route_check_parent_refs(obj, fs);
	route_check_hostnames(spec, fs);
	route_check_match_total(rules, kc->match_total_rule, fs);
	path_init(&p);
	path_key(&p, "spec");
	path_key(&p, "rules");
	for (size_t i = 0; i < jv_size(rules); i++) {
		size_t m = path_idx(&p, i);

		if (json_is_object(json_array_get(rules, i)))
			check_rule_common(json_array_get(rules, i), kc, &p, fs);
		path_pop(&p, m);
	}
	route_check_shadow(rules, kc->grpc, fs);
}
