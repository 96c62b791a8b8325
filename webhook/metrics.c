/* metrics: Prometheus counters of the webhook (see metrics.h). */
#include "metrics.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double BUCKETS[] = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1 };
#define NBUCKETS (sizeof(BUCKETS) / sizeof(BUCKETS[0]))

static const char *const ENDPOINTS[] = { "validate", "mutate" };
static const char *const KINDS[] = { "Gateway", "HTTPRoute", "GRPCRoute", "TCPRoute", "UDPRoute", "Service", "other" };
static const char *const OPS[] = { "CREATE", "UPDATE", "DELETE", "CONNECT", "other" };
static const char *const DECISIONS[] = { "allowed", "denied", "patched", "error" };

struct metrics {
	atomic_ulong requests[METRICS_NENDPOINT][METRICS_NKIND][METRICS_NOP][METRICS_NDECISION];
	atomic_ulong buckets[METRICS_NENDPOINT][NBUCKETS];
	atomic_ulong count[METRICS_NENDPOINT];
	atomic_ulong sum_ns[METRICS_NENDPOINT];
	atomic_ulong http[6]; /* by status / 100 */
};

struct metrics *metrics_new(void)
{
	return calloc(1, sizeof(struct metrics));
}

void metrics_free(struct metrics *m)
{
	free(m);
}

enum metrics_kind metrics_kind_of(const char *kind)
{
	for (int i = 0; i < MK_OTHER; i++)
		if (kind && strcmp(kind, KINDS[i]) == 0)
			return (enum metrics_kind)i;
	return MK_OTHER;
}

enum metrics_op metrics_op_of(const char *op)
{
	for (int i = 0; i < MO_OTHER; i++)
		if (op && strcmp(op, OPS[i]) == 0)
			return (enum metrics_op)i;
	return MO_OTHER;
}

void metrics_admission(struct metrics *m, enum metrics_endpoint e, enum metrics_kind k, enum metrics_op o,
		       enum metrics_decision d, double seconds)
{
	atomic_fetch_add(&m->requests[e][k][o][d], 1);
	for (size_t b = 0; b < NBUCKETS; b++)
		if (seconds <= BUCKETS[b]) {
			atomic_fetch_add(&m->buckets[e][b], 1);
			break;
		}
	atomic_fetch_add(&m->count[e], 1);
	atomic_fetch_add(&m->sum_ns[e], (unsigned long)(seconds * 1e9));
}

void metrics_http(struct metrics *m, int status)
{
	int c = status / 100;

	if (c >= 0 && c < 6)
		atomic_fetch_add(&m->http[c], 1);
}

struct buf {
	char *p;
	size_t n, cap;
	int fail;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->fail)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->fail = 1;
			return;
		}
		if ((size_t)n < b->cap - b->n) {
			b->n += (size_t)n;
			return;
		}
		{
			size_t ncap = b->cap * 2 + (size_t)n;
			char *np = realloc(b->p, ncap);

			if (np == NULL) {
				b->fail = 1;
				return;
			}
			b->p = np;
			b->cap = ncap;
		}
	}
}

char *metrics_text(struct metrics *m, const struct metrics_gauges *g, size_t *ret_len)
{
	struct buf b = { .cap = 8192 };

	b.p = malloc(b.cap);
	if (b.p == NULL)
		return NULL;
	b.p[0] = '\0';
	put(&b, "# HELP gatewarden_admission_requests_total Admission reviews answered, by endpoint, kind, operation and decision.\n"
		"# TYPE gatewarden_admission_requests_total counter\n");
	for (int e = 0; e < METRICS_NENDPOINT; e++)
		for (int k = 0; k < METRICS_NKIND; k++)
			for (int o = 0; o < METRICS_NOP; o++)
				for (int d = 0; d < METRICS_NDECISION; d++) {
					unsigned long v = atomic_load(&m->requests[e][k][o][d]);

					if (v)
						put(&b, "gatewarden_admission_requests_total{endpoint=\"%s\",kind=\"%s\",operation=\"%s\",decision=\"%s\"} %lu\n",
						    ENDPOINTS[e], KINDS[k], OPS[o], DECISIONS[d], v);
				}
	put(&b, "# HELP gatewarden_admission_duration_seconds Time from a complete request to its answer.\n"
		"# TYPE gatewarden_admission_duration_seconds histogram\n");
	for (int e = 0; e < METRICS_NENDPOINT; e++) {
		unsigned long cum = 0;

		for (size_t i = 0; i < NBUCKETS; i++) {
			cum += atomic_load(&m->buckets[e][i]);
			put(&b, "gatewarden_admission_duration_seconds_bucket{endpoint=\"%s\",le=\"%g\"} %lu\n", ENDPOINTS[e],
			    BUCKETS[i], cum);
		}
		put(&b, "gatewarden_admission_duration_seconds_bucket{endpoint=\"%s\",le=\"+Inf\"} %lu\n", ENDPOINTS[e],
		    atomic_load(&m->count[e]));
		put(&b, "gatewarden_admission_duration_seconds_sum{endpoint=\"%s\"} %.9f\n", ENDPOINTS[e],
		    (double)atomic_load(&m->sum_ns[e]) / 1e9);
		put(&b, "gatewarden_admission_duration_seconds_count{endpoint=\"%s\"} %lu\n", ENDPOINTS[e],
		    atomic_load(&m->count[e]));
	}
	put(&b, "# HELP gatewarden_http_responses_total HTTP answers by status class.\n"
		"# TYPE gatewarden_http_responses_total counter\n");
	for (int c = 1; c < 6; c++)
		put(&b, "gatewarden_http_responses_total{code=\"%dxx\"} %lu\n", c, atomic_load(&m->http[c]));
	put(&b, "# HELP gatewarden_cluster_view_objects Objects in the cluster view.\n"
		"# TYPE gatewarden_cluster_view_objects gauge\ngatewarden_cluster_view_objects %zu\n", g->view_objects);
	put(&b, "# HELP gatewarden_ready 1 once the cluster view is loaded or synced.\n"
		"# TYPE gatewarden_ready gauge\ngatewarden_ready %d\n", g->ready);
	put(&b, "# HELP gatewarden_serving_certificate_expiry_timestamp_seconds notAfter of the serving certificate in force.\n"
		"# TYPE gatewarden_serving_certificate_expiry_timestamp_seconds gauge\n"
		"gatewarden_serving_certificate_expiry_timestamp_seconds %lld\n", g->cert_not_after);
	put(&b, "# HELP gatewarden_serving_certificate_reloads_total Certificate reloads, by result.\n"
		"# TYPE gatewarden_serving_certificate_reloads_total counter\n"
		"gatewarden_serving_certificate_reloads_total{result=\"ok\"} %lu\n"
		"gatewarden_serving_certificate_reloads_total{result=\"refused\"} %lu\n",
	    g->cert_reloads, g->cert_reload_failures);
	put(&b, "# HELP gatewarden_connections Open HTTPS connections.\n"
		"# TYPE gatewarden_connections gauge\ngatewarden_connections %u\n", g->connections);
	if (b.fail) {
		free(b.p);
		return NULL;
	}
	*ret_len = b.n;
	return b.p;
}
