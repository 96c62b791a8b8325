/*
 * kube: see kube.h. The only libcurl user.
 */
#define _POSIX_C_SOURCE 200809L
#include "kube.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "monotime.h"

#define BODY_MAX (256u << 20)   /* a list page or error body larger than this is refused */
#define LINE_MAX_BYTES (64u << 20)

struct kube {
	struct kube_config c;
	struct kube_retry retry;
	pthread_mutex_t mu;       /* token cache, rng, stats */
	char *token;              /* current token (from file or config) */
	struct timespec token_mtime;
	off_t token_size;
	uint64_t rng;
	struct kube_stats stats;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

void kube_config_free(struct kube_config *c)
{
	if (c == NULL)
		return;
	free(c->server);
	free(c->token);
	free(c->token_file);
	free(c->ca_file);
	free(c->ca_data);
	free(c->cert_file);
	free(c->key_file);
	free(c->cert_data);
	free(c->key_data);
	free(c->namespace);
	free(c->user_agent);
	memset(c, 0, sizeof(*c));
}

static int config_copy(struct kube_config *d, const struct kube_config *s)
{
	memset(d, 0, sizeof(*d));
	d->insecure_skip_verify = s->insecure_skip_verify;
	d->allow_http = s->allow_http;
#define CP(f) do { if (s->f && (d->f = strdup(s->f)) == NULL) goto nomem; } while (0)
	CP(server); CP(token); CP(token_file); CP(ca_file); CP(ca_data);
	CP(cert_file); CP(key_file); CP(cert_data); CP(key_data); CP(namespace); CP(user_agent);
#undef CP
	return 0;
nomem:
	kube_config_free(d);
	return ERR_NOMEM;
}

struct kube *kube_new(const struct kube_config *c, struct err *err)
{
	struct kube *k;

	if (c->server == NULL || *c->server == '\0') {
		err_set(err, ERR_INVALID, "kube: no API server address");
		return NULL;
	}
	if (strncmp(c->server, "https://", 8) != 0) {
		if (!(c->allow_http && strncmp(c->server, "http://", 7) == 0)) {
			err_set(err, ERR_INVALID,
				"kube: API server %s is not https:// (plain HTTP needs --allow-insecure-http)",
				c->server);
			return NULL;
		}
	}
	pthread_once(&curl_once, curl_init_once);
	k = calloc(1, sizeof(*k));
	if (k == NULL || config_copy(&k->c, c) < 0) {
		free(k);
		err_set(err, ERR_NOMEM, "kube: out of memory");
		return NULL;
	}
	/* drop a trailing slash so paths can be appended */
	size_t n = strlen(k->c.server);
	while (n > 0 && k->c.server[n - 1] == '/')
		k->c.server[--n] = '\0';
	pthread_mutex_init(&k->mu, NULL);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	k->rng = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ (uint64_t)(uintptr_t)k;
	if (k->rng == 0)
		k->rng = 88172645463325252ULL;
	return k;
}

void kube_free(struct kube *k)
{
	if (k == NULL)
		return;
	kube_config_free(&k->c);
	free(k->token);
	pthread_mutex_destroy(&k->mu);
	free(k);
}

void kube_set_retry(struct kube *k, const struct kube_retry *r)
{
	k->retry = *r;
}

void kube_stats(const struct kube *k, struct kube_stats *ret)
{
	pthread_mutex_lock((pthread_mutex_t *)&k->mu);
	*ret = k->stats;
	pthread_mutex_unlock((pthread_mutex_t *)&k->mu);
}

void kube_resp_clear(struct kube_resp *r)
{
	json_decref(r->body);
	r->body = NULL;
	r->status = 0;
	r->retry_after = -1;
}

static _Thread_local const atomic_int *thread_stop;

void kube_set_thread_stop(const atomic_int *stop)
{
	thread_stop = stop;
}

static bool stopped(void)
{
	return thread_stop != NULL && atomic_load(thread_stop);
}

bool kube_sleep(struct kube *k, long ms)
{
	(void)k;  /* the stop flag is the calling thread's */
	while (ms > 0 && !stopped()) {
		long step = ms > 50 ? 50 : ms;
		struct timespec ts = { step / 1000, (step % 1000) * 1000000L };

		nanosleep(&ts, NULL);
		ms -= step;
	}
	return !stopped();
}

long kube_backoff_ms(struct kube *k, int attempt)
{
	long base = k->retry.base_ms > 0 ? k->retry.base_ms : 200;
	long cap = k->retry.max_ms > 0 ? k->retry.max_ms : 30000;
	long hi = base;
	uint64_t x;

	for (int i = 0; i < attempt && hi < cap; i++)
		hi *= 2;
	if (hi > cap)
		hi = cap;
	pthread_mutex_lock(&k->mu);
	x = k->rng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	k->rng = x;
	pthread_mutex_unlock(&k->mu);
	/* full jitter over [hi/2, hi]: never zero, never synchronised */
	return hi / 2 + (long)(x % (uint64_t)(hi / 2 + 1));
}

/* The current bearer token (a new string), re-reading the token file when it changed. */
static char *current_token(struct kube *k)
{
	char *out = NULL;

	pthread_mutex_lock(&k->mu);
	if (k->c.token_file != NULL) {
		struct stat st;

		if (stat(k->c.token_file, &st) == 0 &&
		    (k->token == NULL || st.st_mtim.tv_sec != k->token_mtime.tv_sec ||
		     st.st_mtim.tv_nsec != k->token_mtime.tv_nsec || st.st_size != k->token_size)) {
			FILE *f = fopen(k->c.token_file, "r");

			if (f != NULL) {
				char buf[16384];
				size_t n = fread(buf, 1, sizeof(buf) - 1, f);

				fclose(f);
				while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
					n--;
				buf[n] = '\0';
				char *t = strdup(buf);
				if (t != NULL) {
					free(k->token);
					k->token = t;
					k->token_mtime = st.st_mtim;
					k->token_size = st.st_size;
				}
			}
		}
	} else if (k->token == NULL && k->c.token != NULL) {
		k->token = strdup(k->c.token);
	}
	if (k->token != NULL)
		out = strdup(k->token);
	pthread_mutex_unlock(&k->mu);
	return out;
}

struct buf {
	char *p;
	size_t n, cap;
	bool overflow;
};

static int buf_add(struct buf *b, const char *d, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t nc = b->cap ? b->cap * 2 : 4096;
		while (nc < b->n + n + 1)
			nc *= 2;
		char *np = realloc(b->p, nc);
		if (np == NULL)
			return -1;
		b->p = np;
		b->cap = nc;
	}
	memcpy(b->p + b->n, d, n);
	b->n += n;
	b->p[b->n] = '\0';
	return 0;
}

