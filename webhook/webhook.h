/*
 * webhook: the admission endpoints over httpd. Decodes AdmissionReview v1, asks the
 * engine (core/admit) against the cluster view of a struct viewsrc, encodes the
 * answer, counts it (metrics) and logs it (one JSON line per review).
 *
 *   POST /validate   Gateway, HTTPRoute (v1, v1beta1), GRPCRoute, TCPRoute, UDPRoute:
 *                    CREATE and UPDATE are checked (rules, cross-object checks and the
 *                    validation policies); everything else (DELETE, CONNECT, subresources, other
 *                    kinds) is allowed untouched.
 *   POST /mutate     Gateway, HTTPRoute, GRPCRoute: the schema defaults an older CRD
 *                    bundle would not fill, and for Gateways the policy defaults, as one
 *                    minimal JSON Patch; generated Services: the policy patch. Never
 *                    denies.
 *   GET  /healthz    200 while the process serves.
 *   GET  /readyz     200 once the cluster view is loaded or synced, 503 before and
 *                    while shutting down.
 *   GET  /metrics    Prometheus text.
 *
 * Request problems are HTTP errors with a metav1 Status body: 400 malformed JSON,
 * nesting over the cap, not an AdmissionReview v1, no request or uid; 404 unknown
 * path; 405 wrong method; 413 body over the cap; 415 Content-Type not JSON (all before
 * the body is read when the headers tell). A decision is always HTTP 200 with the
 * review; a deny carries status.code 403 and the engine's findings as the message.
 */
#ifndef WEBHOOK_WEBHOOK_H
#define WEBHOOK_WEBHOOK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "httpd.h"
#include "metrics.h"
#include "polsrc.h"
#include "rules.h"
#include "viewsrc.h"

struct view;
struct findings;

struct webhook_config {
	const struct viewsrc *src;           /* borrowed */
	const struct rules_config *rules;    /* borrowed; NULL = defaults */
	bool strict;                         /* missing references deny */
	size_t body_max;
	unsigned json_depth_max;             /* nesting cap (<= jansson's 2048) */
	struct polsrc *policies;             /* borrowed; NULL: no policies */
	bool quiet;                          /* no per-review log lines */
	/* more /metrics text (malloc'd, appended; NULL: nothing), e.g. the watch cache's */
	char *(*extra_metrics)(void *ud);
	void *extra_metrics_ud;
};

struct webhook;

/* Also installs common/jarena.h's allocator for jansson (once per process): call it
 * before other threads use jansson. Each review runs in a region of its thread. */
struct webhook *webhook_new(const struct webhook_config *c);
void webhook_free(struct webhook *w);
/* The server whose connections and certificate /metrics reports (may stay unset). */
void webhook_set_httpd(struct webhook *w, struct httpd *h);
/* From now on /readyz answers 503 (shutting down). */
void webhook_set_draining(struct webhook *w);

/* httpd callbacks; ud is the struct webhook. */
void webhook_precheck(void *ud, const struct httpd_request *req, struct httpd_response *resp);
void webhook_handle(void *ud, const struct httpd_request *req, struct httpd_response *resp);

/* One review without HTTP (tests, fuzzing): mutate selects /mutate. Fills resp as the
 * endpoint would. */
void webhook_review(struct webhook *w, bool mutate, const char *body, size_t len, struct httpd_response *resp);

#endif
