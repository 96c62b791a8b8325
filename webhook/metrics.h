/*
 * metrics: the webhook's Prometheus counters, lock-free (atomics) so the pool threads
 * never wait on each other to count. metrics_text renders the text exposition format.
 */
#ifndef WEBHOOK_METRICS_H
#define WEBHOOK_METRICS_H

#include <stddef.h>

enum metrics_endpoint { METRICS_VALIDATE, METRICS_MUTATE, METRICS_NENDPOINT };
enum metrics_kind { MK_GATEWAY, MK_HTTPROUTE, MK_GRPCROUTE, MK_TCPROUTE, MK_UDPROUTE, MK_SERVICE, MK_OTHER, METRICS_NKIND };
enum metrics_op { MO_CREATE, MO_UPDATE, MO_DELETE, MO_CONNECT, MO_OTHER, METRICS_NOP };
enum metrics_decision { MD_ALLOWED, MD_DENIED, MD_PATCHED, MD_ERROR, METRICS_NDECISION };

struct metrics;

struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);

enum metrics_kind metrics_kind_of(const char *kind);
enum metrics_op metrics_op_of(const char *op);
/* One admission answered (decision ERROR: a 4xx/5xx without a review). */
void metrics_admission(struct metrics *m, enum metrics_endpoint e, enum metrics_kind k, enum metrics_op o,
		       enum metrics_decision d, double seconds);
/* Any HTTP answer by status class, for the endpoints that are not admissions too. */
void metrics_http(struct metrics *m, int status);

struct metrics_gauges {
	size_t view_objects;
	long long cert_not_after;
	unsigned long cert_reloads, cert_reload_failures;
	unsigned connections;
	int ready;
};

/* The exposition text (malloc'd), or NULL when out of memory. */
char *metrics_text(struct metrics *m, const struct metrics_gauges *g, size_t *ret_len);

#endif
