/*
 * policy_check: Gateway defaults and validation policies (see policy.h).
 *
 * Hostname ownership, for a hostname h claimed in namespace ns, per HostnameOwnership
 * policy: h is fine when an owner entry that selects ns has a pattern covering h
 * (hostname_covers: "*.a.example.com" covers "x.a.example.com" and
 * "*.x.a.example.com"). Otherwise it is denied when another entry covers h (the
 * message names that owner) or when ns has entries of its own (h is outside its
 * patterns). A namespace no entry selects may claim hostnames no entry covers.
 */
#include "policy_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "findings.h"
#include "hostname.h"
#include "jcopy.h"
#include "jpatch.h"
#include "jv.h"

#define CM_ISSUER "cert-manager.io/issuer"
#define CM_CLUSTER_ISSUER "cert-manager.io/cluster-issuer"

static bool has_https_listener(const json_t *gw)
{
	size_t i;
	json_t *l;

	json_array_foreach(jv_arr(jv_obj(gw, "spec"), "listeners"), i, l)
		if (jv_streq(l, "protocol", "HTTPS"))
			return true;
	return false;
}

int policy_gateway_patch(const struct policy_set *s, const struct view *v, const json_t *gw,
			 json_t **ret_patch, struct err *err)
{
	json_t *target = jcopy(gw), *md, *ann;
	int rc;

	*ret_patch = NULL;
	if (target == NULL)
		return err_set(err, ERR_NOMEM, "policy: out of memory");
	md = json_object_get(target, "metadata");
	if (!json_is_object(md)) {
		json_decref(target);
		return err_set(err, ERR_INVALID, "policy: the Gateway has no metadata");
	}
	ann = json_object_get(md, "annotations");
	for (size_t i = 0; s != NULL && i < s->n; i++) {
		const struct policy_rule *r = &s->v[i];
		const char *k;
		json_t *val;

		if (r->kind != POLICY_GWDEFAULTS || !policy_select_gateway(&r->sel, v, gw))
			continue;
		if (r->https_only && !has_https_listener(gw))
			continue;
		json_object_foreach(r->annotations, k, val) {
			if (json_object_get(ann, k) != NULL)
				continue;
			/* one issuer is enough: cert-manager refuses a Gateway with both */
			if ((strcmp(k, CM_ISSUER) == 0 && json_object_get(ann, CM_CLUSTER_ISSUER) != NULL) ||
			    (strcmp(k, CM_CLUSTER_ISSUER) == 0 && json_object_get(ann, CM_ISSUER) != NULL))
				continue;
			if (!json_is_object(ann)) {
				ann = json_object();
				if (ann == NULL || json_object_set_new(md, "annotations", ann) != 0) {
					json_decref(target);
					return err_set(err, ERR_NOMEM, "policy: out of memory");
				}
			}
			if (json_object_set(ann, k, val) != 0) {
				json_decref(target);
				return err_set(err, ERR_NOMEM, "policy: out of memory");
			}
		}
	}
	rc = jpatch_diff(gw, target, ret_patch, err);
	json_decref(target);
	return rc;
}

/* ---- hostname ownership ---- */

static void describe_entry(const json_t *e, char *buf, size_t cap)
{
	const char *name = jv_str(e, "name");
	size_t n = 0, i;
	json_t *x;

	if (name != NULL) {
		snprintf(buf, cap, "%s", name);
		return;
	}
	buf[0] = '\0';
	json_array_foreach(jv_arr(e, "namespaces"), i, x) {
		int w = snprintf(buf + n, cap - n, "%s%s", i ? "," : "namespace ", json_string_value(x));

		if (w < 0 || (size_t)w >= cap - n)
			return;
		n += (size_t)w;
	}
	if (n == 0)
		snprintf(buf, cap, "the namespaces of a namespaceSelector");
}

static bool entry_covers(const json_t *e, const char *h)
{
	size_t i;
	json_t *p;

	json_array_foreach(jv_arr(e, "hostnames"), i, p)
		if (hostname_covers(json_string_value(p), h))
			return true;
	return false;
}

static void check_host(const struct policy_set *s, const struct view *v, const char *ns, const char *h,
		       const char *field, struct findings *fs)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct policy_rule *r = &s->v[i];
		bool mine = false, listed = false;
		const json_t *owner = NULL;
		size_t j;
		json_t *e;

		if (r->kind != POLICY_HOSTNAMES)
			continue;
		json_array_foreach(r->entries, j, e) {
			bool sel = policy_entry_selects_ns(e, v, ns), cov = entry_covers(e, h);

			listed = listed || sel;
			if (cov && sel)
				mine = true;
			else if (cov && owner == NULL)
				owner = e;
		}
		if (mine)
			continue;
		if (owner != NULL) {
			char who[256];

			describe_entry(owner, who, sizeof(who));
			findings_add(fs, "POL-HOST-OWNER", field,
				     "hostname %s belongs to %s (%s), not to namespace %s", h, who, r->source, ns);
		} else if (listed) {
			findings_add(fs, "POL-HOST-OWNER", field,
				     "hostname %s is outside the hostnames namespace %s owns (%s)", h, ns, r->source);
		}
	}
}

