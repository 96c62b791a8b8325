/*
 * reconcile: the reconciler command. Connects to the API server (--kubeconfig or
 * in-cluster), runs the watch cache, leader election on a Lease and the reconciler
 * (reconciler/reconcile.h): TLS certificate problems as Events, logs and metrics;
 * back-fill of generated Services with --policy. SIGTERM/SIGINT: stop, give the
 * Lease up, exit 0.
 */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "err.h"
#include "httpd.h"
#include "jlog.h"
#include "kcache.h"
#include "kube.h"
#include "lease.h"
#include "policyload.h"
#include "reconcile.h"
#include "subst.h"

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

static void usage(FILE *f)
{
	fputs("usage: gatewarden reconcile [--kubeconfig FILE | --in-cluster] [options]\n"
	      "\n"
	      "Watches the cluster and, while holding the leader Lease, writes:\n"
	      "  - Warning Events on Gateways whose HTTPS/TLS listeners' certificates are missing,\n"
	      "    unusable (key does not match), expired or expiring, or do not cover the listener\n"
	      "    hostname or a hostname of an attached route (each problem once);\n"
	      "  - with --policy: back-fill patches for generated Services (the webhook's result;\n"
	      "    spec.loadBalancerClass differences are reported, never written).\n"
	      "\n"
	      "  --kubeconfig FILE          kubeconfig (current context unless --context)\n"
	      "  --context NAME             kubeconfig context\n"
	      "  --in-cluster               service account of the pod (default without --kubeconfig)\n"
	      "  --insecure-skip-tls-verify do not verify the API server's certificate (testing only)\n"
	      "  --allow-insecure-http      allow an http:// API server (testing only)\n"
	      "  --policy PATH              policy files or directories (repeatable), as for serve\n"
	      "  --var NAME=VALUE           substitute ${NAME} in the policy files (repeatable)\n"
	      "  --lease-namespace NS       namespace of the Lease (default: the pod's, else default)\n"
	      "  --lease-name NAME          Lease name (default gatewarden-reconciler)\n"
	      "  --identity ID              this replica's identity (default: hostname-pid)\n"
	      "  --lease-duration SECONDS   leaseDurationSeconds (default 15)\n"
	      "  --resync SECONDS           full pass period without changes (default 30)\n"
	      "  --metrics-listen ADDR:PORT serve /metrics and /healthz over HTTPS (needs --tls-cert/--tls-key)\n"
	      "  --tls-cert FILE, --tls-key FILE  the metrics server's certificate and key\n"
	      "  --once                     sync, run one pass (writing if elected), exit\n"
	      "  --log-level LEVEL          debug, info, warning or error (default info)\n"
	      "\n"
	      "Logs are JSON lines on stderr. Exit status 0 after SIGTERM/SIGINT or --once, 2 on bad\n"
	      "options or a start-up failure.\n",
	      f);
}

struct ropts {
	const char *kubeconfig, *context;
	bool in_cluster, insecure, allow_http, once;
	const char *policy[POLICYLOAD_MAX_PATHS];
	size_t npolicy;
	struct subst_vars vars;
	const char *lease_ns, *lease_name, *identity;
	int lease_duration, resync;
	const char *metrics_listen, *cert, *key;
};

struct msrv {
	struct reconciler *r;
	struct kcache *c;
};

static void metrics_handle(void *ud, const struct httpd_request *req, struct httpd_response *resp)
{
	struct msrv *m = ud;

	resp->content_type = "text/plain; charset=utf-8";
	if (strcmp(req->method, "GET") != 0) {
		resp->status = 405;
		return;
	}
	if (strcmp(req->path, "/healthz") == 0 || strcmp(req->path, "/readyz") == 0) {
		bool ok = reconcile_healthy(m->r);
		resp->status = ok ? 200 : 503;
		resp->body = strdup(ok ? "ok\n" : "not synced\n");
		resp->len = resp->body ? strlen(resp->body) : 0;
		return;
	}
	if (strcmp(req->path, "/metrics") == 0) {
		char *a = reconcile_metrics_text(m->r), *b = kcache_metrics_text(m->c);
		size_t la = a ? strlen(a) : 0, lb = b ? strlen(b) : 0;

		resp->body = malloc(la + lb + 1);
		if (resp->body != NULL) {
			memcpy(resp->body, a ? a : "", la);
			memcpy(resp->body + la, b ? b : "", lb + 1);
			resp->len = la + lb;
		}
		free(a);
		free(b);
		resp->status = resp->body ? 200 : 500;
		return;
	}
	resp->status = 404;
}

