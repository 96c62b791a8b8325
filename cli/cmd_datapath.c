/*
 * cmd_datapath: `gatewarden datapath attach|sync|list|stats|detach`, the command
 * line of the eBPF socket load balancer (reconciler/datapath.h does the work).
 *
 * `sync` takes the objects from files (--state, once or --every SECONDS) or from a
 * cluster (--kubeconfig / --in-cluster): a watch cache of the kinds lbplan reads;
 * nothing is programmed before its first full sync (an empty plan would delete every
 * frontend), then the plan is rebuilt and programmed whenever the cache changed, at
 * most once per DP_DEBOUNCE_MS, until SIGINT/SIGTERM.
 */
#include "cmd_datapath.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "datapath.h"
#include "err.h"
#include "kcache.h"
#include "kubeopts.h"
#include "lbplan.h"
#include "monotime.h"
#include "stateload.h"
#include "store.h"
#include "viewsrc.h"

#define DP_MAX_STATE 64
#define DP_DEBOUNCE_MS 200   /* cluster mode: at most one programming per this long */
#define DP_RETRY_MS 1000     /* cluster mode: after a programming that failed */
#define DP_TICK_MS 50        /* cluster mode: how often the dirty flag is looked at */
#define DP_WAIT_LOG_MS 30000 /* cluster mode: "still waiting" while not synced */

static const char per_connection_note[] =
	"Weights apply per connection (TCP connect, or a UDP socket's first datagram to the\n"
	"frontend), not per request: every request on a kept-alive connection goes to the\n"
	"backend that connection was given.\n";

static void usage(FILE *f)
{
	fputs("usage: gatewarden datapath COMMAND [options]\n"
	      "\n"
	      "The eBPF datapath: a socket-level load balancer on a cgroup v2 directory. A\n"
	      "process in that cgroup that connects (TCP, connected UDP) or sends (UDP) to a\n"
	      "frontend (a Gateway address with a TCP/UDP listener's port) is sent straight to\n"
	      "one of its backends (Service endpoints) picked by weight; getpeername() and UDP\n"
	      "replies still show the frontend. Processes outside the cgroup are not affected.\n"
	      "State lives in bpffs (pinned maps and links), so it keeps working when no\n"
	      "gatewarden process runs. Needs root.\n"
	      "\n"
	      "commands:\n"
	      "  attach [--cgroup PATH]   load the programs and attach them to PATH: a cgroup v2\n"
	      "                           directory, absolute or relative to the cgroup v2 mount\n"
	      "                           (found in /proc/self/mountinfo; default: its root).\n"
	      "                           Again on the same cgroup: replaces the programs in\n"
	      "                           place (upgrade without a gap)\n"
	      "  sync --state PATH...     read Gateway API objects, Services and EndpointSlices\n"
	      "                           from files (as `check --state` does), build the plan and\n"
	      "                           program it once: changed frontends are swapped whole,\n"
	      "                           removed ones deleted. Options:\n"
	      "       -n, --namespace NS  namespace of objects that set none (default: default)\n"
	      "       --allow-http        also carry HTTP listeners whose single HTTPRoute needs\n"
	      "                           no L7 processing (one catch-all rule, no filters)\n"
	      "       --every SECONDS     keep running: re-read the files and converge every\n"
	      "                           SECONDS until SIGINT/SIGTERM\n"
	      "  sync --kubeconfig FILE [--context NAME] | --in-cluster\n"
	      "                           the same from a cluster, continuously, until SIGINT or\n"
	      "                           SIGTERM (exit 0): list/watch Gateways, GatewayClasses,\n"
	      "                           HTTPRoutes, TCPRoutes, UDPRoutes, ReferenceGrants,\n"
	      "                           Namespaces, Services and EndpointSlices (never Secrets);\n"
	      "                           nothing is programmed before the first full sync (what\n"
	      "                           is pinned keeps working meanwhile), then the plan is\n"
	      "                           rebuilt and programmed on every change, at most once\n"
	      "                           per 200 ms. Logs on stderr. Excludes --state. Options:\n"
	      "       --allow-http        as above\n"
	      "       --every SECONDS     also re-program every SECONDS without a change\n"
	      "                           (repairs maps changed behind its back; default: off)\n"
	      "       --context NAME      kubeconfig context (default: the current one)\n"
	      "       --in-cluster        the pod's service account (token, CA, API address)\n"
	      "       --insecure-skip-tls-verify  do not verify the API server (testing only)\n"
	      "       --allow-insecure-http       allow an http:// API server (testing only)\n"
	      "  list [-o text|json]      frontends, where they come from, backends and weights\n"
	      "  stats [-o text|json]     connections per backend and the split they add up to\n"
	      "  detach                   detach the programs and delete the pinned maps\n"
	      "\n"
	      "common options:\n"
	      "  --pin-dir DIR            bpffs directory of the maps and links\n"
	      "                           (default " DATAPATH_PIN_DIR "; bpffs is mounted on\n"
	      "                           /sys/fs/bpf when it is not)\n"
	      "\n",
	      f);
	fputs(per_connection_note, f);
	fputs("\nexit status: 0 done, 1 some frontends could not be programmed (see the\n"
	      "warnings; the rest was), 2 usage, input or system error (nothing changed).\n",
	      f);
}

