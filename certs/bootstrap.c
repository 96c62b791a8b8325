/*
 * bootstrap: see bootstrap.h.
 *
 * One attempt = read both webhook configurations (does their caBundle carry the next
 * CA?), read the Secret, plan the next state in memory, write the Secret if it
 * changed (create, or PUT with its resourceVersion), then make caBundle equal to the
 * Secret's bundle in both configurations (JSON Patch whose first operation tests the
 * resourceVersion it was computed from). A conflict anywhere restarts the attempt.
 */
#define _POSIX_C_SOURCE 200809L
#include "b64.h"
#include "bootstrap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "jv.h"
#include "kube.h"
#include "x509.h"

#define BUNDLE_MAX 8
#define ATTEMPTS 5
#define ANN_NEXT_SINCE "gatewarden.io/ca-next-since"

void bootstrap_opts_init(struct bootstrap_opts *o, long long now)
{
	memset(o, 0, sizeof(*o));
	certgen_opts_init(&o->gen, now);
	o->gen.days = 90;
	o->gen.ca_days = 1825;
	o->secret = "gatewarden-webhook-tls";
	o->webhook_config = "gatewarden";
	o->renew_before = 30LL * 86400;
	o->ca_renew_before = 180LL * 86400;
	o->propagation = 60;
	o->now = now;
}

/* ---- base64 (core/b64.c) ------------------------------------------------------------ */

static char *b64_text(const char *s)
{
	return b64_encode(s, strlen(s));
}

/* A NUL-terminated copy of the decoded bytes; NULL when s is not base64 (or ENOMEM). */
static char *b64_text_decode(const char *s)
{
	unsigned char *out;
	size_t n;

	return b64_decode(s, strlen(s), false, &out, &n) == 0 ? (char *)out : NULL;
}

static void free_secret_text(char *s)
{
	if (s != NULL) {
		x509_wipe(s, strlen(s));
		free(s);
	}
}

/* ---- the state kept in the Secret --------------------------------------------------- */

struct ca {
	char *pem;
	long long not_after;
};

struct state {
	char *rv;                   /* the Secret's resourceVersion, NULL when absent */
	json_t *obj;                /* the Secret as read (for its metadata), or NULL */
	char *leaf_crt, *leaf_key;
	char *ca_key;               /* key of bundle[0] */
	struct ca bundle[BUNDLE_MAX];
	int nbundle;
	char *next_crt, *next_key;
	long long next_since;
};

static void state_free(struct state *s)
{
	free(s->rv);
	json_decref(s->obj);
	free(s->leaf_crt);
	free_secret_text(s->leaf_key);
	free_secret_text(s->ca_key);
	for (int i = 0; i < s->nbundle; i++)
		free(s->bundle[i].pem);
	free(s->next_crt);
	free_secret_text(s->next_key);
	memset(s, 0, sizeof(*s));
}

static char *data_text(const json_t *secret, const char *key)
{
	const char *v = jv_str(jv_obj(secret, "data"), key);

	return v != NULL ? b64_text_decode(v) : NULL;
}

static long long cert_not_after(const char *pem)
{
	struct x509_cert *c = NULL;
	bool rest_bad;
	long long nb = 0, na = 0;

	if (pem == NULL || x509_chain_first(pem, strlen(pem), &c, &rest_bad) != 0)
		return 0;
	if (!x509_cert_validity(c, &nb, &na))
		na = 0;
	x509_cert_free(c);
	return na;
}

/* Split a PEM bundle into single certificates (each with its END line and newline). */
static int split_bundle(const char *text, struct state *s)
{
	static const char end[] = "-----END CERTIFICATE-----";
	const char *p = text;

	while (p != NULL && s->nbundle < BUNDLE_MAX) {
		const char *b = strstr(p, "-----BEGIN CERTIFICATE-----"), *e;
		size_t n;

		if (b == NULL)
			break;
		e = strstr(b, end);
		if (e == NULL)
			break;
		n = (size_t)(e - b) + sizeof(end) - 1;
		s->bundle[s->nbundle].pem = malloc(n + 2);
		if (s->bundle[s->nbundle].pem == NULL)
			return ERR_NOMEM;
		memcpy(s->bundle[s->nbundle].pem, b, n);
		memcpy(s->bundle[s->nbundle].pem + n, "\n", 2);
		s->bundle[s->nbundle].not_after = cert_not_after(s->bundle[s->nbundle].pem);
		s->nbundle++;
		p = e + sizeof(end) - 1;
	}
	return 0;
}

