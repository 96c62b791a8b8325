/*
 * lbplan: see lbplan.h.
 *
 * How the plan is derived:
 *   1. Every route of the kinds the datapath can carry (TCPRoute, UDPRoute; HTTPRoute
 *      and GRPCRoute too when opts->allow_http) is defaulted (on a copy) and decided
 *      by attach_check_route, the same code that writes the route's status in
 *      `check`: only parents with Accepted=True count, and only the listeners that
 *      admitted the route (attach_parent.listeners).
 *   2. Each (Gateway address, admitting listener) pair of a TCP listener with a
 *      TCPRoute, a UDP listener with a UDPRoute, or an HTTP listener with an HTTPRoute
 *      is a candidate frontend. Addresses are spec.addresses and status.addresses of
 *      type IPAddress (unset type is IPAddress), deduplicated; values that are not an
 *      IP literal are skipped.
 *   3. Backends of a route: every backendRef of every rule naming a core Service with
 *      a port the Service has, weight > 0, and (across namespaces) a ReferenceGrant
 *      that permits it. The Service's endpoints are the ready endpoints
 *      (conditions.ready not false; first address, as Kubernetes specifies) of its
 *      EndpointSlices (label kubernetes.io/service-name, addressType IPv4/IPv6), with
 *      the port of the slice port whose name is the Service port's name; a Service
 *      without any slice is its spec.clusterIP on the Service port (none when
 *      headless). A ref of weight w over k endpoints gives each w * SCALE / k; an
 *      endpoint reached through several refs gets the sum.
 *   4. Conflicts, deterministically: when several candidates share (address, port,
 *      protocol), the oldest Gateway wins (creationTimestamp, then namespace/name),
 *      then its first listener, then the oldest route (creationTimestamp, kind,
 *      namespace/name). An HTTP listener is programmed only when exactly one route
 *      (HTTPRoute or GRPCRoute) is attached to it and that route is an HTTPRoute that
 *      needs no L7 processing: no hostnames, one rule, no filters on the rule or its
 *      backendRefs, and no matches but the catch-all PathPrefix "/" (the default);
 *      otherwise the frontend is left to the L7 proxy (not in the plan).
 * A frontend whose route resolves to no endpoint is kept with n_backends 0: the route
 * is there, so the datapath should not fall through to the address itself.
 *
 * Cost: one pass over the EndpointSlices (indexed by Service), then O(routes *
 * (parentRefs * listeners + endpoints of their backends)) plus sorts; no scan of the
 * cluster per route. Each route is deep-copied once to be defaulted.
 */
#include "lbplan.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach.h"
#include "defaults.h"
#include "findings.h"
#include "hmap.h"
#include "jcopy.h"
#include "jv.h"

#define GAPI_GROUP "gateway.networking.k8s.io"
#define ADDRS_MAX 16

struct bvec {
	struct lbplan_backend *v;
	size_t n, cap;
};

struct cand {
	struct lbplan_addr addr;
	uint16_t port;
	uint8_t proto;
	bool http;             /* an HTTP listener: the single-route rule applies */
	bool l7;               /* the route needs L7 processing (or is a GRPCRoute) */
	const char *gw_ts;     /* borrowed from the view; NULL sorts last */
	const char *gw_ref;    /* owned by the cand (in src) */
	size_t listener;
	const char *rt_ts;     /* borrowed from the view's route, never from the copy */
	int rt_kind;
	char *src;             /* "gateway NS/NAME listener L; Kind NS/NAME" */
	size_t gw_len;         /* length of "NS/NAME" inside src, starting at src + 8 */
	char *rt_ref;          /* points into src */
	struct lbplan_backend *b;
	size_t nb;
};

struct cvec {
	struct cand *v;
	size_t n, cap;
};

/* the EndpointSlices of one Service */
struct slist {
	const json_t **v;
	size_t n, cap;
};

struct ctx {
	const struct view *v;
	const struct lbplan_opts *opts;
	struct cvec c;
	struct attach_result *res;
	struct hmap slices;    /* "ns/service" -> struct slist, built on first use */
	bool slices_built;
};

/* ---- small helpers ----------------------------------------------------------- */

static const char *meta_str(const json_t *obj, const char *key)
{
	return jv_str(jv_obj(obj, "metadata"), key);
}