struct dp_args {
	const char *cmd;
	const char *pin_dir;
	const char *cgroup;
	const char *state[DP_MAX_STATE];
	size_t nstate;
	const char *ns;
	bool ns_set;
	bool allow_http;
	bool json;
	double every;
	struct kubeopts ko;
};

enum {
	OPT_PIN = 256, OPT_CGROUP, OPT_STATE, OPT_ALLOW_HTTP, OPT_EVERY, OPT_KUBECONFIG, OPT_CONTEXT, OPT_IN_CLUSTER,
	OPT_INSECURE, OPT_INSECURE_HTTP,
};

/* Returns 0, 1 for --help (done), 2 for a usage error (reported). */
static int parse_args(struct dp_args *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pin-dir", required_argument, NULL, OPT_PIN },
		{ "cgroup", required_argument, NULL, OPT_CGROUP },
		{ "state", required_argument, NULL, OPT_STATE },
		{ "namespace", required_argument, NULL, 'n' },
		{ "allow-http", no_argument, NULL, OPT_ALLOW_HTTP },
		{ "every", required_argument, NULL, OPT_EVERY },
		{ "kubeconfig", required_argument, NULL, OPT_KUBECONFIG },
		{ "context", required_argument, NULL, OPT_CONTEXT },
		{ "in-cluster", no_argument, NULL, OPT_IN_CLUSTER },
		{ "insecure-skip-tls-verify", no_argument, NULL, OPT_INSECURE },
		{ "allow-insecure-http", no_argument, NULL, OPT_INSECURE_HTTP },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(a, 0, sizeof(*a));
	a->ns = "default";
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 1;
	}
	a->cmd = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "n:o:h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_PIN:
			a->pin_dir = optarg;
			break;
		case OPT_CGROUP:
			a->cgroup = optarg;
			break;
		case OPT_STATE:
			if (a->nstate == DP_MAX_STATE) {
				fprintf(stderr, "gatewarden datapath: at most %d --state paths\n", DP_MAX_STATE);
				return 2;
			}
			a->state[a->nstate++] = optarg;
			break;
		case 'n':
			a->ns = optarg;
			a->ns_set = true;
			break;
		case OPT_KUBECONFIG:
			a->ko.kubeconfig = optarg;
			break;
		case OPT_CONTEXT:
			a->ko.context = optarg;
			break;
		case OPT_IN_CLUSTER:
			a->ko.in_cluster = true;
			break;
		case OPT_INSECURE:
			a->ko.insecure = true;
			break;
		case OPT_INSECURE_HTTP:
			a->ko.allow_http = true;
			break;
		case OPT_ALLOW_HTTP:
			a->allow_http = true;
			break;
		case OPT_EVERY: {
			char *end = NULL;

			errno = 0;
			a->every = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' || !(a->every > 0) || a->every > 86400) {
				fprintf(stderr, "gatewarden datapath: --every wants seconds in (0, 86400], not '%s'\n",
					optarg);
				return 2;
			}
			break;
		}
		case 'o':
			if (strcmp(optarg, "json") == 0)
				a->json = true;
			else if (strcmp(optarg, "text") != 0) {
				fprintf(stderr, "gatewarden datapath: -o wants text or json, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			fputs("try `gatewarden datapath --help`\n", stderr);
			return 2;
		}
	}
	/* sync takes the state paths as arguments too */
	for (int i = optind; i < argc; i++) {
		if (strcmp(a->cmd, "sync") != 0) {
			fprintf(stderr, "gatewarden datapath %s: unexpected argument '%s'\n", a->cmd, argv[i]);
			return 2;
		}
		if (a->nstate == DP_MAX_STATE) {
			fprintf(stderr, "gatewarden datapath: at most %d --state paths\n", DP_MAX_STATE);
			return 2;
		}
		a->state[a->nstate++] = argv[i];
	}
	return 0;
}