static int state_load(const json_t *secret, struct state *s)
{
	const char *rv = jv_str(jv_obj(secret, "metadata"), "resourceVersion");
	const char *since = jv_str(jv_obj(jv_obj(secret, "metadata"), "annotations"), ANN_NEXT_SINCE);
	char *bundle;
	int rc;

	s->obj = json_deep_copy(secret);
	s->rv = strdup(rv != NULL ? rv : "");
	if (s->obj == NULL || s->rv == NULL)
		return ERR_NOMEM;
	s->leaf_crt = data_text(secret, "tls.crt");
	s->leaf_key = data_text(secret, "tls.key");
	s->ca_key = data_text(secret, "ca.key");
	s->next_crt = data_text(secret, "ca-next.crt");
	s->next_key = data_text(secret, "ca-next.key");
	s->next_since = since != NULL ? strtoll(since, NULL, 10) : 0;
	bundle = data_text(secret, "ca.crt");
	rc = bundle != NULL ? split_bundle(bundle, s) : 0;
	free(bundle);
	return rc;
}

/* ---- planning ----------------------------------------------------------------------------- */

/* true when pem/key are a CA pair valid at now */
static bool ca_ok(const char *pem, const char *key, long long now)
{
	struct x509_cert *c = NULL;
	struct x509_key *k = NULL;
	struct x509_info info;
	bool rest_bad, ok = false;

	if (pem == NULL || key == NULL || x509_chain_first(pem, strlen(pem), &c, &rest_bad) != 0)
		return false;
	if (x509_key_parse(key, strlen(key), &k) == 0 && x509_key_matches(c, k) && x509_cert_info(c, &info) == 0) {
		ok = info.is_ca && info.key_cert_sign && info.not_before <= now && now < info.not_after;
		x509_info_free(&info);
	}
	x509_key_free(k);
	x509_cert_free(c);
	return ok;
}

static bool has_name(const json_t *arr, const char *name)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v) {
		if (strcmp(json_string_value(v), name) == 0)
			return true;
	}
	return false;
}

/* true when the serving certificate can stay: its key, chain to the signing CA, names,
 * and more than renew_before left */
static bool leaf_ok(const struct state *s, const struct bootstrap_opts *o)
{
	struct x509_cert *c = NULL;
	struct x509_key *k = NULL;
	struct x509_info info;
	bool rest_bad, ok = false;
	char svc[160];

	if (s->leaf_crt == NULL || s->leaf_key == NULL || s->nbundle == 0 ||
	    x509_chain_first(s->leaf_crt, strlen(s->leaf_crt), &c, &rest_bad) != 0)
		return false;
	snprintf(svc, sizeof(svc), "%s.%s.svc", o->gen.service, o->gen.namespace);
	if (x509_key_parse(s->leaf_key, strlen(s->leaf_key), &k) == 0 && x509_key_matches(c, k) &&
	    x509_verify(c, s->bundle[0].pem, strlen(s->bundle[0].pem), o->now, NULL) == 0 &&
	    x509_cert_info(c, &info) == 0) {
		ok = info.not_after - o->now > o->renew_before && has_name(info.dns, svc) && info.server_auth;
		for (size_t i = 0; ok && i < o->gen.ndns; i++)
			ok = has_name(info.dns, o->gen.dns[i]);
		for (size_t i = 0; ok && i < o->gen.nips; i++)
			ok = has_name(info.ips, o->gen.ips[i]);
		x509_info_free(&info);
	}
	x509_key_free(k);
	x509_cert_free(c);
	return ok;
}

