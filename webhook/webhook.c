/* webhook: AdmissionReview endpoints (see webhook.h). */
#include "webhook.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "admit.h"
#include "defaults.h"
#include "engine.h"
#include "err.h"
#include "findings.h"
#include "hmap.h"
#include "jarena.h"
#include "jcopy.h"
#include "jlog.h"
#include "b64.h"
#include "jparse.h"
#include "jpatch.h"
#include "jv.h"
#include "jwrite.h"
#include "kind.h"
#include "policy.h"

/* What the apiserver keeps of warnings: each under 256 characters, 4096 in total. */
#define WARNING_MAX 240
#define WARNINGS_TOTAL_MAX 3800
#define DENY_MESSAGE_MAX 8192

struct webhook {
	struct webhook_config c;
	struct metrics *m;
	struct httpd *_Atomic httpd;   /* set once serving (webhook_set_httpd); read by /metrics */
	atomic_bool draining;
	/* each Gateway's share of its Service (policy_memo), for one view and policy
	 * generation each */
	pthread_rwlock_t memo_lock; /* reviews share it to read; a put writes */
	struct hmap memo;       /* "ns/name" -> struct memo_entry * */
};

/* Gateways remembered at most; past that the memo starts over (a cluster has far
 * fewer Gateways than this) */
#define MEMO_MAX 4096

struct memo_entry {
	uint64_t view_gen, policy_gen;
	json_t *val;            /* owned */
};

static void memo_entry_free(void *p)
{
	struct memo_entry *e = p;

	json_decref(e->val);
	free(e);
}

/* "ns/name" into key (cap bytes); false when it does not fit */
static bool memo_key(char *key, size_t cap, const char *ns, const char *name)
{
	size_t a = strlen(ns), b = strlen(name);

	if (a + b + 2 > cap)
		return false;
	memcpy(key, ns, a);
	key[a] = '/';
	memcpy(key + a + 1, name, b + 1);
	return true;
}

static json_t *memo_get(void *ud, const char *ns, const char *name, uint64_t view_gen, uint64_t policy_gen)
{
	struct webhook *w = ud;
	char key[512];
	struct memo_entry *e;
	json_t *val = NULL;

	if (!memo_key(key, sizeof(key), ns, name))
		return NULL;
	pthread_rwlock_rdlock(&w->memo_lock);
	e = hmap_get(&w->memo, key);
	if (e != NULL && e->view_gen == view_gen && e->policy_gen == policy_gen)
		val = json_incref(e->val);
	pthread_rwlock_unlock(&w->memo_lock);
	return val;
}

static void memo_put(void *ud, const char *ns, const char *name, uint64_t view_gen, uint64_t policy_gen,
		     json_t *val)
{
	struct webhook *w = ud;
	struct memo_entry *e;
	char key[512];
	void *old = NULL;

	if (!memo_key(key, sizeof(key), ns, name) || (e = malloc(sizeof(*e))) == NULL)
		return; /* a memo that cannot grow just does not remember */
	e->view_gen = view_gen;
	e->policy_gen = policy_gen;
	/* val was made in the review's region (jarena.h): the memo keeps a copy of its own */
	jarena_suspend();
	e->val = jcopy(val);
	jarena_resume();
	if (e->val == NULL) {
		free(e);
		return;
	}
	pthread_rwlock_wrlock(&w->memo_lock);
	if (hmap_count(&w->memo) >= MEMO_MAX && !hmap_has(&w->memo, key)) {
		hmap_release(&w->memo, memo_entry_free);
		hmap_init(&w->memo);
	}
	if (hmap_put(&w->memo, key, e, &old) != 0)
		memo_entry_free(e);
	else if (old != NULL)
		memo_entry_free(old);
	pthread_rwlock_unlock(&w->memo_lock);
}

struct webhook *webhook_new(const struct webhook_config *c)
{
	struct webhook *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	jarena_install();
	w->c = *c;
	if (w->c.json_depth_max == 0 || w->c.json_depth_max > 2000)
		w->c.json_depth_max = 2000;
	w->m = metrics_new();
	if (w->m == NULL) {
		free(w);
		return NULL;
	}
	pthread_rwlock_init(&w->memo_lock, NULL);
	hmap_init(&w->memo);
	return w;
}

void webhook_free(struct webhook *w)
{
	if (w == NULL)
		return;
	metrics_free(w->m);
	hmap_release(&w->memo, memo_entry_free);
	pthread_rwlock_destroy(&w->memo_lock);
	free(w);
}