struct xfer {
	CURL *h;
	struct buf body;
	long retry_after;
	/* watch mode */
	kube_event_fn fn;
	void *ud;
	int fn_ret;
	struct buf line;
	bool is_stream;  /* status 200 seen: lines go to fn */
	bool checked;
	long timeout_ms; /* this transfer's limit (not for watches); 0: 120 s */
};

static size_t on_header(char *d, size_t sz, size_t n, void *ud)
{
	struct xfer *x = ud;
	size_t len = sz * n;

	if (len > 12 && strncasecmp(d, "Retry-After:", 12) == 0) {
		char tmp[64];
		size_t m = len - 12 < sizeof(tmp) - 1 ? len - 12 : sizeof(tmp) - 1;
		char *end;
		long v;

		memcpy(tmp, d + 12, m);
		tmp[m] = '\0';
		errno = 0;
		v = strtol(tmp, &end, 10);
		if (errno == 0 && end != tmp && v >= 0)
			x->retry_after = v > 3600 ? 3600 : v;
	}
	return len;
}

static size_t on_body(char *d, size_t sz, size_t n, void *ud)
{
	struct xfer *x = ud;
	size_t len = sz * n;

	if (x->body.n + len > BODY_MAX) {
		x->body.overflow = true;
		return 0;
	}
	return buf_add(&x->body, d, len) < 0 ? 0 : len;
}

static int deliver_line(struct xfer *x, const char *p, size_t n)
{
	json_error_t je;
	json_t *ev;

	while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ' '))
		n--;
	if (n == 0)
		return 0;
	ev = json_loadb(p, n, JSON_REJECT_DUPLICATES, &je);
	if (ev == NULL) {
		/* a broken line is a broken stream: resume from the last good version */
		x->fn_ret = ERR_IO;
		return -1;
	}
	x->fn_ret = x->fn(x->ud, ev);
	return x->fn_ret != 0 ? -1 : 0;
}