static void drop_bundle(struct state *s, int i)
{
	free(s->bundle[i].pem);
	memmove(&s->bundle[i], &s->bundle[i + 1], sizeof(s->bundle[0]) * (size_t)(s->nbundle - i - 1));
	s->nbundle--;
}

/* the generation options, on the real clock */
static struct certgen_opts gen_now(const struct bootstrap_opts *o)
{
	struct certgen_opts g = o->gen;

	g.now = (long long)time(NULL);
	return g;
}

/* Move s one step (see bootstrap.h). *changed when the Secret must be written.
 * next_trusted: both configurations' caBundle carry s->next_crt. */
static int plan(struct state *s, const struct bootstrap_opts *o, bool next_trusted, bool *changed,
		struct bootstrap_result *r, struct err *err)
{
	struct certgen_opts g = gen_now(o);
	bool new_leaf = false;
	int rc;

	*changed = false;
	/* the signing CA */
	if (s->nbundle == 0 || !ca_ok(s->bundle[0].pem, s->ca_key, o->now)) {
		struct x509_pem ca;

		rc = certgen_make_ca(&g, &ca, err);
		if (rc != 0)
			return rc;
		/* keep the other CAs still valid: certificates they signed may be served */
		if (s->nbundle > 0) {
			free(s->bundle[0].pem);
			s->bundle[0] = s->bundle[--s->nbundle];
		}
		for (int i = s->nbundle - 1; i >= 0; i--)
			if (s->bundle[i].not_after <= o->now)
				drop_bundle(s, i);
		if (s->nbundle == BUNDLE_MAX)
			drop_bundle(s, BUNDLE_MAX - 1);
		memmove(&s->bundle[1], &s->bundle[0], sizeof(s->bundle[0]) * (size_t)s->nbundle);
		s->bundle[0] = (struct ca){ .pem = ca.cert, .not_after = cert_not_after(ca.cert) };
		s->nbundle++;
		free_secret_text(s->ca_key);
		s->ca_key = ca.key;
		free(s->next_crt);
		free_secret_text(s->next_key);
		s->next_crt = s->next_key = NULL;
		r->ca_created = new_leaf = *changed = true;
	}
	/* a pending next CA: promote it once trusted long enough, drop it when unusable */
	if (s->next_crt != NULL || s->next_key != NULL) {
		if (!ca_ok(s->next_crt, s->next_key, o->now)) {
			free(s->next_crt);
			free_secret_text(s->next_key);
			s->next_crt = s->next_key = NULL;
			*changed = true;
		} else if (next_trusted && o->now - s->next_since >= o->propagation) {
			int at = -1;

			for (int i = 0; i < s->nbundle; i++)
				if (strcmp(s->bundle[i].pem, s->next_crt) == 0)
					at = i;
			if (at < 0) { /* not in the bundle (edited by hand): add it, trust it first */
				char *copy = strdup(s->next_crt);

				if (copy == NULL)
					return err_set(err, ERR_NOMEM, "out of memory");
				if (s->nbundle == BUNDLE_MAX)
					drop_bundle(s, BUNDLE_MAX - 1);
				s->bundle[s->nbundle++] = (struct ca){ .pem = copy, .not_after = cert_not_after(copy) };
				s->next_since = o->now;
				*changed = true;
			} else {
				struct ca promoted = s->bundle[at];

				memmove(&s->bundle[1], &s->bundle[0], sizeof(s->bundle[0]) * (size_t)at);
				s->bundle[0] = promoted;
				free(s->next_crt);
				s->next_crt = NULL;
				free_secret_text(s->ca_key);
				s->ca_key = s->next_key;
				s->next_key = NULL;
				r->ca_promoted = new_leaf = *changed = true;
			}
		}
	} else if (s->bundle[0].not_after - o->now <= o->ca_renew_before) {
		struct x509_pem ca;

		rc = certgen_make_ca(&g, &ca, err);
		if (rc != 0)
			return rc;
		if (s->nbundle == BUNDLE_MAX)
			drop_bundle(s, BUNDLE_MAX - 1);
		s->bundle[s->nbundle].pem = strdup(ca.cert);
		if (s->bundle[s->nbundle].pem == NULL) {
			x509_pem_free(&ca);
			return err_set(err, ERR_NOMEM, "out of memory");
		}
		s->bundle[s->nbundle].not_after = cert_not_after(ca.cert);
		s->nbundle++;
		s->next_crt = ca.cert;
		s->next_key = ca.key;
		s->next_since = o->now;
		r->ca_next_added = *changed = true;
	}
	/* expired CAs other than the signing one */
	for (int i = s->nbundle - 1; i >= 1; i--) {
		if (s->bundle[i].not_after <= o->now) {
			drop_bundle(s, i);
			r->ca_dropped++;
			*changed = true;
		}
	}
	/* the serving certificate */
	if (new_leaf || !leaf_ok(s, o)) {
		struct x509_pem ca = { .cert = s->bundle[0].pem, .key = s->ca_key }, leaf;

		rc = certgen_make_serving(&g, &ca, &leaf, err);
		if (rc != 0)
			return rc;
		free(s->leaf_crt);
		free_secret_text(s->leaf_key);
		s->leaf_crt = leaf.cert;
		s->leaf_key = leaf.key;
		r->leaf_issued = *changed = true;
	}
	return 0;
}