static int fail(const char *cmd, const struct err *e)
{
	fprintf(stderr, "gatewarden datapath %s: %s\n", cmd, e->msg[0] ? e->msg : err_code_name(e->code));
	return 2;
}

/* ---- attach / detach ---- */

static int cmd_attach(const struct dp_args *a)
{
	struct datapath *dp = NULL;
	char cg[4096];
	struct err e;

	err_init(&e);
	if (datapath_open(a->pin_dir, DATAPATH_PROGRAMS, &dp, &e) != 0 ||
	    datapath_attach(dp, a->cgroup, cg, sizeof(cg), &e) != 0) {
		datapath_close(dp);
		return fail("attach", &e);
	}
	datapath_close(dp);
	printf("datapath attached to %s (pinned in %s)\n", cg, a->pin_dir ? a->pin_dir : DATAPATH_PIN_DIR);
	return 0;
}

static int cmd_detach(const struct dp_args *a)
{
	size_t removed = 0;
	struct err e;

	err_init(&e);
	if (datapath_detach(a->pin_dir, &removed, &e) != 0)
		return fail("detach", &e);
	if (removed == 0)
		printf("datapath: nothing was pinned in %s\n", a->pin_dir ? a->pin_dir : DATAPATH_PIN_DIR);
	else
		printf("datapath detached (%zu pins removed from %s)\n", removed,
		       a->pin_dir ? a->pin_dir : DATAPATH_PIN_DIR);
	return 0;
}

/* ---- sync ---- */

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void on_warn(void *ud, const char *msg)
{
	(void)ud;
	fprintf(stderr, "gatewarden datapath sync: warning: %s\n", msg);
}

/* The summary of one programming pass (stdout for --state, stderr in cluster mode). */
static void report(FILE *f, const struct lbplan *plan, size_t nobjs, const struct datapath_result *res,
		   bool quiet_unchanged)
{
	if (!quiet_unchanged || res->changed || res->removed || res->skipped)
		fprintf(f, "datapath: %zu frontends from %zu objects: %zu changed, %zu unchanged, %zu removed, %zu skipped\n",
			plan->n_frontends, nobjs, res->changed, res->unchanged, res->removed, res->skipped);
	fflush(f);
}

/* One pass: read, plan, program. Returns the exit code. */
static int sync_once(const struct dp_args *a, struct datapath *dp, bool quiet_unchanged)
{
	struct lbplan_opts opts = { .allow_http = a->allow_http };
	struct datapath_result res;
	struct lbplan plan = { 0 };
	struct store *s = store_new();
	size_t nobjs = 0;
	struct view v;
	struct err e;
	int rc;

	err_init(&e);
	if (s == NULL || store_set_default_namespace(s, a->ns) != 0) {
		store_free(s);
		fputs("gatewarden datapath sync: out of memory\n", stderr);
		return 2;
	}
	rc = stateload_paths_whole(s, a->state, a->nstate, NULL, a->ns, &nobjs, &e);
	if (rc == 0) {
		store_view(s, &v);
		rc = lbplan_build(&v, &opts, &plan, &e);
	}
	if (rc == 0)
		rc = datapath_program(dp, &plan, on_warn, NULL, &res, &e);
	if (rc != 0) {
		lbplan_free(&plan);
		store_free(s);
		return fail("sync", &e);
	}
	report(stdout, &plan, nobjs, &res, quiet_unchanged);
	lbplan_free(&plan);
	store_free(s);
	return res.skipped ? 1 : 0;
}

/* ---- sync from a cluster ---- */

/* What lbplan reads (core/lbplan.c), whole: routes keep their backendRefs, so the
 * cache is not slim. Never Secrets. */
static const enum kind dp_cluster_kinds[] = {
	KIND_GATEWAYCLASS, KIND_GATEWAY, KIND_HTTPROUTE, KIND_TCPROUTE, KIND_UDPROUTE,
	KIND_REFERENCEGRANT, KIND_NAMESPACE, KIND_SERVICE, KIND_ENDPOINTSLICE,
};

/* kcache_change_fn: runs with the cache lock held, so it only marks the plan stale. */
static void on_cache_change(void *ud, enum kind k, const char *type, const json_t *obj)
{
	atomic_int *dirty = ud;

	(void)k;
	(void)type;
	(void)obj;
	atomic_store(dirty, 1);
}