static bool any_exclusive(const struct policy_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].kind == POLICY_HOSTNAMES && s->v[i].exclusive)
			return true;
	return false;
}

int policy_check_route(const struct policy_set *s, const struct view *v, enum kind k,
		       const json_t *route, struct findings *fs)
{
	const char *ns = policy_obj_ns(route);
	bool excl = any_exclusive(s);
	char field[64];
	size_t i;
	json_t *h;

	(void)k;
	json_array_foreach(jv_arr(jv_obj(route, "spec"), "hostnames"), i, h) {
		const char *hs = json_string_value(h);

		if (hs == NULL)
			continue;
		snprintf(field, sizeof(field), "spec.hostnames[%zu]", i);
		check_host(s, v, ns, hs, field, fs);
		if (!excl)
			continue;
		for (int ki = 0; ki < 2; ki++) {
			enum kind rk = ki == 0 ? KIND_HTTPROUTE : KIND_GRPCROUTE;
			const json_t *const *rs;
			size_t n = view_list_hostname(v, rk, hs, &rs), j;

			for (j = 0; j < n; j++) {
				const char *ons = policy_obj_ns(rs[j]);

				if (strcmp(ons, ns) != 0) {
					findings_add(fs, "POL-HOST-TAKEN", field,
						     "hostname %s is already served to namespace %s by %s %s",
						     hs, ons, kind_name(rk), jv_str(jv_obj(rs[j], "metadata"), "name"));
					break;
				}
			}
			if (j < n)
				break;
		}
	}
	return fs->nomem ? ERR_NOMEM : 0;
}

/* ---- Gateways ---- */

static void check_infra(const struct policy_set *s, const struct view *v, const json_t *gw,
			struct findings *fs)
{
	const json_t *ann = jv_obj(jv_obj(jv_obj(gw, "spec"), "infrastructure"), "annotations");
	const char *ns = policy_obj_ns(gw);
	const char *k;
	json_t *val;

	if (ann == NULL)
		return;
	for (size_t i = 0; i < s->n; i++) {
		const struct policy_rule *r = &s->v[i];
		bool selected = false;
		size_t j;
		json_t *e;

		if (r->kind != POLICY_INFRA)
			continue;
		json_array_foreach(r->entries, j, e)
			selected = selected || policy_entry_selects_ns(e, v, ns);
		if (!selected)
			continue;
		json_object_foreach((json_t *)ann, k, val) {
			bool ok = false;
			char field[320];

			(void)val;
			json_array_foreach(r->entries, j, e) {
				size_t q;
				json_t *p;

				if (!policy_entry_selects_ns(e, v, ns))
					continue;
				json_array_foreach(jv_arr(e, "allowedKeys"), q, p)
					ok = ok || policy_glob(json_string_value(p), k);
			}
			if (!ok) {
				snprintf(field, sizeof(field), "spec.infrastructure.annotations[%s]", k);
				findings_add(fs, "POL-INFRA-KEY", field,
					     "namespace %s may not set the annotation %s (%s)", ns, k, r->source);
			}
		}
	}
}

static void check_certmgr(const json_t *gw, struct findings *fs)
{
	const json_t *ann = jv_obj(jv_obj(gw, "metadata"), "annotations");
	const char *ns = policy_obj_ns(gw);
	const char *which = jv_get(ann, CM_ISSUER) != NULL ? CM_ISSUER
			    : jv_get(ann, CM_CLUSTER_ISSUER) != NULL ? CM_CLUSTER_ISSUER : NULL;
	size_t i;
	json_t *l;

	if (which == NULL)
		return;
	json_array_foreach(jv_arr(jv_obj(gw, "spec"), "listeners"), i, l) {
		const char *name = jv_str(l, "name");
		const json_t *tls = jv_obj(l, "tls");
		const char *mode = jv_str(tls, "mode");
		char field[64];
		size_t j;
		json_t *ref;

		if (!jv_streq(l, "protocol", "HTTPS"))
			continue;
		if (name == NULL)
			name = "?";
		snprintf(field, sizeof(field), "spec.listeners[%zu]", i);
		if (jv_str(l, "hostname") == NULL)
			findings_add(fs, "POL-CERTMGR-LISTENER", field,
				     "listener %s has no hostname: cert-manager (%s) skips it and issues no certificate",
				     name, which);
		if (mode != NULL && strcmp(mode, "Terminate") != 0)
			findings_add(fs, "POL-CERTMGR-LISTENER", field,
				     "listener %s has tls.mode %s: cert-manager (%s) only issues for Terminate",
				     name, mode, which);
		json_array_foreach(jv_arr(tls, "certificateRefs"), j, ref) {
			const char *rns = jv_str(ref, "namespace");

			if (rns != NULL && strcmp(rns, ns) != 0)
				findings_add(fs, "POL-CERTMGR-LISTENER", field,
					     "listener %s refers to Secret %s/%s in another namespace: cert-manager (%s) "
					     "only issues into the Gateway's namespace", name, rns,
					     jv_str(ref, "name") != NULL ? jv_str(ref, "name") : "?", which);
		}
	}
}