/* The bundle as one PEM text (malloc'd). */
static char *bundle_text(const struct state *s)
{
	size_t n = 1;
	char *out;

	for (int i = 0; i < s->nbundle; i++)
		n += strlen(s->bundle[i].pem);
	out = malloc(n);
	if (out == NULL)
		return NULL;
	out[0] = '\0';
	for (int i = 0; i < s->nbundle; i++)
		strcat(out, s->bundle[i].pem);
	return out;
}

static int set_b64(json_t *data, const char *key, const char *text)
{
	char *enc = b64_text(text);
	int rc = enc != NULL && json_object_set_new(data, key, json_string(enc)) == 0 ? 0 : ERR_NOMEM;

	free_secret_text(enc);
	return rc;
}

/* The Secret to write: the one read (labels, annotations, owner references kept) with
 * our data and annotation, or a new one. */
static json_t *secret_json(const struct state *s, const struct bootstrap_opts *o)
{
	json_t *obj = s->obj != NULL ? json_deep_copy(s->obj) : json_object();
	json_t *meta, *data = json_object(), *ann;
	char *bundle = bundle_text(s);
	int bad = obj == NULL || data == NULL || bundle == NULL;

	if (!bad && s->obj == NULL) {
		bad = json_object_set_new(obj, "apiVersion", json_string("v1")) ||
		      json_object_set_new(obj, "kind", json_string("Secret")) ||
		      json_object_set_new(obj, "metadata",
					  json_pack("{ss ss s{ss ss ss}}", "name", o->secret, "namespace",
						    o->gen.namespace, "labels", "app.kubernetes.io/name", "gatewarden",
						    "app.kubernetes.io/component", "webhook",
						    "app.kubernetes.io/managed-by", "gatewarden-certs"));
	}
	meta = jv_obj(obj, "metadata");
	bad = bad || meta == NULL;
	if (!bad) {
		ann = jv_obj(meta, "annotations");
		if (ann == NULL) {
			ann = json_object();
			bad = json_object_set_new(meta, "annotations", ann) != 0;
		}
		if (!bad && s->next_crt != NULL) {
			char since[32];

			snprintf(since, sizeof(since), "%lld", s->next_since);
			bad = json_object_set_new(ann, ANN_NEXT_SINCE, json_string(since)) != 0;
		} else if (!bad) {
			json_object_del(ann, ANN_NEXT_SINCE);
		}
		json_object_del(meta, "managedFields");
	}
	bad = bad || json_object_set_new(obj, "type", json_string("kubernetes.io/tls"));
	bad = bad || set_b64(data, "tls.crt", s->leaf_crt) || set_b64(data, "tls.key", s->leaf_key) ||
	      set_b64(data, "ca.crt", bundle) || set_b64(data, "ca.key", s->ca_key);
	if (!bad && s->next_crt != NULL)
		bad = set_b64(data, "ca-next.crt", s->next_crt) || set_b64(data, "ca-next.key", s->next_key);
	json_object_del(obj, "stringData");
	bad = bad || json_object_set(obj, "data", data);
	json_decref(data);
	free(bundle);
	if (bad) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

/* ---- the API calls ------------------------------------------------------------------------- */

static int http_fail(struct err *err, const char *what, const struct kube_resp *r)
{
	const char *msg = jv_str(r->body, "message");

	if (r->status == 404)
		return err_set(err, ERR_NOTFOUND, "%s: not found (HTTP 404)%s%s", what, msg ? ": " : "", msg ? msg : "");
	return err_set(err, ERR_IO, "%s: HTTP %ld%s%s", what, r->status, msg ? ": " : "", msg ? msg : "");
}

enum { CFG_VALIDATING, CFG_MUTATING, CFG_N };

static const char *cfg_kind[CFG_N] = { "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration" };

static void cfg_path(int which, const char *name, char *buf, size_t n)
{
	if (which == CFG_VALIDATING)
		snprintf(buf, n, "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/%s", name);
	else
		snprintf(buf, n, "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/%s", name);
}

/* GET both configurations into cfg[]. */
static int get_configs(struct kube *k, const struct bootstrap_opts *o, json_t *cfg[CFG_N], struct err *err)
{
	for (int i = 0; i < CFG_N; i++) {
		struct kube_resp r = { 0 };
		char path[512], what[600];
		int rc;

		cfg_path(i, o->webhook_config, path, sizeof(path));
		rc = kube_request(k, "GET", path, NULL, NULL, &r, err);
		if (rc != 0)
			return rc;
		if (r.status != 200 || !json_is_object(r.body)) {
			snprintf(what, sizeof(what), "%s %s", cfg_kind[i], o->webhook_config);
			rc = http_fail(err, what, &r);
			kube_resp_clear(&r);
			return rc;
		}
		cfg[i] = json_incref(r.body);
		kube_resp_clear(&r);
	}
	return 0;
}

/* true when every webhook of cfg has a caBundle containing pem */
static bool cfg_trusts(const json_t *cfg, const char *pem)
{
	size_t i;
	json_t *wh;
	bool ok = json_array_size(jv_arr(cfg, "webhooks")) > 0;

	json_array_foreach(jv_arr(cfg, "webhooks"), i, wh) {
		const char *b = jv_str(jv_obj(wh, "clientConfig"), "caBundle");
		char *text = b != NULL ? b64_text_decode(b) : NULL;

		ok = ok && text != NULL && strstr(text, pem) != NULL;
		free(text);
	}
	return ok;
}

/* Make caBundle = want (base64) in every webhook of cfg. 0 done (or nothing to do),
 * 1 conflict, or an error. */
static int sync_config(struct kube *k, int which, const struct bootstrap_opts *o, const json_t *cfg, const char *want,
		       bool *patched, struct err *err)
{
	json_t *ops = json_array(), *wh;
	const char *rv = jv_str(jv_obj(cfg, "metadata"), "resourceVersion");
	struct kube_resp r = { 0 };
	char path[512], ptr[96], what[600];
	size_t i;
	int rc, n = 0;

	*patched = false;
	if (ops == NULL || rv == NULL || json_array_append_new(ops, json_pack("{ss ss ss}", "op", "test", "path",
									 "/metadata/resourceVersion", "value", rv)) != 0) {
		json_decref(ops);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	json_array_foreach(jv_arr(cfg, "webhooks"), i, wh) {
		const json_t *cc = jv_obj(wh, "clientConfig");
		const char *have = jv_str(cc, "caBundle");

		if (have != NULL && strcmp(have, want) == 0)
			continue;
		snprintf(ptr, sizeof(ptr), "/webhooks/%zu/clientConfig/caBundle", i);
		if (json_array_append_new(ops, json_pack("{ss ss ss}", "op", cc != NULL && jv_get(cc, "caBundle") ? "replace" : "add",
							 "path", ptr, "value", want)) != 0) {
			json_decref(ops);
			return err_set(err, ERR_NOMEM, "out of memory");
		}
		n++;
	}
	if (n == 0) {
		json_decref(ops);
		return 0;
	}
	cfg_path(which, o->webhook_config, path, sizeof(path));
	rc = kube_request(k, "PATCH", path, "application/json-patch+json", ops, &r, err);
	json_decref(ops);
	if (rc != 0)
		return rc;
	if (r.status == 409 || r.status == 422) { /* the test failed: someone wrote in between */
		kube_resp_clear(&r);
		return 1;
	}
	if (r.status != 200) {
		snprintf(what, sizeof(what), "patching caBundle of %s %s", cfg_kind[which], o->webhook_config);
		rc = http_fail(err, what, &r);
		kube_resp_clear(&r);
		return rc;
	}
	kube_resp_clear(&r);
	*patched = true;
	return 0;
}

/* GET the Secret: 0 with *secret set (NULL when it does not exist), or an error. */
static int get_secret(struct kube *k, const struct bootstrap_opts *o, json_t **secret, struct err *err)
{
	struct kube_resp r = { 0 };
	char path[512], what[300];
	int rc;

	*secret = NULL;
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/secrets/%s", o->gen.namespace, o->secret);
	rc = kube_request(k, "GET", path, NULL, NULL, &r, err);
	if (rc != 0)
		return rc;
	if (r.status == 200 && json_is_object(r.body))
		*secret = json_incref(r.body);
	else if (r.status != 404) {
		snprintf(what, sizeof(what), "reading Secret %s/%s", o->gen.namespace, o->secret);
		rc = http_fail(err, what, &r);
	}
	kube_resp_clear(&r);
	return rc;
}

/* Create or update the Secret: 0 written, 1 conflict, or an error. */
static int put_secret(struct kube *k, const struct bootstrap_opts *o, const struct state *s, struct err *err)
{
	json_t *obj = secret_json(s, o);
	struct kube_resp r = { 0 };
	char path[512], what[300];
	int rc;

	if (obj == NULL)
		return err_set(err, ERR_NOMEM, "out of memory");
	if (s->obj == NULL) {
		snprintf(path, sizeof(path), "/api/v1/namespaces/%s/secrets", o->gen.namespace);
		rc = kube_request(k, "POST", path, NULL, obj, &r, err);
	} else {
		snprintf(path, sizeof(path), "/api/v1/namespaces/%s/secrets/%s", o->gen.namespace, o->secret);
		rc = kube_request(k, "PUT", path, NULL, obj, &r, err);
	}
	/* the body held key material: wipe it */
	{
		const char *keys[] = { "tls.key", "ca.key", "ca-next.key" };
		json_t *data = jv_obj(obj, "data");

		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			const char *v = jv_str(data, keys[i]);

			if (v != NULL)
				x509_wipe((char *)v, strlen(v));
		}
	}
	json_decref(obj);
	if (rc != 0)
		return rc;
	if (r.status == 409) {
		kube_resp_clear(&r);
		return 1;
	}
	if (r.status != 200 && r.status != 201) {
		snprintf(what, sizeof(what), "writing Secret %s/%s", o->gen.namespace, o->secret);
		rc = http_fail(err, what, &r);
	}
	kube_resp_clear(&r);
	return rc;
}

/* One try. *patched gains bit i when webhook configuration i's caBundle was patched. */
static int attempt(struct kube *k, const struct bootstrap_opts *o, struct bootstrap_result *r, unsigned *patched_mask,
		   struct err *err)
{
	json_t *cfg[CFG_N] = { NULL, NULL }, *secret = NULL;
	struct state s;
	bool changed = false, trusted;
	char *bundle = NULL, *want = NULL;
	int rc;

	memset(&s, 0, sizeof(s));
	rc = get_configs(k, o, cfg, err);
	if (rc == 0)
		rc = get_secret(k, o, &secret, err);
	if (rc == 0 && secret != NULL)
		rc = state_load(secret, &s);
	if (rc == 0) {
		trusted = s.next_crt != NULL && cfg_trusts(cfg[CFG_VALIDATING], s.next_crt) &&
			  cfg_trusts(cfg[CFG_MUTATING], s.next_crt);
		rc = plan(&s, o, trusted, &changed, r, err);
	}
	if (rc == 0 && changed) {
		rc = put_secret(k, o, &s, err);
		if (rc == 0) {
			r->secret_written = true;
			r->created = r->created || s.obj == NULL;
		}
	}
	if (rc == 0) {
		bundle = bundle_text(&s);
		want = bundle != NULL ? b64_text(bundle) : NULL;
		if (want == NULL)
			rc = err_set(err, ERR_NOMEM, "out of memory");
	}
	for (int i = 0; rc == 0 && i < CFG_N; i++) {
		bool patched = false;

		rc = sync_config(k, i, o, cfg[i], want, &patched, err);
		if (patched)
			*patched_mask |= 1u << i;
	}
	r->bundle_size = s.nbundle;
	free(bundle);
	free(want);
	state_free(&s);
	json_decref(secret);
	json_decref(cfg[0]);
	json_decref(cfg[1]);
	return rc;
}

int bootstrap_run(struct kube *k, const struct bootstrap_opts *o, struct bootstrap_result *r, struct err *err)
{
	struct x509_pem none = { 0 };
	int rc;

	memset(r, 0, sizeof(*r));
	if (o->secret == NULL || !certgen_label_ok(o->webhook_config) || o->renew_before < 0 ||
	    o->ca_renew_before < 0 || o->propagation < 0)
		return err_set(err, ERR_INVALID, "bad options (secret, webhook configuration name, durations)");
	{
		/* the Secret name is a DNS subdomain; labels are enough here */
		const char *p = o->secret;

		if (*p == '\0' || strlen(p) > 253)
			return err_set(err, ERR_INVALID, "Secret name '%s' is not valid", p);
		for (; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
				return err_set(err, ERR_INVALID, "Secret name '%s' is not valid", o->secret);
	}
	/* option errors before any API call */
	{
		struct certgen_opts g = gen_now(o);

		rc = certgen_make_ca(&g, &none, err);
		x509_pem_free(&none);
		if (rc != 0)
			return rc;
	}
	if (o->renew_before >= (long long)o->gen.days * 86400)
		return err_set(err, ERR_INVALID, "--renew-before must be shorter than the serving lifetime");
	if (o->ca_renew_before >= (long long)o->gen.ca_days * 86400)
		return err_set(err, ERR_INVALID, "--ca-renew-before must be shorter than the CA lifetime");
	{
		/* what an attempt wrote stays written when a later step of it conflicts and
		 * the run starts over: the report covers every attempt's landed writes */
		struct bootstrap_result done = { 0 };
		unsigned patched = 0;

		for (int i = 0; i < ATTEMPTS; i++) {
			memset(r, 0, sizeof(*r));
			r->conflicts = i;
			rc = attempt(k, o, r, &patched, err);
			if (r->secret_written) {
				done.secret_written = true;
				done.created = done.created || r->created;
				done.leaf_issued = done.leaf_issued || r->leaf_issued;
				done.ca_created = done.ca_created || r->ca_created;
				done.ca_next_added = done.ca_next_added || r->ca_next_added;
				done.ca_promoted = done.ca_promoted || r->ca_promoted;
				done.ca_dropped += r->ca_dropped;
			}
			if (rc != 1) {
				r->secret_written = done.secret_written;
				r->created = done.created;
				r->leaf_issued = done.leaf_issued;
				r->ca_created = done.ca_created;
				r->ca_next_added = done.ca_next_added;
				r->ca_promoted = done.ca_promoted;
				r->ca_dropped = done.ca_dropped;
				r->configs_patched = __builtin_popcount(patched);
				return rc;
			}
		}
	}
	return err_set(err, ERR_LIMIT, "still conflicting with other writers after %d attempts", ATTEMPTS);
}