/* One pass from the watch cache: plan under the cache lock, program after releasing
 * it. Returns 0, 1 (some frontends skipped, warned) or 2 (failed, logged). */
static int sync_cluster_once(const struct dp_args *a, struct datapath *dp, const struct viewsrc *vs,
			     bool quiet_unchanged)
{
	struct lbplan_opts opts = { .allow_http = a->allow_http };
	struct datapath_result res;
	struct lbplan plan = { 0 };
	struct view v;
	struct err e;
	size_t nobjs;
	int rc;

	err_init(&e);
	nobjs = viewsrc_objects(vs); /* takes the lock itself: not inside acquire */
	viewsrc_acquire(vs, &v);
	rc = lbplan_build(&v, &opts, &plan, &e);
	viewsrc_release(vs);
	if (rc == 0)
		rc = datapath_program(dp, &plan, on_warn, NULL, &res, &e);
	if (rc != 0) {
		fprintf(stderr, "gatewarden datapath sync: %s (retrying in %d ms)\n",
			e.msg[0] ? e.msg : err_code_name(e.code), DP_RETRY_MS);
		lbplan_free(&plan);
		return 2;
	}
	report(stderr, &plan, nobjs, &res, quiet_unchanged);
	lbplan_free(&plan);
	return res.skipped ? 1 : 0;
}

static int cmd_sync_cluster(const struct dp_args *a)
{
	struct kubeopts_cluster kc = KUBEOPTS_CLUSTER_INIT;
	struct kcache_options co = { .slim = false };
	struct datapath *dp = NULL;
	atomic_int dirty = 0;
	struct viewsrc vs;
	struct err e;
	sigset_t set;
	long long next_at = 0, resync_at = 0, wait_log_at;
	bool ready = false, programmed = false;
	int sig;

	err_init(&e);
	for (size_t i = 0; i < sizeof(dp_cluster_kinds) / sizeof(dp_cluster_kinds[0]); i++)
		co.kinds |= 1u << dp_cluster_kinds[i];
	co.on_change = on_cache_change;
	co.ud = &dirty;
	/* the signals are taken by sigtimedwait below; the cache's threads inherit the mask */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* the cluster first: a bad kubeconfig leaves bpffs untouched */
	if (kubeopts_cluster_start(&kc, &a->ko, "gatewarden-datapath", &co, &e) != 0 ||
	    datapath_open(a->pin_dir, DATAPATH_MAPS, &dp, &e) != 0) {
		kubeopts_cluster_stop(&kc);
		datapath_close(dp);
		return fail("sync", &e);
	}
	kcache_viewsrc(kc.cache, &vs);
	fprintf(stderr, "gatewarden datapath sync: watching %s; nothing is programmed before the first full sync\n",
		a->ko.kubeconfig != NULL ? a->ko.kubeconfig : "the cluster (in-cluster service account)");
	wait_log_at = monotime_ms() + DP_WAIT_LOG_MS;
	for (;;) {
		struct timespec tick = { 0, DP_TICK_MS * 1000000L };
		long long now;
		int rc;

		sig = sigtimedwait(&set, NULL, &tick);
		if (sig == SIGINT || sig == SIGTERM)
			break;
		now = monotime_ms();
		if (!ready) {
			/* an empty plan before the sync would delete every frontend */
			if (!kcache_ready(kc.cache)) {
				if (now >= wait_log_at) {
					fprintf(stderr, "gatewarden datapath sync: still waiting for the first full sync "
							"(%zu objects so far)\n", kcache_objects(kc.cache));
					wait_log_at = now + DP_WAIT_LOG_MS;
				}
				continue;
			}
			ready = true;
			atomic_store(&dirty, 1);
			fprintf(stderr, "gatewarden datapath sync: watch cache synced (%zu objects)\n",
				kcache_objects(kc.cache));
		}
		if (a->every > 0 && programmed && now >= resync_at)
			atomic_store(&dirty, 1);
		/* debounce: changes that arrive meanwhile stay marked and go in the next pass */
		if (now < next_at || !atomic_exchange(&dirty, 0))
			continue;
		rc = sync_cluster_once(a, dp, &vs, programmed);
		now = monotime_ms();
		if (rc == 2) {
			atomic_store(&dirty, 1);
			next_at = now + DP_RETRY_MS;
			continue;
		}
		programmed = true;
		next_at = now + DP_DEBOUNCE_MS;
		resync_at = now + (long long)(a->every * 1000);
	}
	fprintf(stderr, "gatewarden datapath sync: %s: stopping (what is programmed stays)\n",
		sig == SIGTERM ? "SIGTERM" : "SIGINT");
	kubeopts_cluster_stop(&kc);
	datapath_close(dp);
	return 0;
}