static void metrics_precheck(void *ud, const struct httpd_request *req, struct httpd_response *resp)
{
	(void)ud;
	(void)req;
	resp->status = 0;
}

static int parse(struct ropts *o, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kubeconfig", required_argument, NULL, 'k' },
		{ "context", required_argument, NULL, 'x' },
		{ "in-cluster", no_argument, NULL, 'i' },
		{ "insecure-skip-tls-verify", no_argument, NULL, 'I' },
		{ "allow-insecure-http", no_argument, NULL, 'H' },
		{ "policy", required_argument, NULL, 'p' },
		{ "var", required_argument, NULL, 'v' },
		{ "lease-namespace", required_argument, NULL, 'N' },
		{ "lease-name", required_argument, NULL, 'L' },
		{ "identity", required_argument, NULL, 'D' },
		{ "lease-duration", required_argument, NULL, 'd' },
		{ "resync", required_argument, NULL, 'r' },
		{ "metrics-listen", required_argument, NULL, 'm' },
		{ "tls-cert", required_argument, NULL, 'c' },
		{ "tls-key", required_argument, NULL, 'K' },
		{ "once", no_argument, NULL, 'o' },
		{ "log-level", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct err err;
	int ch;

	err_init(&err);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		char *end;

		switch (ch) {
		case 'k': o->kubeconfig = optarg; break;
		case 'x': o->context = optarg; break;
		case 'i': o->in_cluster = true; break;
		case 'I': o->insecure = true; break;
		case 'H': o->allow_http = true; break;
		case 'p':
			if (o->npolicy >= POLICYLOAD_MAX_PATHS) {
				fprintf(stderr, "gatewarden reconcile: --policy: at most %d paths\n", POLICYLOAD_MAX_PATHS);
				return 2;
			}
			o->policy[o->npolicy++] = optarg;
			break;
		case 'v':
			if (subst_add(&o->vars, optarg, &err) < 0) {
				fprintf(stderr, "gatewarden reconcile: --var: %s\n", err.msg);
				return 2;
			}
			break;
		case 'N': o->lease_ns = optarg; break;
		case 'L': o->lease_name = optarg; break;
		case 'D': o->identity = optarg; break;
		case 'd':
		case 'r': {
			long v = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || v < 1 || v > 3600) {
				fprintf(stderr, "gatewarden reconcile: %s: expected seconds (1-3600), got '%s'\n",
					ch == 'd' ? "--lease-duration" : "--resync", optarg);
				return 2;
			}
			if (ch == 'd')
				o->lease_duration = (int)v;
			else
				o->resync = (int)v;
			break;
		}
		case 'm': o->metrics_listen = optarg; break;
		case 'c': o->cert = optarg; break;
		case 'K': o->key = optarg; break;
		case 'o': o->once = true; break;
		case 'g': jlog_set_level(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "gatewarden reconcile: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (o->kubeconfig != NULL && o->in_cluster) {
		fprintf(stderr, "gatewarden reconcile: --kubeconfig and --in-cluster exclude each other\n");
		return 2;
	}
	if (o->metrics_listen != NULL && (o->cert == NULL || o->key == NULL)) {
		fprintf(stderr, "gatewarden reconcile: --metrics-listen needs --tls-cert and --tls-key\n");
		return 2;
	}
	return -1;
}

static void fail(const char *what, const struct err *e)
{
	json_t *x = json_pack("{ss}", "error", e->msg);
	jlog("error", what, x);
	json_decref(x);
}

int reconcile_main(int argc, char **argv)
{
	struct ropts o;
	struct kube_config cfg;
	struct err e;
	struct kube *kube = NULL;
	struct kcache *cache = NULL;
	struct lease *lease = NULL;
	struct reconciler *r = NULL;
	struct policy_set *policy = NULL;
	struct httpd *h = NULL;
	char ident[300];
	int rc, status = 2;

	memset(&o, 0, sizeof(o));
	subst_init(&o.vars);
	rc = parse(&o, argc, argv);
	if (rc >= 0)
		return rc;
	err_init(&e);
	memset(&cfg, 0, sizeof(cfg));
	if (o.kubeconfig != NULL)
		rc = kubeconfig_load(o.kubeconfig, o.context, &cfg, &e);
	else
		rc = kubeconfig_in_cluster(NULL, &cfg, &e);
	if (rc < 0) {
		fprintf(stderr, "gatewarden reconcile: %s\n", e.msg);
		return 2;
	}
	cfg.insecure_skip_verify = cfg.insecure_skip_verify || o.insecure;
	cfg.allow_http = o.allow_http;
	if (o.npolicy > 0) {
		policy = policyload_paths(o.policy, o.npolicy, &o.vars, &e);
		if (policy == NULL) {
			fprintf(stderr, "gatewarden reconcile: %s\n", e.msg);
			kube_config_free(&cfg);
			return 2;
		}
	}
	if (o.identity == NULL) {
		char host[256];

		if (gethostname(host, sizeof(host)) != 0)
			strcpy(host, "gatewarden");
		host[sizeof(host) - 1] = '\0';
		snprintf(ident, sizeof(ident), "%s-%ld", host, (long)getpid());
		o.identity = ident;
	}
	char ua[400];
	snprintf(ua, sizeof(ua), "gatewarden-reconcile/%s", o.identity);
	cfg.user_agent = strdup(ua);
	kube = kube_new(&cfg, &e);
	if (kube == NULL) {
		fprintf(stderr, "gatewarden reconcile: %s\n", e.msg);
		goto out;
	}
	struct lease_options lo = { o.lease_ns ? o.lease_ns : (cfg.namespace ? cfg.namespace : "default"),
				    o.lease_name, o.identity, o.lease_duration };
	lease = lease_new(kube, &lo, &e);
	if (lease == NULL)
		goto fail;
	struct reconcile_options ro = { .kube = kube, .lease = lease, .policy = policy, .identity = o.identity,
					.tick_ms = (unsigned)(lo.duration_s > 0 ? lo.duration_s : 15) * 1000 / 5,
					.resync_ms = (unsigned)(o.resync > 0 ? o.resync : 30) * 1000 };
	r = reconcile_new(&ro, &e);
	if (r == NULL)
		goto fail;
	struct kcache_options co = { .on_change = reconcile_on_change, .ud = r };
	cache = kcache_new(kube, &co, &e);
	if (cache == NULL)
		goto fail;
	reconcile_attach(r, cache);

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (kcache_start(cache, &e) < 0)
		goto fail;
	if (o.metrics_listen != NULL) {
		static struct msrv m;
		struct httpd_config hc = { .listen = o.metrics_listen, .cert_file = o.cert, .key_file = o.key,
					   .body_max = 4096, .threads = 1, .conn_limit = 64, .idle_timeout_s = 30,
					   .request_timeout_s = 10, .reload_ms = 5000, .precheck = metrics_precheck,
					   .handle = metrics_handle, .ud = &m };
		m.r = r;
		m.c = cache;
		if (httpd_start(&hc, &h, &e) < 0)
			goto fail;
		json_t *x = json_pack("{si}", "port", (int)httpd_port(h));
		jlog("info", "metrics listening", x);
		json_decref(x);
	}
	if (o.once) {
		while (!kcache_ready(cache) && !got_signal) {
			struct timespec ts = { 0, 50000000L };
			nanosleep(&ts, NULL);
		}
		if (!got_signal) {
			if (lease_tick(lease, &e) < 0)
				fail("leader election round failed", &e);
			reconcile_pass(r);
		}
		struct reconcile_stats s;
		reconcile_stats(r, &s);
		json_t *x = json_pack("{sbsisisisisisi}", "leader", s.leader, "problems", (int)s.problems, "events",
				      (int)s.events_written, "eventsExisting", (int)s.events_existing, "patches",
				      (int)s.patches, "conflicts", (int)s.patch_conflicts, "immutable",
				      (int)s.immutable);
		jlog("info", "reconcile --once done", x);
		json_decref(x);
		lease_release(lease);
		status = 0;
		goto out;
	}
	if (reconcile_start(r, &e) < 0)
		goto fail;
	jlog("info", "reconciler started", NULL);
	while (!got_signal) {
		struct timespec ts = { 0, 200000000L };
		nanosleep(&ts, NULL);
	}
	jlog("info", "signal received: stopping", NULL);
	status = 0;
	goto out;
fail:
	fail("reconcile: start-up failed", &e);
out:
	httpd_stop(h);
	reconcile_stop(r);
	kcache_stop(cache);
	reconcile_free(r);
	kcache_free(cache);
	lease_free(lease);
	kube_free(kube);
	policy_set_free(policy);
	kube_config_free(&cfg);
	return status;
}