static size_t on_stream(char *d, size_t sz, size_t n, void *ud)
{
	struct xfer *x = ud;
	size_t len = sz * n, start = 0;

	if (!x->checked) {
		long code = 0;

		curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
		x->is_stream = code == 200;
		x->checked = true;
	}
	if (!x->is_stream)
		return on_body(d, sz, n, ud);
	for (size_t i = 0; i < len; i++) {
		if (d[i] != '\n')
			continue;
		if (x->line.n > 0) {
			if (buf_add(&x->line, d + start, i - start) < 0)
				return 0;
			int r = deliver_line(x, x->line.p, x->line.n);
			x->line.n = 0;
			if (r < 0)
				return 0;
		} else if (deliver_line(x, d + start, i - start) < 0) {
			return 0;
		}
		start = i + 1;
	}
	if (start < len) {
		if (x->line.n + (len - start) > LINE_MAX_BYTES || buf_add(&x->line, d + start, len - start) < 0) {
			x->fn_ret = ERR_LIMIT;
			return 0;
		}
	}
	return len;
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	(void)ud; (void)dt; (void)dn; (void)ut; (void)un;
	return stopped() ? 1 : 0;
}

/* A prepared handle for one call. headers is returned for freeing. */
static CURL *prepare(struct kube *k, struct xfer *x, const char *method, const char *path,
		     const char *ctype, const char *body, struct curl_slist **ret_headers, bool watch)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hl = NULL;
	char *url, *tok;
	size_t ul;

	if (h == NULL)
		return NULL;
	ul = strlen(k->c.server) + strlen(path) + 1;
	url = malloc(ul);
	if (url == NULL) {
		curl_easy_cleanup(h);
		return NULL;
	}
	snprintf(url, ul, "%s%s", k->c.server, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	free(url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, k->c.allow_http ? "https,http" : "https");
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(h, CURLOPT_USERAGENT, k->c.user_agent ? k->c.user_agent : "gatewarden/0.1");
	if (!watch)
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, x->timeout_ms > 0 ? x->timeout_ms : 120000L);
	if (k->c.insecure_skip_verify) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (k->c.ca_file != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, k->c.ca_file);
	if (k->c.ca_data != NULL) {
		struct curl_blob b = { k->c.ca_data, strlen(k->c.ca_data), CURL_BLOB_COPY };
		curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &b);
	}
	if (k->c.cert_file != NULL)
		curl_easy_setopt(h, CURLOPT_SSLCERT, k->c.cert_file);
	if (k->c.key_file != NULL)
		curl_easy_setopt(h, CURLOPT_SSLKEY, k->c.key_file);
	if (k->c.cert_data != NULL) {
		struct curl_blob b = { k->c.cert_data, strlen(k->c.cert_data), CURL_BLOB_COPY };
		curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &b);
		curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
	}
	if (k->c.key_data != NULL) {
		struct curl_blob b = { k->c.key_data, strlen(k->c.key_data), CURL_BLOB_COPY };
		curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &b);
		curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
	}
	hl = curl_slist_append(hl, "Accept: application/json");
	tok = current_token(k);
	if (tok != NULL) {
		size_t tl = strlen(tok) + 32;
		char *hdr = malloc(tl);

		if (hdr != NULL) {
			snprintf(hdr, tl, "Authorization: Bearer %s", tok);
			hl = curl_slist_append(hl, hdr);
			free(hdr);
		}
		free(tok);
	}
	if (body != NULL) {
		char ct[128];

		snprintf(ct, sizeof(ct), "Content-Type: %s", ctype ? ctype : "application/json");
		hl = curl_slist_append(hl, ct);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "GET") == 0)
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, watch ? on_stream : on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	*ret_headers = hl;
	return h;
}

static void count(struct kube *k, unsigned long *field)
{
	pthread_mutex_lock(&k->mu);
	(*field)++;
	pthread_mutex_unlock(&k->mu);
}

int kube_request(struct kube *k, const char *method, const char *path, const char *ctype,
		 const json_t *body, struct kube_resp *ret, struct err *err)
{
	return kube_request_until(k, method, path, ctype, body, 0, ret, err);
}