static int cmd_sync(const struct dp_args *a)
{
	struct datapath *dp = NULL;
	struct err e;
	int rc;

	err_init(&e);
	if (kubeopts_check(&a->ko, &e) != 0)
		return fail("sync", &e);
	if (kubeopts_wanted(&a->ko)) {
		if (a->nstate > 0 || a->ns_set) {
			fputs("gatewarden datapath sync: the objects come from --state or from a cluster "
			      "(--kubeconfig, --in-cluster), not both (-n belongs to --state)\n",
			      stderr);
			return 2;
		}
		return cmd_sync_cluster(a);
	}
	if (a->nstate == 0) {
		fputs("gatewarden datapath sync: give the objects with --state PATH (files, directories or -), "
		      "or watch a cluster (--kubeconfig FILE, --in-cluster)\n",
		      stderr);
		return 2;
	}
	if (datapath_open(a->pin_dir, DATAPATH_MAPS, &dp, &e) != 0)
		return fail("sync", &e);
	rc = sync_once(a, dp, false);
	if (a->every > 0) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_stop;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		while (!stop_requested) {
			struct timespec ts;

			ts.tv_sec = (time_t)a->every;
			ts.tv_nsec = (long)((a->every - (double)ts.tv_sec) * 1e9);
			if (nanosleep(&ts, NULL) != 0 && errno == EINTR && stop_requested)
				break;
			rc = sync_once(a, dp, true);
		}
	}
	datapath_close(dp);
	return rc;
}

/* ---- list / stats ---- */

static void addr_text(const struct lbplan_addr *a, char *buf, size_t size)
{
	if (inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->bytes, buf, (socklen_t)size) == NULL)
		snprintf(buf, size, "?");
}

static void endpoint_text(const struct lbplan_addr *a, uint16_t port, char *buf, size_t size)
{
	char ip[INET6_ADDRSTRLEN];

	addr_text(a, ip, sizeof(ip));
	snprintf(buf, size, a->family == 6 ? "[%s]:%u" : "%s:%u", ip, (unsigned)port);
}

