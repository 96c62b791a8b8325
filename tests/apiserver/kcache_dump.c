/*
 * kcache_dump: runs the watch cache against an API server and answers commands on
 * stdin, for the scripted storm test (kcache_storm.py):
 *   dump   one JSON line: {"ready", "objects": [[kind, ns, name, rv]...],
 *          "applied": [[kind, ns, name, rv, type]... since the previous dump],
 *          "stats": {kind: {...}}}
 *   ready  wait until the first full sync is done; one JSON line: {"ready_ms", "objects",
 *          "vmhwm_kb"} (time since start, peak RSS)
 *   latency  one JSON line: write-to-cache delay of the objects that carry the
 *          annotation bench.gatewarden.io/sent (Unix seconds, set by the writer):
 *          {"n", "p50_ms", "p99_ms", "max_ms"}, and with --reconcile the reconciler's
 *          change-to-decision latency {"decisions", "avg_ms", "max_ms"}
 *   reset  forget the latency samples so far (prints "{}")
 *   quit   stop the cache and exit 0
 * Usage: kcache_dump KUBECONFIG [--page N] [--reconcile] [--slim] [--watch-stall S]
 * (--slim: the cache serve runs, objects slimmed and routes kept as text;
 * --watch-stall: kcache_options.watch_stall)
 */
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jv.h"
#include "kcache.h"
#include "kube.h"
#include "lease.h"
#include "reconcile.h"

#include <time.h>

static double *lat;
static size_t nlat, caplat;
static struct reconciler *rec;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static long vmhwm_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmHWM:", 6) == 0)
			v = strtol(line + 6, NULL, 10);
	fclose(f);
	return v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static pthread_mutex_t applied_mu = PTHREAD_MUTEX_INITIALIZER;
static json_t *applied;

static void on_change(void *ud, enum kind k, const char *type, const json_t *obj)
{
	const json_t *meta = jv_obj(obj, "metadata");

	const char *sent = jv_str(jv_obj(meta, "annotations"), "bench.gatewarden.io/sent");

	if (rec != NULL)
		reconcile_on_change(rec, k, type, obj);
	(void)ud;
	pthread_mutex_lock(&applied_mu);
	if (sent != NULL) {
		if (nlat == caplat) {
			size_t nc = caplat ? caplat * 2 : 1024;
			double *nv = realloc(lat, nc * sizeof(*nv));
			if (nv != NULL) {
				lat = nv;
				caplat = nc;
			}
		}
		if (nlat < caplat)
			lat[nlat++] = now_s() - strtod(sent, NULL);
	}
	if (json_array_size(applied) > 100000) /* bench runs do not dump: keep memory flat */
		json_array_clear(applied);
	json_array_append_new(applied, json_pack("[sssss]", kind_name(k),
						 jv_str(meta, "namespace") ? jv_str(meta, "namespace") : "",
						 jv_str(meta, "name") ? jv_str(meta, "name") : "",
						 jv_str(meta, "resourceVersion") ? jv_str(meta, "resourceVersion") : "", type));
	pthread_mutex_unlock(&applied_mu);
}

static void dump(struct kcache *c)
{
	struct viewsrc vs;
	struct view v;
	json_t *out = json_object(), *objs = json_array(), *stats = json_object();

	kcache_viewsrc(c, &vs);
	json_object_set_new(out, "ready", json_boolean(viewsrc_ready(&vs)));
	viewsrc_acquire(&vs, &v);
	for (int k = KIND_OTHER + 1; k < KIND_MAX; k++) {
		const json_t *const *all;
		size_t n = view_list_kind(&v, (enum kind)k, &all);

		for (size_t i = 0; i < n; i++) {
			const json_t *meta = jv_obj(all[i], "metadata");
			json_array_append_new(objs, json_pack("[ssss]", kind_name((enum kind)k),
							      jv_str(meta, "namespace") ? jv_str(meta, "namespace") : "",
							      jv_str(meta, "name"), jv_str(meta, "resourceVersion")));
		}
	}
	viewsrc_release(&vs);
	for (int k = KIND_OTHER + 1; k < KIND_MAX; k++) {
		struct kcache_stats s;

		kcache_stats(c, (enum kind)k, &s);
		if (s.watches == 0 && s.lists == 0)
			continue;
		json_object_set_new(stats, kind_name((enum kind)k),
				    json_pack("{sIsIsIsIsIsIsIsIsb}", "lists", (json_int_t)s.lists, "relists_gone",
					      (json_int_t)s.relists_gone, "watches", (json_int_t)s.watches, "events",
					      (json_int_t)s.events, "duplicates", (json_int_t)s.duplicates, "bookmarks",
					      (json_int_t)s.bookmarks, "drops", (json_int_t)s.drops, "throttled",
					      (json_int_t)s.throttled, "synced", s.synced));
	}
	json_object_set_new(out, "objects", objs);
	pthread_mutex_lock(&applied_mu);
	json_object_set_new(out, "applied", applied);
	applied = json_array();
	pthread_mutex_unlock(&applied_mu);
	json_object_set_new(out, "stats", stats);
	json_dumpf(out, stdout, JSON_COMPACT);
	fputc('\n', stdout);
	fflush(stdout);
	json_decref(out);
}