/* The external-dns hostnames the Gateway's Service would carry: a JSON object used
 * as a set (new reference), or NULL when out of memory. */
static json_t *dns_names(const struct policy_set *s, const struct view *v, const json_t *gw,
			 struct err *err)
{
	json_t *svc = NULL, *patch = NULL, *out = NULL, *set = json_object();
	struct findings scratch;
	const char *val;

	findings_init(&scratch, NULL);
	if (set == NULL || policy_gateway_service(v, gw, &svc, err) != 0 ||
	    policy_service_patch_gw(s, v, svc, NULL, gw, &patch, &scratch, err) != 0 ||
	    jpatch_apply(svc, patch, &out, err) != 0) {
		if (err->code == ERR_NOMEM || set == NULL) {
			json_decref(set);
			set = NULL;
		}
		goto done;
	}
	val = jv_str(jv_obj(jv_obj(out, "metadata"), "annotations"), POLICY_ANN_EXTERNAL_DNS);
	while (val != NULL && *val) {
		const char *end = strchr(val, ',');
		size_t n = end != NULL ? (size_t)(end - val) : strlen(val);
		char h[256];

		while (n > 0 && (*val == ' ')) {
			val++;
			n--;
		}
		while (n > 0 && val[n - 1] == ' ')
			n--;
		if (n > 0 && n < sizeof(h)) {
			memcpy(h, val, n);
			h[n] = '\0';
			if (json_object_set_new(set, h, json_true()) != 0) {
				json_decref(set);
				set = NULL;
				break;
			}
		}
		val = end != NULL ? end + 1 : NULL;
	}
done:
	findings_release(&scratch);
	json_decref(svc);
	json_decref(patch);
	json_decref(out);
	return set;
}

static bool has_service_rules(const struct policy_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].kind == POLICY_SERVICE || s->v[i].kind == POLICY_KYVERNO)
			return true;
	return false;
}

static int check_dns_overlap(const struct policy_set *s, const struct view *v, const json_t *gw,
			     struct findings *fs)
{
	const char *ns = policy_obj_ns(gw), *name = jv_str(jv_obj(gw, "metadata"), "name");
	const json_t *const *gws;
	size_t n = view_list_kind(v, KIND_GATEWAY, &gws);
	struct err err;
	json_t *mine;

	err_init(&err);
	if (name == NULL)
		return 0;
	mine = dns_names(s, v, gw, &err);
	if (mine == NULL)
		return ERR_NOMEM;
	for (size_t i = 0; i < n && json_object_size(mine) > 0; i++) {
		const char *ons = policy_obj_ns(gws[i]), *oname = jv_str(jv_obj(gws[i], "metadata"), "name");
		const char *h;
		json_t *theirs, *x, *tmp;

		if (oname == NULL || (strcmp(ons, ns) == 0 && strcmp(oname, name) == 0))
			continue;
		theirs = dns_names(s, v, gws[i], &err);
		if (theirs == NULL) {
			json_decref(mine);
			return ERR_NOMEM;
		}
		json_object_foreach_safe(mine, tmp, h, x) {
			(void)x;
			if (json_object_get(theirs, h) == NULL)
				continue;
			findings_add(fs, "POL-DNS-OVERLAP", "metadata.annotations",
				     "external-dns hostname %s is also published for Gateway %s/%s: "
				     "the two would fight over the DNS record", h, ons, oname);
			json_object_del(mine, h); /* one finding per hostname */
		}
		json_decref(theirs);
	}
	json_decref(mine);
	return 0;
}

int policy_check_gateway(const struct policy_set *s, const struct view *v, const json_t *gw,
			 struct findings *fs)
{
	const char *ns = policy_obj_ns(gw);
	char field[64];
	size_t i;
	json_t *l;
	int rc = 0;

	if (s == NULL)
		return 0;
	check_infra(s, v, gw, fs);
	json_array_foreach(jv_arr(jv_obj(gw, "spec"), "listeners"), i, l) {
		const char *h = jv_str(l, "hostname");

		if (h == NULL)
			continue;
		snprintf(field, sizeof(field), "spec.listeners[%zu].hostname", i);
		check_host(s, v, ns, h, field, fs);
	}
	check_certmgr(gw, fs);
	if (has_service_rules(s))
		rc = check_dns_overlap(s, v, gw, fs);
	return rc != 0 || fs->nomem ? ERR_NOMEM : 0;
}