static const char *proto_name(uint8_t p)
{
	return p == 17 ? "UDP" : p == 6 ? "TCP" : "?";
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static json_t *dump_json(const struct datapath_dump *d, bool with_stats)
{
	json_t *root = json_object(), *arr = json_array();

	if (root == NULL || arr == NULL) {
		json_decref(root);
		json_decref(arr);
		return NULL;
	}
	for (size_t i = 0; i < d->n_frontends; i++) {
		const struct datapath_frontend *f = &d->frontends[i];
		json_t *fo, *bes = json_array();
		char ip[INET6_ADDRSTRLEN];

		addr_text(&f->addr, ip, sizeof(ip));
		fo = json_pack("{s:s, s:i, s:s, s:s, s:i}", "address", ip, "port", (int)f->port, "protocol",
			       proto_name(f->proto), "source", f->source, "slots", (int)f->nslots);
		if (fo == NULL || bes == NULL) {
			json_decref(fo);
			json_decref(bes);
			json_decref(root);
			json_decref(arr);
			return NULL;
		}
		if (with_stats)
			json_object_set_new(fo, "connections", json_integer((json_int_t)f->conns));
		for (size_t j = 0; j < f->n_backends; j++) {
			const struct datapath_backend *b = &f->backends[j];
			json_t *bo;

			addr_text(&b->addr, ip, sizeof(ip));
			bo = json_pack("{s:s, s:i, s:i, s:f}", "address", ip, "port", (int)b->port, "slots",
				       (int)b->slots, "weight_share", f->nslots ? (double)b->slots / f->nslots : 0.0);
			if (bo != NULL && with_stats) {
				json_object_set_new(bo, "connections", json_integer((json_int_t)b->conns));
				json_object_set_new(bo, "share", json_real(f->conns ? (double)b->conns / f->conns : 0.0));
			}
			json_array_append_new(bes, bo);
		}
		json_object_set_new(fo, "backends", bes);
		json_array_append_new(arr, fo);
	}
	json_object_set_new(root, "frontends", arr);
	json_object_set_new(root, "weights", json_string("per connection, not per request"));
	return root;
}

static int print_json(const struct datapath_dump *d, bool with_stats)
{
	json_t *root = dump_json(d, with_stats);

	if (root == NULL || json_dumpf(root, stdout, JSON_INDENT(2)) != 0) {
		json_decref(root);
		fputs("gatewarden datapath: out of memory\n", stderr);
		return 2;
	}
	putchar('\n');
	json_decref(root);
	return 0;
}

static void print_list(const struct datapath_dump *d)
{
	char ep[64];

	for (size_t i = 0; i < d->n_frontends; i++) {
		const struct datapath_frontend *f = &d->frontends[i];

		endpoint_text(&f->addr, f->port, ep, sizeof(ep));
		printf("%s/%s  %s\n", ep, proto_name(f->proto), f->source[0] ? f->source : "(source unknown)");
		if (f->nslots == 0)
			printf("  no backend: connections are refused (EPERM)\n");
		for (size_t j = 0; j < f->n_backends; j++) {
			const struct datapath_backend *b = &f->backends[j];

			if (b->slots == 0)
				continue;
			endpoint_text(&b->addr, b->port, ep, sizeof(ep));
			printf("  -> %-40s weight %6.2f%%  (%u of %u slots)\n", ep, pct(b->slots, f->nslots),
			       b->slots, f->nslots);
		}
	}
	printf("%zu frontends. %s", d->n_frontends, per_connection_note);
}

static void print_stats(const struct datapath_dump *d)
{
	char ep[64];

	for (size_t i = 0; i < d->n_frontends; i++) {
		const struct datapath_frontend *f = &d->frontends[i];

		endpoint_text(&f->addr, f->port, ep, sizeof(ep));
		printf("%s/%s  %llu connections\n", ep, proto_name(f->proto), (unsigned long long)f->conns);
		for (size_t j = 0; j < f->n_backends; j++) {
			const struct datapath_backend *b = &f->backends[j];

			endpoint_text(&b->addr, b->port, ep, sizeof(ep));
			printf("  -> %-40s %10llu  %6.2f%%  (weight %6.2f%%%s)\n", ep, (unsigned long long)b->conns,
			       pct(b->conns, f->conns), pct(b->slots, f->nslots), b->slots ? "" : ", no longer a backend");
		}
	}
	printf("%zu frontends. %s", d->n_frontends, per_connection_note);
}

static int cmd_show(const struct dp_args *a, bool stats)
{
	struct datapath_dump d;
	struct datapath *dp = NULL;
	struct err e;
	int rc = 0;

	err_init(&e);
	if (datapath_open(a->pin_dir, DATAPATH_EXISTING, &dp, &e) != 0 || datapath_dump(dp, &d, &e) != 0) {
		datapath_close(dp);
		return fail(a->cmd, &e);
	}
	if (a->json)
		rc = print_json(&d, stats);
	else if (stats)
		print_stats(&d);
	else
		print_list(&d);
	datapath_dump_free(&d);
	datapath_close(dp);
	return rc;
}

int cmd_datapath_main(int argc, char **argv)
{
	struct dp_args a;
	int rc = parse_args(&a, argc, argv);

	if (rc != 0)
		return rc == 1 ? 0 : rc;
	if (strcmp(a.cmd, "sync") != 0 &&
	    (a.nstate || a.every > 0 || a.allow_http || a.ns_set || a.ko.kubeconfig != NULL || a.ko.context != NULL ||
	     a.ko.in_cluster || a.ko.insecure || a.ko.allow_http)) {
		fprintf(stderr, "gatewarden datapath %s: --state, -n, --every, --allow-http and the cluster options "
				"(--kubeconfig, --context, --in-cluster, ...) belong to sync\n",
			a.cmd);
		return 2;
	}
	if (a.cgroup != NULL && strcmp(a.cmd, "attach") != 0) {
		fprintf(stderr, "gatewarden datapath %s: --cgroup belongs to attach\n", a.cmd);
		return 2;
	}
	if (strcmp(a.cmd, "attach") == 0)
		return cmd_attach(&a);
	if (strcmp(a.cmd, "sync") == 0)
		return cmd_sync(&a);
	if (strcmp(a.cmd, "list") == 0)
		return cmd_show(&a, false);
	if (strcmp(a.cmd, "stats") == 0)
		return cmd_show(&a, true);
	if (strcmp(a.cmd, "detach") == 0)
		return cmd_detach(&a);
	fprintf(stderr, "gatewarden datapath: unknown command '%s'\n", a.cmd);
	usage(stderr);
	return 2;
}