void webhook_set_httpd(struct webhook *w, struct httpd *h)
{
	w->httpd = h;
}

void webhook_set_draining(struct webhook *w)
{
	atomic_store(&w->draining, true);
}

/* ---- small helpers ---- */

static void answer(struct httpd_response *r, int status, const char *type, char *body)
{
	r->status = status;
	r->content_type = type;
	r->body = body;
	r->len = body ? strlen(body) : 0;
}

/* An HTTP error with a metav1 Status body. */
static void http_error(struct httpd_response *r, int status, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void http_error(struct httpd_response *r, int status, const char *reason, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	json_t *st;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	st = json_pack("{sssss{}sssssssi}", "apiVersion", "v1", "kind", "Status", "metadata", "status", "Failure",
		       "message", msg, "reason", reason, "code", status);
	answer(r, status, "application/json", st ? jarena_dumps(st, JSON_COMPACT) : NULL);
	json_decref(st);
}

static double elapsed(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Copy at most max bytes of s, cut at a UTF-8 boundary, "..." marking a cut. */
static json_t *short_string(const char *s, size_t max)
{
	size_t n = strlen(s);
	char buf[WARNING_MAX + 4];

	if (max > WARNING_MAX)
		max = WARNING_MAX;
	if (n <= max)
		return json_string(s);
	n = max - 3;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	memcpy(buf, s, n);
	memcpy(buf + n, "...", 4);
	return json_string(buf);
}

/* ---- the review ---- */

struct review {
	const char *uid;
	const char *kind;       /* request.kind.kind */
	const char *group;
	const char *op;
	const char *ns, *name;
	const char *subresource;
	bool dry_run;
	json_t *object;         /* borrowed from the parsed body */
	json_t *old;
	/* answer */
	bool allowed;
	char *deny;             /* message when denied */
	json_t *warnings;       /* array of strings */
	char *patch;            /* JSON Patch text, or NULL for none */
	size_t patch_len;
	const char *decision;
	enum metrics_decision md;
};

static void add_warning(struct review *rv, const char *text)
{
	json_array_append_new(rv->warnings, short_string(text, WARNING_MAX));
}

/* Findings -> the deny message (errors) and warnings. */
static void findings_to_review(struct review *rv, const struct findings *fs, const char *kind)
{
	size_t cap = DENY_MESSAGE_MAX, used = 0, total = 0, shown = 0, hidden = 0;
	char *msg = NULL;

	if (fs->nerrors > 0 && (msg = malloc(cap)) != NULL) {
		used = (size_t)snprintf(msg, cap, "%s %s%s%s: %zu error%s: ", kind, rv->ns && *rv->ns ? rv->ns : "",
					rv->ns && *rv->ns ? "/" : "", rv->name && *rv->name ? rv->name : "<unnamed>",
					fs->nerrors, fs->nerrors == 1 ? "" : "s");
		if (used >= cap)
			used = cap - 1;
	}
	for (size_t i = 0; i < fs->n; i++) {
		const struct finding *f = &fs->v[i];
		char line[1400];

		snprintf(line, sizeof(line), "%s%s%s [%s]", f->field, *f->field ? ": " : "", f->message, f->rule);
		if (f->sev == SEV_ERROR) {
			if (msg != NULL && used + strlen(line) + 3 < cap) {
				used += (size_t)snprintf(msg + used, cap - used, "%s%s", shown ? "; " : "", line);
				shown++;
			}
		} else if (total + strlen(line) < WARNINGS_TOTAL_MAX) {
			json_t *w = short_string(line, WARNING_MAX);

			total += strlen(json_string_value(w));
			json_array_append_new(rv->warnings, w);
		} else {
			hidden++;
		}
	}
	if (msg != NULL && shown < fs->nerrors && used + 40 < cap)
		snprintf(msg + used, cap - used, "; and %zu more", fs->nerrors - shown);
	if (hidden > 0 || fs->dropped > 0) {
		char more[96];

		snprintf(more, sizeof(more), "%zu more warnings not shown: run gatewarden check on the object",
			 hidden + (fs->dropped > fs->nerrors ? fs->dropped : 0));
		add_warning(rv, more);
	}
	if (fs->nerrors > 0) {
		rv->allowed = false;
		rv->deny = msg;
	} else {
		free(msg);
	}
}

static void validate(struct webhook *w, struct review *rv)
{
	struct admit_opts ao = { .now = (long long)time(NULL), .strict = w->c.strict };
	struct findings fs;
	struct view v;
	enum kind k = engine_classify(rv->object);
	int rc;

	if (!kind_is_validated(k)) {
		rv->decision = "allowed (not a kind gatewarden validates)";
		return;
	}
	findings_init(&fs, w->c.rules);
	/* the single-object rules need no view: they run outside its lock */
	rc = admit_single(rv->object, &fs, &k);
	if (!viewsrc_ready(w->c.src)) {
		/* A watch cache before its first full sync would make every reference look
		 * missing (a false denial under --strict): judge the object alone and say so.
		 * In a cluster the API server only reaches ready replicas; this is for the
		 * moments it does not (readiness lag, a client calling the pod directly). */
		if (rc != 0) {
			findings_release(&fs);
			rv->allowed = false;
			rv->deny = strdup("gatewarden ran out of memory evaluating this object; retry");
			rv->md = MD_ERROR;
			rv->decision = "error";
			return;
		}
		findings_to_review(rv, &fs, kind_name(k));
		add_warning(rv, "gatewarden's cluster view is not synced yet: only the single-object rules were "
				"checked; references to other objects were not");
		rv->decision = rv->allowed ? "allowed (view not synced)" : "denied (view not synced)";
		rv->md = rv->allowed ? MD_ALLOWED : MD_DENIED;
		findings_release(&fs);
		return;
	}
	viewsrc_acquire(w->c.src, &v);
	if (rc == 0)
		rc = admit_cross(&v, rv->object, k, &ao, &fs);
	if (rc == 0 && w->c.policies != NULL) {
		void *tok;
		const struct policy_set *ps = polsrc_acquire(w->c.policies, &tok);

		if (k == KIND_GATEWAY)
			rc = policy_check_gateway(ps, &v, rv->object, &fs);
		else if (kind_is_route(k))
			rc = policy_check_route(ps, &v, k, rv->object, &fs);
		polsrc_release(w->c.policies, tok);
	}
	if (rc == 0 && view_failed(&v))
		rc = ERR_NOMEM;
	viewsrc_release(w->c.src);
	if (rc != 0) {
		/* never a silent allow: an incomplete evaluation denies */
		rv->allowed = false;
		rv->deny = strdup("gatewarden ran out of memory evaluating this object; retry");
		rv->md = MD_ERROR;
		rv->decision = "error";
		findings_release(&fs);
		return;
	}
	findings_to_review(rv, &fs, kind_name(k));
	rv->decision = rv->allowed ? (fs.nwarnings ? "allowed with warnings" : "allowed") : "denied";
	rv->md = rv->allowed ? MD_ALLOWED : MD_DENIED;
	findings_release(&fs);
}

/* The Gateway's defaults (schema, then policy) as one patch against the object sent. */
static int gateway_or_route_patch(struct webhook *w, enum kind k, struct review *rv, json_t **ret)
{
	json_t *copy = jcopy(rv->object), *pp = NULL, *after = NULL;
	struct err err;
	int rc;

	err_init(&err);
	if (copy == NULL || defaults_apply(k, copy) != 0) {
		json_decref(copy);
		return ERR_NOMEM;
	}
	if (k == KIND_GATEWAY && w->c.policies != NULL) {
		void *tok;
		const struct policy_set *ps = polsrc_acquire(w->c.policies, &tok);
		struct view v;

		viewsrc_acquire(w->c.src, &v);
		rc = policy_gateway_patch(ps, &v, copy, &pp, &err);
		if (rc == 0 && view_failed(&v))
			rc = ERR_NOMEM;
		viewsrc_release(w->c.src);
		polsrc_release(w->c.policies, tok);
		if (rc == 0 && json_array_size(pp) > 0 && (rc = jpatch_apply(copy, pp, &after, &err)) == 0) {
			json_decref(copy);
			copy = after;
		}
		json_decref(pp);
		if (rc != 0) {
			json_decref(copy);
			return rc;
		}
	}
	rc = jpatch_diff(rv->object, copy, ret, &err);
	json_decref(copy);
	return rc;
}

/* The Service's patch as text (NULL: none). */
static int service_patch(struct webhook *w, struct review *rv, char **ret, size_t *ret_len)
{
	struct policy_memo memo = { memo_get, memo_put, w };
	struct findings fs;
	struct err err;
	struct view v;
	void *tok;
	const struct policy_set *ps;
	int rc;

	err_init(&err);
	findings_init(&fs, w->c.rules);
	ps = polsrc_acquire(w->c.policies, &tok);
	viewsrc_acquire(w->c.src, &v);
	rc = policy_service_patch_text(ps, &v, rv->object, strcmp(rv->op, "UPDATE") == 0 ? rv->old : NULL, NULL,
				       &memo, ret, ret_len, &fs, &err);
	if (rc == 0 && view_failed(&v)) {
		free(*ret);
		*ret = NULL;
		rc = ERR_NOMEM;
	}
	viewsrc_release(w->c.src);
	polsrc_release(w->c.policies, tok);
	for (size_t i = 0; rc == 0 && i < fs.n; i++) {
		char line[1400];

		snprintf(line, sizeof(line), "%s [%s]", fs.v[i].message, fs.v[i].rule);
		add_warning(rv, line);
	}
	findings_release(&fs);
	return rc;
}

static void mutate(struct webhook *w, struct review *rv)
{
	enum kind k = engine_classify(rv->object);
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (kind_is_validated(k)) {
		json_t *patch = NULL;

		rc = gateway_or_route_patch(w, k, rv, &patch);
		if (rc == 0 && json_array_size(patch) > 0 && (text = jwrite_dump(patch, false, 0)) == NULL)
			rc = ERR_NOMEM;
		len = text != NULL ? strlen(text) : 0;
		json_decref(patch);
	} else if (k == KIND_SERVICE && w->c.policies != NULL) {
		rc = service_patch(w, rv, &text, &len);
	} else {
		rv->decision = "allowed (nothing to mutate)";
		return;
	}
	if (rc != 0) {
		/* mutation is best effort: the object goes on unchanged, and says so */
		free(text);
		add_warning(rv, "gatewarden could not compute this object's patch; it was admitted unchanged");
		rv->md = MD_ERROR;
		rv->decision = "error (unchanged)";
		return;
	}
	if (text != NULL) {
		rv->patch = text;
		rv->patch_len = len;
		rv->md = MD_PATCHED;
		rv->decision = "patched";
	} else {
		rv->decision = "allowed (no change)";
	}
}

/*
 * The answer as text, written directly (jwrite): the fixed envelope, the response's
 * members in the order the API documents them, and the patch as base64 of its compact
 * JSON. NULL when out of memory.
 */
static char *encode_text(const struct review *rv)
{
	struct jwbuf b = { 0 };

	jwrite_reserve(&b, 1024); /* an answer with a short patch fits */
	jwrite_lit(&b, "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":");
	jwrite_cstr(&b, rv->uid);
	jwrite_lit(&b, rv->allowed ? ",\"allowed\":true" : ",\"allowed\":false");
	if (!rv->allowed) {
		jwrite_lit(&b, ",\"status\":{\"metadata\":{},\"status\":\"Failure\",\"message\":");
		jwrite_cstr(&b, rv->deny ? rv->deny : "denied");
		jwrite_lit(&b, ",\"reason\":\"Forbidden\",\"code\":403}");
	}
	if (json_array_size(rv->warnings) > 0) {
		jwrite_lit(&b, ",\"warnings\":");
		jwrite_value(&b, rv->warnings);
	}
	if (rv->patch != NULL) {
		char *b64;

		jwrite_lit(&b, ",\"patch\":\"");
		b64 = jwrite_space(&b, B64_ENCODED_LEN(rv->patch_len));
		if (b64 != NULL)
			b64_encode_to(b64, rv->patch, rv->patch_len);
		jwrite_lit(&b, "\",\"patchType\":\"JSONPatch\"");
	}
	jwrite_lit(&b, "}}");
	return jwrite_finish(&b, NULL);
}

static void log_review(struct webhook *w, const struct review *rv, bool mutate_ep, double secs)
{
	json_t *f;

	if (w->c.quiet)
		return;
	f = json_pack("{sssssssssssssbsfss}", "endpoint", mutate_ep ? "mutate" : "validate", "uid", rv->uid,
		      "kind", rv->kind ? rv->kind : "", "namespace", rv->ns ? rv->ns : "", "name",
		      rv->name ? rv->name : "", "operation", rv->op ? rv->op : "", "dry_run", rv->dry_run,
		      "latency_ms", secs * 1000.0, "decision", rv->decision ? rv->decision : "");
	if (f != NULL && rv->deny != NULL)
		json_object_set_new(f, "message", json_string(rv->deny));
	if (f != NULL && json_array_size(rv->warnings) > 0)
		json_object_set(f, "warnings", rv->warnings);
	jlog(rv->allowed ? "info" : "warning", "admission", f);
	json_decref(f);
}

static void review(struct webhook *w, bool mutate_ep, const char *body, size_t len, struct httpd_response *resp)
{
	struct timespec t0;
	struct review rv = { .allowed = true, .md = MD_ALLOWED };
	struct err jerr;
	json_t *root, *req, *rk;
	enum metrics_endpoint ep = mutate_ep ? METRICS_MUTATE : METRICS_VALIDATE;
	/* request.oldObject, as large as the object, is read only when the object is a
	 * Service (the policy compares the old Service on UPDATE, as mutate dispatches on
	 * the object's kind); for every other review it is checked as JSON, never built */
	static const char *const old_path[] = { "request", "oldObject" };
	struct jparse_deferred old = { .keys = old_path, .nkeys = 2 };

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (len == 0) {
		http_error(resp, 400, "BadRequest", "empty body: expected an AdmissionReview");
		return;
	}
	err_init(&jerr);
	root = jparse_defer(body, len, w->c.json_depth_max, &old, &jerr);
	if (root == NULL) {
		if (jerr.code == ERR_NOMEM)
			http_error(resp, 500, "InternalError", "out of memory reading the request");
		else
			http_error(resp, 400, "BadRequest", "malformed JSON: %s", jerr.msg);
		return;
	}
	if (!json_is_object(root) || !jv_streq(root, "kind", "AdmissionReview")) {
		http_error(resp, 400, "BadRequest", "not an AdmissionReview");
		goto out;
	}
	if (!jv_streq(root, "apiVersion", "admission.k8s.io/v1")) {
		http_error(resp, 400, "BadRequest", "AdmissionReview %s is not served: register admissionReviewVersions [\"v1\"]",
			   jv_str(root, "apiVersion") ? jv_str(root, "apiVersion") : "without apiVersion");
		goto out;
	}
	req = jv_obj(root, "request");
	rv.uid = jv_str(req, "uid");
	if (req == NULL || rv.uid == NULL || rv.uid[0] == '\0') {
		http_error(resp, 400, "BadRequest", req == NULL ? "AdmissionReview has no request object"
								: "AdmissionReview request has no uid");
		goto out;
	}
	rk = jv_obj(req, "kind");
	rv.kind = jv_str(rk, "kind");
	rv.group = jv_str(rk, "group");
	rv.op = jv_str(req, "operation");
	rv.ns = jv_str(req, "namespace");
	rv.name = jv_str(req, "name");
	rv.subresource = jv_str(req, "subResource");
	rv.dry_run = json_is_true(json_object_get(req, "dryRun"));
	rv.object = jv_obj(req, "object");
	if (old.at != NULL && *old.at == '{' && engine_classify(rv.object) == KIND_SERVICE) {
		json_t *o = jparse(old.at, old.len, w->c.json_depth_max - 2, &jerr);

		if (o == NULL || json_object_set_new(req, "oldObject", o) != 0) {
			if (o == NULL && jerr.code != ERR_NOMEM)
				http_error(resp, 400, "BadRequest", "malformed JSON in request.oldObject: %s", jerr.msg);
			else
				http_error(resp, 500, "InternalError", "out of memory reading the request");
			goto out;
		}
		rv.old = jv_obj(req, "oldObject");
	}
	rv.warnings = json_array();
	if (rv.warnings == NULL) {
		http_error(resp, 500, "InternalError", "out of memory");
		goto out;
	}
	if (rv.op == NULL || (strcmp(rv.op, "CREATE") != 0 && strcmp(rv.op, "UPDATE") != 0) ||
	    (rv.subresource != NULL && *rv.subresource != '\0')) {
		rv.decision = "allowed (operation or subresource not checked)";
	} else if (rv.object == NULL) {
		http_error(resp, 400, "BadRequest", "%s request has no object", rv.op);
		goto out;
	} else {
		json_t *meta = jv_obj(rv.object, "metadata");

		if (rv.name == NULL || *rv.name == '\0')
			rv.name = jv_str(meta, "name") ? jv_str(meta, "name") : jv_str(meta, "generateName");
		/* the request's namespace is where the object lands, whatever it says */
		if (rv.ns != NULL && *rv.ns != '\0' && meta != NULL && !jv_streq(meta, "namespace", rv.ns))
			json_object_set_new(meta, "namespace", json_string(rv.ns));
		if (mutate_ep)
			mutate(w, &rv);
		else
			validate(w, &rv);
	}
	{
		char *text = encode_text(&rv);

		if (text == NULL) {
			http_error(resp, 500, "InternalError", "out of memory encoding the answer");
			rv.md = MD_ERROR;
		} else {
			answer(resp, 200, "application/json", text);
			if (resp->body == NULL)
				http_error(resp, 500, "InternalError", "out of memory encoding the answer");
		}
	}
	{
		double secs = elapsed(&t0);

		metrics_admission(w->m, ep, metrics_kind_of(rv.kind), metrics_op_of(rv.op), rv.md, secs);
		log_review(w, &rv, mutate_ep, secs);
	}
out:
	free(rv.deny);
	free(rv.patch);
	json_decref(rv.warnings);
	json_decref(root);
}

void webhook_review(struct webhook *w, bool mutate_ep, const char *body, size_t len, struct httpd_response *resp)
{
	/* the review's jansson values live in this thread's region (jarena.h) */
	bool region = jarena_open() == 0;
	size_t left;

	review(w, mutate_ep, body, len, resp);
	if (region && (left = jarena_close()) > 0) {
		json_t *f = json_pack("{sI}", "values", (json_int_t)left);

		jlog("error", "a review left jansson values alive; their memory is kept, not reused", f);
		json_decref(f);
	}
}

/* ---- HTTP ---- */

static bool is_json(const char *ct)
{
	size_t n = strlen("application/json");

	return ct != NULL && strncasecmp(ct, "application/json", n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

static bool is_review_path(const char *p)
{
	return strcmp(p, "/validate") == 0 || strcmp(p, "/mutate") == 0;
}

static bool is_get_path(const char *p)
{
	return strcmp(p, "/healthz") == 0 || strcmp(p, "/readyz") == 0 || strcmp(p, "/metrics") == 0;
}

void webhook_precheck(void *ud, const struct httpd_request *req, struct httpd_response *resp)
{
	struct webhook *w = ud;

	if (is_review_path(req->path)) {
		if (strcmp(req->method, "POST") != 0)
			http_error(resp, 405, "MethodNotAllowed", "%s takes POST", req->path);
		else if (!is_json(req->content_type))
			http_error(resp, 415, "UnsupportedMediaType", "Content-Type must be application/json, not %s",
				   req->content_type ? req->content_type : "missing");
	} else if (is_get_path(req->path)) {
		if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0)
			http_error(resp, 405, "MethodNotAllowed", "%s takes GET", req->path);
	} else {
		http_error(resp, 404, "NotFound", "no such path; the webhook serves /validate and /mutate");
	}
	if (resp->status != 0)
		metrics_http(w->m, resp->status);
}

void webhook_handle(void *ud, const struct httpd_request *req, struct httpd_response *resp)
{
	struct webhook *w = ud;

	if (is_review_path(req->path)) {
		webhook_review(w, strcmp(req->path, "/mutate") == 0, req->body, req->body_len, resp);
	} else if (strcmp(req->path, "/healthz") == 0) {
		answer(resp, 200, "text/plain", strdup("ok\n"));
	} else if (strcmp(req->path, "/readyz") == 0) {
		bool ready = viewsrc_ready(w->c.src) && !atomic_load(&w->draining);

		answer(resp, ready ? 200 : 503, "text/plain",
		       strdup(ready ? "ready\n" : atomic_load(&w->draining) ? "shutting down\n" : "cluster view not loaded yet\n"));
	} else {
		struct metrics_gauges g = { .view_objects = viewsrc_objects(w->c.src),
					    .ready = viewsrc_ready(w->c.src) && !atomic_load(&w->draining) };
		size_t n = 0;
		char *text;

		if (w->httpd != NULL) {
			g.cert_not_after = httpd_cert_not_after(w->httpd);
			httpd_cert_reloads(w->httpd, &g.cert_reloads, &g.cert_reload_failures);
			g.connections = httpd_connections(w->httpd);
		}
		text = metrics_text(w->m, &g, &n);
		if (text != NULL && w->c.extra_metrics != NULL) {
			char *more = w->c.extra_metrics(w->c.extra_metrics_ud);
			size_t m = more != NULL ? strlen(more) : 0;
			char *all = m > 0 ? realloc(text, n + m + 1) : text;

			if (all == NULL) {
				free(text);
				text = NULL;
			} else {
				memcpy(all + n, more != NULL ? more : "", m + 1);
				text = all;
			}
			free(more);
		}
		answer(resp, text ? 200 : 500, "text/plain; version=0.0.4", text);
	}
	metrics_http(w->m, resp->status);
}