static const char *obj_ns(const json_t *obj)
{
	const char *ns = meta_str(obj, "namespace");

	return ns != NULL && ns[0] != '\0' ? ns : "default";
}

static bool streq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static int cmp_str_nullast(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == NULL) - (b == NULL);
	return strcmp(a, b);
}

static bool parse_addr(const char *s, struct lbplan_addr *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (s == NULL)
		return false;
	if (inet_pton(AF_INET, s, ret->bytes) == 1) {
		ret->family = 4;
		return true;
	}
	memset(ret, 0, sizeof(*ret));
	if (inet_pton(AF_INET6, s, ret->bytes) == 1) {
		ret->family = 6;
		return true;
	}
	memset(ret, 0, sizeof(*ret));
	return false;
}

static int cmp_addr(const struct lbplan_addr *a, const struct lbplan_addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->bytes, b->bytes, sizeof(a->bytes));
}

static int cmp_backend(const void *pa, const void *pb)
{
	const struct lbplan_backend *a = pa, *b = pb;
	int c = cmp_addr(&a->addr, &b->addr);

	if (c != 0)
		return c;
	return (a->port > b->port) - (a->port < b->port);
}

static __attribute__((format(printf, 1, 2))) char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	s = malloc((size_t)n + 1);
	if (s == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

/* ---- backends ---------------------------------------------------------------- */

/* Append; bvec_merge sorts and sums duplicates afterwards. */
static int bvec_add(struct bvec *bv, const struct lbplan_addr *a, uint16_t port, uint64_t w)
{
	if (bv->n == bv->cap) {
		size_t cap = bv->cap ? bv->cap * 2 : 8;
		struct lbplan_backend *nv = realloc(bv->v, cap * sizeof(*nv));

		if (nv == NULL)
			return ERR_NOMEM;
		bv->v = nv;
		bv->cap = cap;
	}
	bv->v[bv->n].addr = *a;
	bv->v[bv->n].port = port;
	bv->v[bv->n].weight = w;
	bv->n++;
	return 0;
}

/* Sort by (address, port) and fold duplicates into one entry, weights summed. */
static void bvec_merge(struct bvec *bv)
{
	size_t out = 0;

	if (bv->n < 2)
		return;
	qsort(bv->v, bv->n, sizeof(bv->v[0]), cmp_backend);
	for (size_t i = 1; i < bv->n; i++) {
		if (cmp_backend(&bv->v[out], &bv->v[i]) == 0)
			bv->v[out].weight += bv->v[i].weight;
		else
			bv->v[++out] = bv->v[i];
	}
	bv->n = out + 1;
}

static bool same_port_name(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

/* The port of the slice's ports entry named pname, or 0. */
static uint16_t slice_port(const json_t *slice, const char *pname)
{
	const json_t *p;
	long long port;
	size_t i;

	json_array_foreach(jv_arr(slice, "ports"), i, p)
		if (same_port_name(jv_str(p, "name"), pname) && jv_int(p, "port", &port) && port > 0 &&
		    port <= 65535)
			return (uint16_t)port;
	return 0;
}

static void slist_free(void *p)
{
	struct slist *l = p;

	free(l->v);
	free(l);
}

/* Index every EndpointSlice by "namespace/service" once (label
 * kubernetes.io/service-name), so a backendRef costs O(its slices). */
static int index_slices(struct ctx *x)
{
	const json_t *const *all;
	size_t n = view_list_kind(x->v, KIND_ENDPOINTSLICE, &all);

	x->slices_built = true;
	for (size_t i = 0; i < n; i++) {
		const char *svc = jv_str(jv_obj(jv_obj(all[i], "metadata"), "labels"), "kubernetes.io/service-name");
		char *key;
		struct slist *l;

		if (svc == NULL)
			continue;
		key = xasprintf("%s/%s", obj_ns(all[i]), svc);
		if (key == NULL)
			return ERR_NOMEM;
		l = hmap_get(&x->slices, key);
		if (l == NULL) {
			l = calloc(1, sizeof(*l));
			if (l == NULL || hmap_put(&x->slices, key, l, NULL) != 0) {
				free(l);
				free(key);
				return ERR_NOMEM;
			}
		}
		free(key);
		if (l->n == l->cap) {
			size_t cap = l->cap ? l->cap * 2 : 4;
			const json_t **nv = realloc(l->v, cap * sizeof(*nv));

			if (nv == NULL)
				return ERR_NOMEM;
			l->v = nv;
			l->cap = cap;
		}
		l->v[l->n++] = all[i];
	}
	return 0;
}

/* Append the endpoints of Service ns/name (port spec sp) to eps; *nslices counts the
 * Service's slices. */
static int service_endpoints(struct ctx *x, const char *ns, const char *name, const json_t *sp,
			     struct bvec *eps, size_t *nslices)
{
	const char *pname = jv_str(sp, "name");
	const struct slist *l;
	char *key;
	int rc;

	*nslices = 0;
	if (!x->slices_built && (rc = index_slices(x)) < 0)
		return rc;
	key = xasprintf("%s/%s", ns, name);
	if (key == NULL)
		return ERR_NOMEM;
	l = hmap_get(&x->slices, key);
	free(key);
	for (size_t i = 0; l != NULL && i < l->n; i++) {
		const json_t *s = l->v[i], *ep;
		const char *at = jv_str(s, "addressType");
		uint16_t port;
		size_t j;

		(*nslices)++;
		if (!streq(at, "IPv4") && !streq(at, "IPv6"))
			continue;
		port = slice_port(s, pname);
		if (port == 0)
			continue;
		json_array_foreach(jv_arr(s, "endpoints"), j, ep) {
			const json_t *ready = jv_get(jv_obj(ep, "conditions"), "ready");
			const json_t *addrs = jv_arr(ep, "addresses");
			struct lbplan_addr a;

			if (json_is_false(ready))
				continue;
			if (!parse_addr(json_string_value(json_array_get(addrs, 0)), &a))
				continue;
			if ((a.family == 4) != streq(at, "IPv4"))
				continue;
			if (bvec_add(eps, &a, port, 0) < 0)
				return ERR_NOMEM;
		}
	}
	return 0;
}

static bool ref_granted(const struct view *v, const char *kname, const char *from_ns, const char *tns,
			const char *name)
{
	const json_t *const *grants;
	size_t n = view_list_ns(v, KIND_REFERENCEGRANT, tns, &grants);

	for (size_t i = 0; i < n; i++)
		if (attach_grant_permits(grants[i], kname, from_ns, "Service", name) == 1)
			return true;
	return false;
}

static const json_t *service_port(const json_t *svc, long long want)
{
	const json_t *sp;
	long long port;
	size_t i;

	json_array_foreach(jv_arr(jv_obj(svc, "spec"), "ports"), i, sp)
		if (jv_int(sp, "port", &port) && port == want)
			return sp;
	return NULL;
}

static int ref_backends(struct ctx *x, const char *kname, const char *rns, const json_t *ref,
			struct bvec *out)
{
	const struct view *v = x->v;
	const char *name = jv_str(ref, "name");
	const char *tns = jv_str(ref, "namespace");
	const json_t *svc, *sp;
	struct bvec eps = { 0 };
	long long w = 1, port;
	size_t nslices;
	int rc;

	if (tns == NULL || tns[0] == '\0')
		tns = rns;
	if (!streq(jv_str(ref, "group") ? jv_str(ref, "group") : "", "") ||
	    !streq(jv_str(ref, "kind") ? jv_str(ref, "kind") : "Service", "Service") || name == NULL)
		return 0;
	if (jv_get(ref, "weight") != NULL && !jv_int(ref, "weight", &w))
		return 0;
	if (w <= 0 || w > 1000000 || !jv_int(ref, "port", &port))
		return 0;
	if (strcmp(tns, rns) != 0 && !ref_granted(v, kname, rns, tns, name))
		return 0;
	svc = view_get(v, KIND_SERVICE, tns, name);
	if (svc == NULL || jv_streq(jv_obj(svc, "spec"), "type", "ExternalName"))
		return 0;
	sp = service_port(svc, port);
	if (sp == NULL)
		return 0;
	rc = service_endpoints(x, tns, name, sp, &eps, &nslices);
	if (rc == 0 && nslices == 0 && port > 0 && port <= 65535) {
		struct lbplan_addr a;

		if (parse_addr(jv_str(jv_obj(svc, "spec"), "clusterIP"), &a))
			rc = bvec_add(&eps, &a, (uint16_t)port, 0);
	}
	bvec_merge(&eps); /* an endpoint listed twice counts once */
	for (size_t i = 0; rc == 0 && i < eps.n; i++)
		rc = bvec_add(out, &eps.v[i].addr, eps.v[i].port,
			      (uint64_t)w * LBPLAN_WEIGHT_SCALE / (uint64_t)eps.n);
	free(eps.v);
	return rc;
}

static int route_backends(struct ctx *x, enum kind k, const json_t *route, struct bvec *out)
{
	const json_t *rule, *ref;
	const char *rns = obj_ns(route);
	size_t i, j;
	int rc = 0;

	json_array_foreach(jv_arr(jv_obj(route, "spec"), "rules"), i, rule)
		json_array_foreach(jv_arr(rule, "backendRefs"), j, ref)
			if (rc == 0)
				rc = ref_backends(x, kind_name(k), rns, ref, out);
	if (rc == 0)
		bvec_merge(out); /* an endpoint reached through several refs: the sum */
	return rc;
}

/* ---- L7 test for HTTPRoutes -------------------------------------------------- */

static bool is_catch_all(const json_t *m)
{
	const json_t *path = jv_obj(m, "path");

	if (!json_is_object(m) || json_object_size(m) != 1 || path == NULL)
		return false;
	return json_object_size(path) == 2 && jv_streq(path, "type", "PathPrefix") && jv_streq(path, "value", "/");
}

/* route: defaulted */
static bool needs_l7(enum kind k, const json_t *route)
{
	const json_t *spec = jv_obj(route, "spec");
	const json_t *rules = jv_arr(spec, "rules"), *rule, *m, *b;
	size_t i;

	if (k != KIND_HTTPROUTE)
		return true;
	if (jv_size(jv_arr(spec, "hostnames")) > 0 || jv_size(rules) != 1)
		return true;
	rule = json_array_get(rules, 0);
	if (jv_size(jv_arr(rule, "filters")) > 0)
		return true;
	json_array_foreach(jv_arr(rule, "matches"), i, m)
		if (!is_catch_all(m))
			return true;
	json_array_foreach(jv_arr(rule, "backendRefs"), i, b)
		if (jv_size(jv_arr(b, "filters")) > 0)
			return true;
	return false;
}

/* ---- candidates -------------------------------------------------------------- */

static void cand_free(struct cand *c)
{
	free(c->src);
	free(c->b);
}

static struct cand *cand_new(struct ctx *x)
{
	if (x->c.n == x->c.cap) {
		size_t cap = x->c.cap ? x->c.cap * 2 : 16;
		struct cand *nv = realloc(x->c.v, cap * sizeof(*nv));

		if (nv == NULL)
			return NULL;
		x->c.v = nv;
		x->c.cap = cap;
	}
	memset(&x->c.v[x->c.n], 0, sizeof(x->c.v[0]));
	return &x->c.v[x->c.n++];
}

/* The IP addresses of a Gateway, deduplicated, in spec-then-status order. */
static size_t gateway_addrs(const json_t *gw, struct lbplan_addr *out)
{
	static const char *const where[] = { "spec", "status" };
	size_t n = 0;

	for (size_t w = 0; w < 2; w++) {
		const json_t *a;
		size_t i;

		json_array_foreach(jv_arr(jv_obj(gw, where[w]), "addresses"), i, a) {
			const char *type = jv_str(a, "type");
			struct lbplan_addr ad;
			bool dup = false;

			if (type != NULL && strcmp(type, "IPAddress") != 0)
				continue;
			if (!parse_addr(jv_str(a, "value"), &ad))
				continue;
			for (size_t j = 0; j < n && !dup; j++)
				dup = cmp_addr(&out[j], &ad) == 0;
			if (!dup && n < ADDRS_MAX)
				out[n++] = ad;
		}
	}
	return n;
}

/* Which protocol does listener protocol lp carry for route kind k? 0: none. */
static uint8_t listener_proto(const struct ctx *x, enum kind k, const char *lp, bool *http)
{
	*http = false;
	if (k == KIND_TCPROUTE && streq(lp, "TCP"))
		return LBPLAN_TCP;
	if (k == KIND_UDPROUTE && streq(lp, "UDP"))
		return LBPLAN_UDP;
	if ((k == KIND_HTTPROUTE || k == KIND_GRPCROUTE) && x->opts->allow_http && streq(lp, "HTTP")) {
		*http = true;
		return LBPLAN_TCP;
	}
	return 0;
}

/* route: the defaulted copy (freed after the call); orig: the view's object, which the
 * candidate may borrow from */
static int add_listener(struct ctx *x, enum kind k, const json_t *route, const json_t *orig,
			const json_t *gw, const char *gwref, size_t li, const struct bvec *bv, bool l7)
{
	const json_t *l = json_array_get(jv_arr(jv_obj(gw, "spec"), "listeners"), li);
	struct lbplan_addr addrs[ADDRS_MAX];
	size_t na;
	long long port;
	bool http;
	uint8_t proto = listener_proto(x, k, jv_str(l, "protocol"), &http);

	if (proto == 0 || !jv_int(l, "port", &port) || port <= 0 || port > 65535)
		return 0;
	na = gateway_addrs(gw, addrs);
	for (size_t a = 0; a < na; a++) {
		struct cand *c = cand_new(x);
		const char *lname = jv_str(l, "name");

		if (c == NULL)
			return ERR_NOMEM;
		c->addr = addrs[a];
		c->port = (uint16_t)port;
		c->proto = proto;
		c->http = http;
		c->l7 = l7;
		c->gw_ts = meta_str(gw, "creationTimestamp");
		c->listener = li;
		c->rt_ts = meta_str(orig, "creationTimestamp");
		c->rt_kind = (int)k;
		c->src = xasprintf("gateway %s listener %s; %s %s/%s", gwref, lname != NULL ? lname : "?",
				   kind_name(k), obj_ns(route), meta_str(route, "name") ? meta_str(route, "name") : "?");
		if (c->src == NULL)
			return ERR_NOMEM;
		c->gw_ref = c->src + strlen("gateway ");
		c->gw_len = strlen(gwref);
		c->rt_ref = strrchr(c->src, ' ') + 1;
		if (bv->n > 0) {
			c->b = malloc(bv->n * sizeof(*c->b));
			if (c->b == NULL)
				return ERR_NOMEM;
			memcpy(c->b, bv->v, bv->n * sizeof(*c->b));
			c->nb = bv->n;
		}
	}
	return 0;
}

static int add_route(struct ctx *x, enum kind k, const json_t *orig)
{
	json_t *route = jcopy(orig);
	struct findings scratch;
	struct bvec bv = { 0 };
	bool have_b = false, l7;
	int rc;

	if (route == NULL)
		return ERR_NOMEM;
	rc = defaults_apply(k, route);
	findings_init(&scratch, NULL);
	if (rc == 0)
		rc = attach_check_route(x->v, k, route, false, &scratch, x->res);
	findings_release(&scratch);
	l7 = needs_l7(k, route);
	for (size_t p = 0; rc == 0 && p < x->res->nparents; p++) {
		const struct attach_parent *ap = &x->res->parents[p];
		char gwns[256];
		const char *slash = strchr(ap->gateway, '/');
		const json_t *gw;
		uint64_t mask = 0;
		bool seen = false;

		/* several parentRefs to one Gateway: their listeners once, together */
		for (size_t q = 0; q < x->res->nparents; q++) {
			const struct attach_parent *aq = &x->res->parents[q];

			if (strcmp(aq->gateway, ap->gateway) != 0 || !aq->accepted)
				continue;
			if (q < p) {
				seen = true;
				break;
			}
			mask |= aq->listeners;
		}
		if (seen || !ap->accepted || mask == 0 || slash == NULL)
			continue;
		snprintf(gwns, sizeof(gwns), "%.*s", (int)(slash - ap->gateway), ap->gateway);
		gw = view_get(x->v, KIND_GATEWAY, gwns, slash + 1);
		if (gw == NULL)
			continue;
		if (!have_b) {
			rc = route_backends(x, k, route, &bv);
			have_b = true;
		}
		for (size_t li = 0; rc == 0 && li < 64; li++)
			if (mask & (UINT64_C(1) << li))
				rc = add_listener(x, k, route, orig, gw, ap->gateway, li, &bv, l7);
	}
	free(bv.v);
	json_decref(route);
	return rc;
}

/* frontend key, then precedence */
static int cmp_cand(const void *pa, const void *pb)
{
	const struct cand *a = pa, *b = pb;
	int c = cmp_addr(&a->addr, &b->addr);

	if (c != 0)
		return c;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if ((c = cmp_str_nullast(a->gw_ts, b->gw_ts)) != 0)
		return c;
	if (a->gw_len != b->gw_len || memcmp(a->gw_ref, b->gw_ref, a->gw_len) != 0) {
		size_t n = a->gw_len < b->gw_len ? a->gw_len : b->gw_len;

		c = memcmp(a->gw_ref, b->gw_ref, n);
		return c != 0 ? c : (a->gw_len < b->gw_len ? -1 : 1);
	}
	if (a->listener != b->listener)
		return a->listener < b->listener ? -1 : 1;
	if ((c = cmp_str_nullast(a->rt_ts, b->rt_ts)) != 0)
		return c;
	if (a->rt_kind != b->rt_kind)
		return a->rt_kind < b->rt_kind ? -1 : 1;
	return strcmp(a->rt_ref, b->rt_ref);
}

static bool same_key(const struct cand *a, const struct cand *b)
{
	return cmp_addr(&a->addr, &b->addr) == 0 && a->port == b->port && a->proto == b->proto;
}

static bool same_listener(const struct cand *a, const struct cand *b)
{
	return same_key(a, b) && a->gw_len == b->gw_len && memcmp(a->gw_ref, b->gw_ref, a->gw_len) == 0 &&
	       a->listener == b->listener;
}

/* Move the winners of x->c into ret. */
static int pick(struct ctx *x, struct lbplan *ret)
{
	size_t i = 0;

	if (x->c.n > 1)
		qsort(x->c.v, x->c.n, sizeof(x->c.v[0]), cmp_cand);
	ret->frontends = x->c.n ? calloc(x->c.n, sizeof(*ret->frontends)) : NULL;
	if (x->c.n && ret->frontends == NULL)
		return ERR_NOMEM;
	while (i < x->c.n) {
		struct cand *w = &x->c.v[i];
		size_t j = i + 1, same_l = 1;

		while (j < x->c.n && same_key(w, &x->c.v[j])) {
			if (same_listener(w, &x->c.v[j]))
				same_l++;
			j++;
		}
		if (!w->http || (same_l == 1 && !w->l7)) {
			struct lbplan_frontend *f = &ret->frontends[ret->n_frontends++];

			f->addr = w->addr;
			f->port = w->port;
			f->proto = w->proto;
			f->source = w->src;
			f->backends = w->b;
			f->n_backends = w->nb;
			w->src = NULL;
			w->b = NULL;
		}
		i = j;
	}
	return 0;
}

int lbplan_build(const struct view *v, const struct lbplan_opts *opts, struct lbplan *ret,
		 struct err *err)
{
	static const enum kind kinds[] = { KIND_TCPROUTE, KIND_UDPROUTE, KIND_HTTPROUTE, KIND_GRPCROUTE };
	static const struct lbplan_opts defaults = { .allow_http = false };
	struct ctx x;
	int rc = 0;

	memset(ret, 0, sizeof(*ret));
	memset(&x, 0, sizeof(x));
	x.v = v;
	x.opts = opts != NULL ? opts : &defaults;
	hmap_init(&x.slices);
	x.res = malloc(sizeof(*x.res));
	if (x.res == NULL)
		return err_set(err, ERR_NOMEM, "lbplan: out of memory");
	for (size_t ki = 0; rc == 0 && ki < sizeof(kinds) / sizeof(kinds[0]); ki++) {
		const json_t *const *routes;
		size_t n;

		if ((kinds[ki] == KIND_HTTPROUTE || kinds[ki] == KIND_GRPCROUTE) && !x.opts->allow_http)
			continue;
		n = view_list_kind(v, kinds[ki], &routes);
		for (size_t i = 0; rc == 0 && i < n; i++)
			rc = add_route(&x, kinds[ki], routes[i]);
	}
	if (rc == 0)
		rc = pick(&x, ret);
	for (size_t i = 0; i < x.c.n; i++)
		cand_free(&x.c.v[i]);
	free(x.c.v);
	free(x.res);
	hmap_release(&x.slices, slist_free);
	if (rc != 0) {
		lbplan_free(ret);
		return err_set(err, rc, "lbplan: %s", rc == ERR_NOMEM ? "out of memory" : "internal error");
	}
	return 0;
}

void lbplan_free(struct lbplan *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n_frontends; i++) {
		free(p->frontends[i].source);
		free(p->frontends[i].backends);
	}
	free(p->frontends);
	memset(p, 0, sizeof(*p));
}