int main(int argc, char **argv)
{
	struct kube_config cfg;
	struct kcache_options o = { 0 };
	struct kube_retry retry = { 0, 50, 2000 };
	struct err e;
	struct kube *kube;
	struct kcache *c;
	char line[256];

	double t0 = now_s();
	bool with_reconcile = false;
	size_t page = 7; /* small pages by default: the storm exercises continue tokens */
	struct lease *lease = NULL;

	if (argc < 2) {
		fprintf(stderr, "usage: kcache_dump KUBECONFIG [--page N] [--reconcile] [--slim] [--watch-stall S]\n");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--page") == 0 && i + 1 < argc)
			page = (size_t)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--reconcile") == 0)
			with_reconcile = true;
		else if (strcmp(argv[i], "--slim") == 0)
			o.slim = true;
		else if (strcmp(argv[i], "--watch-stall") == 0 && i + 1 < argc)
			o.watch_stall = atoi(argv[++i]);
	}
	json_object_seed(0);
	err_init(&e);
	applied = json_array();
	if (kubeconfig_load(argv[1], NULL, &cfg, &e) < 0 || (kube = kube_new(&cfg, &e)) == NULL) {
		fprintf(stderr, "kcache_dump: %s\n", e.msg);
		return 1;
	}
	kube_config_free(&cfg);
	kube_set_retry(kube, &retry);
	o.on_change = on_change;
	o.page = page;
	o.watch_timeout = 5;
	if (with_reconcile) {
		struct lease_options lo = { "default", "bench", "bench", 15 };
		struct reconcile_options ro = { 0 };

		lease = lease_new(kube, &lo, &e);
		ro.kube = kube;
		ro.lease = lease;
		ro.identity = "bench";
		ro.debounce_ms = 1;
		rec = lease ? reconcile_new(&ro, &e) : NULL;
		if (rec == NULL) {
			fprintf(stderr, "kcache_dump: %s\n", e.msg);
			return 1;
		}
	}
	c = kcache_new(kube, &o, &e);
	if (c == NULL || kcache_start(c, &e) < 0) {
		fprintf(stderr, "kcache_dump: %s\n", e.msg);
		return 1;
	}
	if (rec != NULL) {
		reconcile_attach(rec, c);
		if (reconcile_start(rec, &e) < 0) {
			fprintf(stderr, "kcache_dump: %s\n", e.msg);
			return 1;
		}
	}
	while (fgets(line, sizeof(line), stdin) != NULL) {
		if (strncmp(line, "dump", 4) == 0)
			dump(c);
		else if (strncmp(line, "quit", 4) == 0)
			break;
		else if (strncmp(line, "reset", 5) == 0) {
			pthread_mutex_lock(&applied_mu);
			nlat = 0;
			pthread_mutex_unlock(&applied_mu);
			if (rec != NULL)
				reconcile_reset_latency(rec);
			printf("{}\n");
			fflush(stdout);
		} else if (strncmp(line, "ready", 5) == 0) {
			while (!kcache_ready(c)) {
				struct timespec ts = { 0, 1000000L };
				nanosleep(&ts, NULL);
			}
			printf("{\"ready_ms\": %.1f, \"objects\": %zu, \"vmhwm_kb\": %ld}\n", (now_s() - t0) * 1000,
			       kcache_objects(c), vmhwm_kb());
			fflush(stdout);
		} else if (strncmp(line, "latency", 7) == 0) {
			struct reconcile_stats rs = { 0 };

			pthread_mutex_lock(&applied_mu);
			qsort(lat, nlat, sizeof(*lat), cmp_double);
			printf("{\"n\": %zu, \"p50_ms\": %.2f, \"p99_ms\": %.2f, \"max_ms\": %.2f", nlat,
			       nlat ? lat[nlat / 2] * 1000 : 0.0, nlat ? lat[nlat * 99 / 100] * 1000 : 0.0,
			       nlat ? lat[nlat - 1] * 1000 : 0.0);
			pthread_mutex_unlock(&applied_mu);
			if (rec != NULL) {
				reconcile_stats(rec, &rs);
				printf(", \"decisions\": %lu, \"decision_avg_ms\": %.2f, \"decision_max_ms\": %.2f",
				       rs.latency_count, rs.latency_count ? rs.latency_sum_ns / 1e6 / rs.latency_count : 0.0,
				       rs.latency_max_ns / 1e6);
			}
			printf("}\n");
			fflush(stdout);
		}
	}
	kcache_stop(c); /* no change callbacks into the reconciler from here on */
	reconcile_free(rec);
	kcache_free(c);
	lease_free(lease);
	free(lat);
	kube_free(kube);
	json_decref(applied);
	return 0;
}
