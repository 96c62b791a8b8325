/*
 * kube: a small Kubernetes API client (the only libcurl user; TLS through libcurl's
 * OpenSSL backend). Requests, paged lists and watch streams, with the retry rules of
 * client-go: 429 and 5xx are retried after Retry-After (or an exponential backoff with
 * jitter), 410 Gone is reported to the caller, who must relist.
 *
 * Configuration comes from a kubeconfig (kubeconfig_load) or the in-cluster service
 * account (kubeconfig_in_cluster); see reconciler/kubeconfig.c. A token file is re-read
 * when it changes (service-account tokens rotate), so a long-running client keeps
 * working across rotations.
 *
 * Thread safety: a struct kube may be shared; each call uses its own curl handle.
 * Errors: return codes from core/err.h plus struct err; HTTP statuses are results,
 * not errors (the caller decides what a 404 or 409 means).
 */
#ifndef RECONCILER_KUBE_H
#define RECONCILER_KUBE_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct kube_config {
	char *server;          /* https://host:port (http:// only with allow_http) */
	char *token;           /* bearer token, or NULL */
	char *token_file;      /* re-read when its mtime or size changes; wins over token */
	char *ca_file;         /* PEM file, or NULL */
	char *ca_data;         /* PEM bytes, or NULL */
	char *cert_file, *key_file;  /* client certificate (PEM files), or NULL */
	char *cert_data, *key_data;  /* client certificate (PEM bytes), or NULL */
	char *namespace;       /* the context's namespace (or the pod's), may be NULL */
	char *user_agent;      /* User-Agent (default gatewarden/0.1), may be NULL */
	bool insecure_skip_verify;   /* only from an explicit flag or kubeconfig field */
	bool allow_http;             /* only from an explicit flag */
};

/* Load path (current context, or context when not NULL). YAML is read through
 * cli/yamldoc.c. Relative file paths are relative to the kubeconfig's directory. */
int kubeconfig_load(const char *path, const char *context, struct kube_config *ret, struct err *err);
/* In-cluster: KUBERNETES_SERVICE_HOST/PORT and the service account files in dir
 * (NULL: /var/run/secrets/kubernetes.io/serviceaccount): token (re-read on rotation),
 * ca.crt, namespace. */
int kubeconfig_in_cluster(const char *dir, struct kube_config *ret, struct err *err);
void kube_config_free(struct kube_config *c);

struct kube;

struct kube_retry {
	int max_attempts;     /* per call, for 429/5xx/transport errors; 0 = default 10 */
	long base_ms;         /* first backoff; 0 = default 200 ms */
	long max_ms;          /* cap; 0 = default 30 s */
};

/* Takes copies of everything in c. */
struct kube *kube_new(const struct kube_config *c, struct err *err);
void kube_free(struct kube *k);
void kube_set_retry(struct kube *k, const struct kube_retry *r);
/* The calling thread's stop flag, checked while waiting (backoff) and during
 * transfers: once it is non-zero, the thread's calls return ERR_IO ("stopped") as soon
 * as they can. Per thread, so that stopping one user of a client (a cache's workers,
 * the reconciler's thread) does not stop the others. */
void kube_set_thread_stop(const atomic_int *stop);

struct kube_resp {
	long status;          /* HTTP status, 0 when the transfer failed */
	json_t *body;         /* parsed JSON body (new reference) or NULL */
	long retry_after;     /* Retry-After seconds, -1 when absent */
};
void kube_resp_clear(struct kube_resp *r);

/* Counters, for metrics and tests (monotonic, approximate under concurrency). */
struct kube_stats {
	unsigned long requests, retries, throttled, server_errors, transport_errors;
};
void kube_stats(const struct kube *k, struct kube_stats *ret);

/*
 * One request; path includes the query. body may be NULL (no body), ctype NULL means
 * application/json. 429, 5xx and transport errors are retried (honouring
 * Retry-After, else exponential backoff with full jitter) up to the retry budget;
 * then the last response is returned. Returns 0 with ret filled (any HTTP status),
 * or ERR_IO / ERR_NOMEM with err set.
 */
int kube_request(struct kube *k, const char *method, const char *path, const char *ctype,
		 const json_t *body, struct kube_resp *ret, struct err *err);
/* The same, all attempts and waits ending by deadline_ms (CLOCK_MONOTONIC, ms; 0: no
 * deadline beyond each transfer's 120 s): a transfer gets what time is left, and a retry
 * that could not finish in time is not made (ERR_IO). For calls whose answer is useless
 * when late, such as a Lease renewal. */
int kube_request_until(struct kube *k, const char *method, const char *path, const char *ctype,
		       const json_t *body, long long deadline_ms, struct kube_resp *ret, struct err *err);

/*
 * A paged list: GET path?limit=page&continue=... until the last page. items (a new
 * array) gets every item, *ret_rv the list's resourceVersion (malloc'd). A 410 (an
 * expired continue token) restarts the list from the first page (at most 3 times).
 * each (may be NULL) is called on every item as its page arrives, before the page's
 * body is dropped, and returns what items keeps for it (a new reference: the item, or
 * something smaller standing for it), so a caller can shrink what the whole list holds
 * at once; NULL ends the list as out of memory. Returns 0, ERR_IO (err names the HTTP
 * status) or ERR_NOMEM. ret_status gets the final HTTP status (200 on success).
 */
int kube_list(struct kube *k, const char *path, size_t page, json_t *(*each)(void *ud, json_t *item), void *ud,
	      json_t **ret_items, char **ret_rv,
	      long *ret_status, struct err *err);

/* Called for each watch event (a new reference the callee owns). Return 0 to go on, a
 * non-zero value to stop the stream (kube_watch then returns that value). */
typedef int (*kube_event_fn)(void *ud, json_t *event);

/*
 * A watch stream: GET path (which carries watch=1 and resourceVersion). Each line of
 * the chunked body is handed to fn. Returns when the server ends the stream (0), the
 * callback stops it (its value), the connection drops (ERR_IO), nothing at all arrives
 * for stall_s seconds (ERR_IO; 0: no such limit), or stop is raised.
 * *ret_status gets the HTTP status (a 410 or 429 arrives as the status of the watch
 * request itself; retry_after likewise).
 */
int kube_watch(struct kube *k, const char *path, int stall_s, kube_event_fn fn, void *ud, long *ret_status,
	       long *ret_retry_after, struct err *err);

/* Sleep ms milliseconds or until the calling thread's stop flag rises; false when stopped. */
bool kube_sleep(struct kube *k, long ms);
/* Backoff for attempt n (0-based): full jitter in [base/2, min(max, base * 2^n)]. */
long kube_backoff_ms(struct kube *k, int attempt);

/* Percent-encode s for a query value into a new string. */
char *kube_escape(const char *s);

#endif