int kube_request_until(struct kube *k, const char *method, const char *path, const char *ctype,
		       const json_t *body, long long deadline_ms, struct kube_resp *ret, struct err *err)
{
	int attempts = k->retry.max_attempts > 0 ? k->retry.max_attempts : 10;
	char *text = NULL;

	ret->status = 0;
	ret->body = NULL;
	ret->retry_after = -1;
	if (body != NULL) {
		text = json_dumps(body, JSON_COMPACT);
		if (text == NULL)
			return err_set(err, ERR_NOMEM, "kube: out of memory encoding the request");
	}
	for (int attempt = 0;; attempt++) {
		struct xfer x = { .retry_after = -1 };
		struct curl_slist *hl = NULL;
		CURLcode cc;
		long code = 0;

		if (deadline_ms > 0) {
			x.timeout_ms = (long)(deadline_ms - monotime_ms());
			if (x.timeout_ms <= 0) {
				free(text);
				return err_set(err, ERR_IO, "kube: %s %s%s: no answer within the call's deadline", method,
					       k->c.server, path);
			}
		}
		x.h = prepare(k, &x, method, path, ctype, text, &hl, false);
		if (x.h == NULL) {
			free(text);
			return err_set(err, ERR_NOMEM, "kube: out of memory preparing %s %s", method, path);
		}
		count(k, &k->stats.requests);
		cc = curl_easy_perform(x.h);
		curl_easy_getinfo(x.h, CURLINFO_RESPONSE_CODE, &code);
		curl_easy_cleanup(x.h);
		curl_slist_free_all(hl);
		if (stopped()) {
			free(x.body.p);
			free(text);
			return err_set(err, ERR_IO, "kube: stopped");
		}
		bool retry = false;
		if (cc != CURLE_OK) {
			count(k, &k->stats.transport_errors);
			retry = true;
			if (attempt + 1 >= attempts) {
				free(x.body.p);
				free(text);
				return err_set(err, ERR_IO, "kube: %s %s%s: %s", method, k->c.server, path,
					       x.body.overflow ? "response too large" : curl_easy_strerror(cc));
			}
		} else if (code == 429 || code >= 500) {
			count(k, code == 429 ? &k->stats.throttled : &k->stats.server_errors);
			retry = attempt + 1 < attempts;
		}
		if (!retry) {
			ret->status = code;
			ret->retry_after = x.retry_after;
			if (x.body.n > 0)
				ret->body = json_loadb(x.body.p, x.body.n, 0, NULL);
			free(x.body.p);
			free(text);
			return 0;
		}
		count(k, &k->stats.retries);
		free(x.body.p);
		long wait = x.retry_after >= 0 ? x.retry_after * 1000 : kube_backoff_ms(k, attempt);
		if (x.retry_after == 0)
			wait = kube_backoff_ms(k, 0);
		if (deadline_ms > 0 && monotime_ms() + wait >= deadline_ms) {
			free(text);
			if (cc != CURLE_OK)
				return err_set(err, ERR_IO, "kube: %s %s%s: %s (no time left to retry within the call's deadline)",
					       method, k->c.server, path, curl_easy_strerror(cc));
			return err_set(err, ERR_IO, "kube: %s %s%s: HTTP %ld (no time left to retry within the call's deadline)",
				       method, k->c.server, path, code);
		}
		if (!kube_sleep(k, wait)) {
			free(text);
			return err_set(err, ERR_IO, "kube: stopped");
		}
	}
}

char *kube_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s);
	char *out = malloc(n * 3 + 1), *p = out;

	if (out == NULL)
		return NULL;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		    c == '_' || c == '.' || c == '~') {
			*p++ = (char)c;
		} else {
			*p++ = '%';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		}
	}
	*p = '\0';
	return out;
}

static const char *status_message(const json_t *body)
{
	const char *m = json_string_value(json_object_get(body, "message"));
	return m ? m : "";
}

int kube_list(struct kube *k, const char *path, size_t page, json_t *(*each)(void *ud, json_t *item), void *ud,
	      json_t **ret_items, char **ret_rv, long *ret_status, struct err *err)
{
	json_t *items = json_array();
	char *cont = NULL;
	int restarts = 0;

	*ret_items = NULL;
	*ret_rv = NULL;
	*ret_status = 0;
	if (items == NULL)
		return err_set(err, ERR_NOMEM, "kube: out of memory");
	for (;;) {
		struct kube_resp r;
		size_t ql = strlen(path) + (cont ? strlen(cont) : 0) + 64;
		char *q = malloc(ql);
		int rc;

		if (q == NULL)
			goto nomem;
		snprintf(q, ql, "%s%slimit=%zu%s%s", path, strchr(path, '?') ? "&" : "?", page,
			 cont ? "&continue=" : "", cont ? cont : "");
		rc = kube_request(k, "GET", q, NULL, NULL, &r, err);
		free(q);
		if (rc < 0) {
			free(cont);
			json_decref(items);
			return rc;
		}
		*ret_status = r.status;
		if (r.status == 410 && cont != NULL && restarts < 3) {
			/* the continue token expired: the snapshot is gone, start over */
			restarts++;
			free(cont);
			cont = NULL;
			json_array_clear(items);
			kube_resp_clear(&r);
			continue;
		}
		if (r.status != 200 || !json_is_array(json_object_get(r.body, "items"))) {
			rc = err_set(err, ERR_IO, "kube: list %s: HTTP %ld %s", path, r.status, status_message(r.body));
			kube_resp_clear(&r);
			free(cont);
			json_decref(items);
			return rc;
		}
		if (each != NULL) {
			json_t *it;
			size_t i;

			json_array_foreach(json_object_get(r.body, "items"), i, it) {
				if (json_array_append_new(items, each(ud, it)) < 0) {
					kube_resp_clear(&r);
					goto nomem;
				}
			}
		} else if (json_array_extend(items, json_object_get(r.body, "items")) < 0) {
			kube_resp_clear(&r);
			goto nomem;
		}
		const json_t *meta = json_object_get(r.body, "metadata");
		const char *c = json_string_value(json_object_get(meta, "continue"));
		free(cont);
		cont = NULL;
		if (c != NULL && *c != '\0') {
			cont = kube_escape(c);
			kube_resp_clear(&r);
			if (cont == NULL)
				goto nomem;
			continue;
		}
		const char *rv = json_string_value(json_object_get(meta, "resourceVersion"));
		*ret_rv = strdup(rv ? rv : "");
		kube_resp_clear(&r);
		if (*ret_rv == NULL)
			goto nomem;
		*ret_items = items;
		return 0;
	}
nomem:
	free(cont);
	json_decref(items);
	return err_set(err, ERR_NOMEM, "kube: out of memory listing %s", path);
}

int kube_watch(struct kube *k, const char *path, int stall_s, kube_event_fn fn, void *ud, long *ret_status,
	       long *ret_retry_after, struct err *err)
{
	struct xfer x = { .retry_after = -1, .fn = fn, .ud = ud };
	struct curl_slist *hl = NULL;
	CURLcode cc;
	long code = 0;
	int rc = 0;

	*ret_status = 0;
	*ret_retry_after = -1;
	x.h = prepare(k, &x, "GET", path, NULL, NULL, &hl, true);
	if (x.h == NULL)
		return err_set(err, ERR_NOMEM, "kube: out of memory preparing a watch");
	if (stall_s > 0) {
		/* a stream that carries nothing (no event, no bookmark) for stall_s is dead or
		 * stuck: end it; the caller watches again from its last resourceVersion */
		curl_easy_setopt(x.h, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(x.h, CURLOPT_LOW_SPEED_TIME, (long)stall_s);
	}
	count(k, &k->stats.requests);
	cc = curl_easy_perform(x.h);
	curl_easy_getinfo(x.h, CURLINFO_RESPONSE_CODE, &code);
	*ret_status = code;
	*ret_retry_after = x.retry_after;
	if (code == 429)
		count(k, &k->stats.throttled);
	else if (code >= 500)
		count(k, &k->stats.server_errors);
	if (x.fn_ret != 0 && x.fn_ret != ERR_IO && x.fn_ret != ERR_LIMIT) {
		rc = x.fn_ret;          /* the callback stopped the stream */
	} else if (stopped()) {
		rc = err_set(err, ERR_IO, "kube: stopped");
	} else if (x.fn_ret != 0) {
		rc = err_set(err, x.fn_ret, "kube: watch %s: malformed or oversized event line", path);
	} else if (cc == CURLE_OPERATION_TIMEDOUT && stall_s > 0) {
		count(k, &k->stats.transport_errors);
		rc = err_set(err, ERR_IO, "kube: watch %s: nothing received for %d s (no event, no bookmark)", path,
			     stall_s);
	} else if (cc != CURLE_OK) {
		count(k, &k->stats.transport_errors);
		rc = err_set(err, ERR_IO, "kube: watch %s: %s", path, curl_easy_strerror(cc));
	} else if (code != 200) {
		json_t *b = x.body.n ? json_loadb(x.body.p, x.body.n, 0, NULL) : NULL;
		rc = err_set(err, ERR_IO, "kube: watch %s: HTTP %ld %s", path, code, status_message(b));
		json_decref(b);
	}
	curl_easy_cleanup(x.h);
	curl_slist_free_all(hl);
	free(x.body.p);
	free(x.line.p);
	return rc;
}
