/*
 * serve: the admission webhook command. Parses options, loads the cluster view,
 * starts the HTTPS server and waits for a signal:
 *   SIGTERM  /readyz turns 503, requests are still served for --shutdown-delay (the
 *            endpoints behind a Service need that long to drop this replica), then
 *            no new connections, requests in flight finish (at most --drain-timeout),
 *            exit 0;
 *   SIGINT   the same without the delay (Ctrl-C at a terminal).
 */
#include <getopt.h>
#include <pthread.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "err.h"
#include "filesrc.h"
#include "httpd.h"
#include "jarena.h"
#include "memtrim.h"
#include "jlog.h"
#include "kcache.h"
#include "kube.h"
#include "kubeopts.h"
#include "polsrc.h"
#include "rules.h"
#include "stateload.h"
#include "store.h"
#include "subst.h"
#include "webhook.h"

#define SERVE_MAX_STATE 64
#define SERVE_MAX_RULES 256

struct serve_opts {
	const char *listen;
	const char *cert, *key, *client_ca, *client_cn;
	const char *state[SERVE_MAX_STATE];
	size_t nstate;
	const char *policy[SERVE_MAX_STATE];
	size_t npolicy;
	unsigned policy_reload_ms;
	const char *default_ns;
	struct subst_vars vars;
	struct rules_config rules;
	const char *rule_args[SERVE_MAX_RULES]; /* --rule, applied after the mode's own settings */
	size_t nrules;
	const char *kubeconfig, *context;
	bool in_cluster, insecure, allow_http;
	size_t body_max;
	unsigned threads, max_conns, idle_timeout, request_timeout, shutdown_delay, drain_timeout, reload_ms;
	unsigned depth_max;
	bool quiet;
};

static void usage(FILE *f)
{
	fputs("usage: gatewarden serve --tls-cert FILE --tls-key FILE [options]\n"
	      "\n"
	      "The admission webhook: POST /validate and /mutate (AdmissionReview v1), GET /healthz,\n"
	      "/readyz and /metrics, over HTTPS (TLS 1.2 and 1.3, AEAD ciphers only).\n"
	      "\n"
	      "  --listen ADDR:PORT        address to listen on (default 127.0.0.1:8443; :8443 for all,\n"
	      "                            [::1]:8443 for IPv6; port 0 picks a free one, logged)\n"
	      "  --tls-cert FILE           serving certificate chain (PEM); re-read when it changes\n"
	      "  --tls-key FILE            its private key (PEM)\n"
	      "  --client-ca FILE          require client certificates issued by this CA (PEM)\n"
	      "  --client-cn NAME          ... and with this common name (e.g. kube-apiserver)\n"
	      "  --state PATH              cluster state from files or directories (repeatable), as\n"
	      "                            `check --state` reads them; - for stdin\n"
	      "  --kubeconfig FILE         the cluster view is a watch cache of this cluster instead\n"
	      "                            (current context unless --context); /readyz after the\n"
	      "                            first full sync; Secrets are not read (see below)\n"
	      "  --context NAME            kubeconfig context\n"
	      "  --in-cluster              the same with the pod's service account\n"
	      "  --insecure-skip-tls-verify  do not verify the API server's certificate (testing only)\n"
	      "  --allow-insecure-http     allow an http:// API server (testing only)\n"
	      "  --policy PATH             policy files or directories (repeatable; policies/README.md);\n"
	      "                            re-read when they change or on SIGHUP, a bad set is refused\n"
	      "                            and the one in force stays\n"
	      "  --policy-reload-ms MS     how often the policy files are checked (default 2000; 0 never)\n"
	      "  --var NAME=VALUE          substitute ${NAME} in the state and policy files (repeatable)\n"
	      "  -n, --namespace NS        namespace of state objects that set none (default: default)\n"
	      "  --strict                  deny when a referenced object is missing (default: warn)\n"
	      "  --rule ID=off|warn|error  change a rule's action (repeatable; see `gatewarden rules`)\n"
	      "  --body-max BYTES          request body cap, 413 above it (default 7340032 = 7 MiB)\n"
	      "  --json-depth-max N        JSON nesting cap, 400 above it (default 100)\n"
	      "  --threads N               worker threads, each with its own epoll (default: the\n"
	      "                            CPUs it may run on)\n"
	      "  --max-connections N       simultaneous connections (default 1000)\n"
	      "  --idle-timeout SECONDS    close connections idle this long (default 30)\n"
	      "  --request-timeout SECONDS drop a request not received in full by then (default 10)\n"
	      "  --shutdown-delay SECONDS  on SIGTERM, keep serving this long first (default 5)\n"
	      "  --drain-timeout SECONDS   then wait at most this long for requests in flight (default 10)\n"
	      "  --cert-reload-ms MS       how often the certificate files are checked (default 1000)\n"
	      "  --log-level LEVEL         debug, info, warning or error (default info)\n"
	      "  --quiet                   no log line per admission review\n"
	      "\n"
	      "With --kubeconfig or --in-cluster the webhook reads no Secrets (it needs list/watch\n"
	      "on Gateway API objects, Namespaces and Services only), so the certificate checks\n"
	      "that read a Secret (XO-CERT-MISSING, -MALFORMED, -SAN, -EXPIRED, -EXPIRING) are off\n"
	      "at admission; `gatewarden reconcile` reports them as Events. --rule turns them back\n"
	      "on (they then see every Secret as missing). Without --state or a cluster the view\n"
	      "is empty: single-object rules only, missing references warn.\n"
	      "\n"
	      "Logs are JSON lines on stderr. Exit status: 0 after a clean shutdown, 2 on bad options\n"
	      "or a start-up failure (unreadable certificate or state, address in use).\n",
	      f);
}

static int parse_uint(const char *opt, const char *s, unsigned long long max, unsigned long long *ret, struct err *err)
{
	char *end;
	unsigned long long v;

	if (*s == '-' || *s == '\0')
		return err_set(err, ERR_INVALID, "%s: expected a number, got '%s'", opt, s);
	v = strtoull(s, &end, 10);
	if (*end != '\0' || v > max)
		return err_set(err, ERR_INVALID, "%s: expected a number up to %llu, got '%s'", opt, max, s);
	*ret = v;
	return 0;
}

static int parse_args(struct serve_opts *o, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "tls-cert", required_argument, NULL, 'c' },
		{ "tls-key", required_argument, NULL, 'k' },
		{ "client-ca", required_argument, NULL, 'A' },
		{ "client-cn", required_argument, NULL, 'C' },
		{ "state", required_argument, NULL, 's' },
		{ "policy", required_argument, NULL, 'P' },
		{ "policy-reload-ms", required_argument, NULL, 'p' },
		{ "var", required_argument, NULL, 'v' },
		{ "namespace", required_argument, NULL, 'n' },
		{ "strict", no_argument, NULL, 'S' },
		{ "rule", required_argument, NULL, 'r' },
		{ "body-max", required_argument, NULL, 'B' },
		{ "json-depth-max", required_argument, NULL, 'D' },
		{ "threads", required_argument, NULL, 'T' },
		{ "max-connections", required_argument, NULL, 'M' },
		{ "idle-timeout", required_argument, NULL, 'I' },
		{ "request-timeout", required_argument, NULL, 'R' },
		{ "shutdown-delay", required_argument, NULL, 'W' },
		{ "drain-timeout", required_argument, NULL, 'd' },
		{ "cert-reload-ms", required_argument, NULL, 'L' },
		{ "log-level", required_argument, NULL, 'g' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "kubeconfig", required_argument, NULL, 'K' },
		{ "context", required_argument, NULL, 'X' },
		{ "in-cluster", no_argument, NULL, 'i' },
		{ "insecure-skip-tls-verify", no_argument, NULL, 'Y' },
		{ "allow-insecure-http", no_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct err err;
	unsigned long long v = 0;
	int ch;

	err_init(&err);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'l': o->listen = optarg; break;
		case 'c': o->cert = optarg; break;
		case 'k': o->key = optarg; break;
		case 'A': o->client_ca = optarg; break;
		case 'C': o->client_cn = optarg; break;
		case 's':
			if (o->nstate >= SERVE_MAX_STATE)
				err_set(&err, ERR_LIMIT, "--state: at most %d paths", SERVE_MAX_STATE);
			else
				o->state[o->nstate++] = optarg;
			break;
		case 'P':
			if (o->npolicy >= SERVE_MAX_STATE)
				err_set(&err, ERR_LIMIT, "--policy: at most %d paths", SERVE_MAX_STATE);
			else
				o->policy[o->npolicy++] = optarg;
			break;
		case 'p':
			if (parse_uint("--policy-reload-ms", optarg, 3600000, &v, &err) == 0 && v != 0 && v < 100)
				err_set(&err, ERR_INVALID, "--policy-reload-ms: 0 (never) or at least 100");
			o->policy_reload_ms = (unsigned)v;
			break;
		case 'v': subst_add(&o->vars, optarg, &err); break;
		case 'n': o->default_ns = optarg; break;
		case 'S': o->rules.strict = true; break;
		case 'r':
			/* checked now, applied in order after the mode's defaults */
			if (rules_config_set(&o->rules, optarg, &err) == 0) {
				if (o->nrules >= SERVE_MAX_RULES)
					err_set(&err, ERR_LIMIT, "--rule: at most %d", SERVE_MAX_RULES);
				else
					o->rule_args[o->nrules++] = optarg;
			}
			break;
		case 'K': o->kubeconfig = optarg; break;
		case 'X': o->context = optarg; break;
		case 'i': o->in_cluster = true; break;
		case 'Y': o->insecure = true; break;
		case 'H': o->allow_http = true; break;
		case 'B':
			if (parse_uint("--body-max", optarg, 1ULL << 30, &v, &err) == 0 && v < 1024)
				err_set(&err, ERR_INVALID, "--body-max: at least 1024 bytes");
			o->body_max = (size_t)v;
			break;
		case 'D':
			if (parse_uint("--json-depth-max", optarg, 2000, &v, &err) == 0 && v < 8)
				err_set(&err, ERR_INVALID, "--json-depth-max: at least 8");
			o->depth_max = (unsigned)v;
			break;
		case 'T': parse_uint("--threads", optarg, 256, &v, &err); o->threads = (unsigned)v; break;
		case 'M': parse_uint("--max-connections", optarg, 100000, &v, &err); o->max_conns = (unsigned)v; break;
		case 'I': parse_uint("--idle-timeout", optarg, 3600, &v, &err); o->idle_timeout = (unsigned)v; break;
		case 'R': parse_uint("--request-timeout", optarg, 3600, &v, &err); o->request_timeout = (unsigned)v; break;
		case 'W': parse_uint("--shutdown-delay", optarg, 3600, &v, &err); o->shutdown_delay = (unsigned)v; break;
		case 'd': parse_uint("--drain-timeout", optarg, 3600, &v, &err); o->drain_timeout = (unsigned)v; break;
		case 'L':
			if (parse_uint("--cert-reload-ms", optarg, 3600000, &v, &err) == 0 && v < 100)
				err_set(&err, ERR_INVALID, "--cert-reload-ms: at least 100");
			o->reload_ms = (unsigned)v;
			break;
		case 'g':
			if (strcmp(optarg, "debug") && strcmp(optarg, "info") && strcmp(optarg, "warning") &&
			    strcmp(optarg, "error"))
				err_set(&err, ERR_INVALID, "--log-level must be debug, info, warning or error");
			else
				jlog_set_level(optarg);
			break;
		case 'q': o->quiet = true; break;
		case 'h': usage(stdout); return 1;
		default: usage(stderr); return 2;
		}
		if (err.code != ERR_OK) {
			fprintf(stderr, "gatewarden serve: %s\n", err.msg);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "gatewarden serve: unexpected argument '%s' (cluster state goes in --state)\n", argv[optind]);
		return 2;
	}
	if (o->cert == NULL || o->key == NULL) {
		fprintf(stderr, "gatewarden serve: --tls-cert and --tls-key are required "
				"(`gatewarden certs generate --out DIR` makes a development pair)\n");
		return 2;
	}
	if (o->kubeconfig != NULL && o->in_cluster) {
		fprintf(stderr, "gatewarden serve: --kubeconfig and --in-cluster exclude each other\n");
		return 2;
	}
	if ((o->kubeconfig != NULL || o->in_cluster) && o->nstate > 0) {
		fprintf(stderr, "gatewarden serve: the cluster view comes from --state or from a cluster "
				"(--kubeconfig, --in-cluster), not both\n");
		return 2;
	}
	if (o->context != NULL && o->kubeconfig == NULL) {
		fprintf(stderr, "gatewarden serve: --context needs --kubeconfig\n");
		return 2;
	}
	if (o->client_cn != NULL && o->client_ca == NULL) {
		fprintf(stderr, "gatewarden serve: --client-cn needs --client-ca\n");
		return 2;
	}
	return 0;
}

static void log_from_httpd(void *ud, const char *level, const char *msg)
{
	(void)ud;
	jlog(level, msg, NULL);
}

static void log_error(const char *msg)
{
	json_t *f = json_pack("{ss}", "error", msg);

	jlog("error", "serve could not start", f);
	json_decref(f);
	fprintf(stderr, "gatewarden serve: %s\n", msg);
}

/* The cluster view of --kubeconfig / --in-cluster: a watch cache of the kinds
 * admission reads, kept slim. */
static const char *const cluster_secret_rules[] = {
	"XO-CERT-MISSING=off", "XO-CERT-MALFORMED=off", "XO-CERT-SAN=off", "XO-CERT-EXPIRED=off", "XO-CERT-EXPIRING=off",
};

static int cluster_src_start(struct kubeopts_cluster *cs, const struct serve_opts *o, struct err *err)
{
	struct kubeopts ko = { .kubeconfig = o->kubeconfig, .context = o->context, .in_cluster = o->in_cluster,
			       .insecure = o->insecure, .allow_http = o->allow_http };
	struct kcache_options co = { .slim = true };

	for (int k = KIND_OTHER + 1; k < KIND_MAX; k++)
		if (k != KIND_SECRET && k != KIND_ENDPOINTSLICE && kcache_resource_path((enum kind)k) != NULL)
			co.kinds |= 1u << k;
	return kubeopts_cluster_start(cs, &ko, "gatewarden-serve", &co, err);
}

/* the watch cache's counters (lists, relists, events, resourceVersion) on /metrics */
static char *cache_metrics(void *ud)
{
	return kcache_metrics_text(ud);
}

static void sleep_s(unsigned s)
{
	struct timespec ts = { .tv_sec = (time_t)s };

	while (nanosleep(&ts, &ts) != 0)
		;
}

int serve_main(int argc, char **argv)
{
	struct serve_opts o = {
		.listen = "127.0.0.1:8443", .body_max = 7u << 20, .max_conns = 1000, .idle_timeout = 30,
		.request_timeout = 10, .shutdown_delay = 5, .drain_timeout = 10, .reload_ms = 1000, .depth_max = 100,
		.default_ns = "default", .policy_reload_ms = 2000,
	};
	struct polsrc *pol = NULL;
	struct store *s = NULL;
	struct filesrc *fsrc = NULL;
	struct kubeopts_cluster csrc = KUBEOPTS_CLUSTER_INIT;
	bool cluster;
	struct viewsrc src;
	struct webhook *w = NULL;
	struct httpd *h = NULL;
	struct err err;
	size_t nobjs = 0;
	sigset_t set;
	int sig = 0, rc;

	subst_init(&o.vars);
	rules_config_init(&o.rules);
	rc = parse_args(&o, argc, argv);
	if (rc != 0)
		return rc == 1 ? 0 : 2;
	err_init(&err);
	cluster = o.kubeconfig != NULL || o.in_cluster;
	if (cluster) {
		for (size_t i = 0; i < sizeof(cluster_secret_rules) / sizeof(cluster_secret_rules[0]); i++)
			rules_config_set(&o.rules, cluster_secret_rules[i], &err);
		for (size_t i = 0; i < o.nrules; i++)
			rules_config_set(&o.rules, o.rule_args[i], &err);
	}

	/* reviews allocate their jansson values in per-thread regions: jansson's allocator
	 * is switched before any thread starts (common/jarena.h) */
	jarena_install();

	/* the signals are taken by sigwait below; every thread started from here on
	 * inherits the blocked mask */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (polsrc_start(o.policy, o.npolicy, &o.vars, o.policy_reload_ms, &pol, &err) != 0) {
		log_error(err.msg);
		return 2;
	}
	if (cluster) {
		if (cluster_src_start(&csrc, &o, &err) != 0) {
			log_error(err.msg);
			kubeopts_cluster_stop(&csrc);
			polsrc_stop(pol);
			return 2;
		}
		kcache_viewsrc(csrc.cache, &src);
	} else {
		s = store_new();
		/* routes as compact text: most of the view's memory otherwise (docs/webhook.md) */
		if (s == NULL || store_set_default_namespace(s, o.default_ns) != 0 || store_set_compact_routes(s) != 0) {
			log_error("out of memory");
			store_free(s);
			polsrc_stop(pol);
			return 2;
		}
		if (stateload_paths_slim(s, o.state, o.nstate, &o.vars, o.default_ns, &nobjs, &err) != 0) {
			log_error(err.msg);
			store_free(s);
			polsrc_stop(pol);
			return 2;
		}
		/* loading freed most of each parsed document (slimming): hand the holes back */
		memtrim();
		fsrc = filesrc_new(s, nobjs);
		if (fsrc == NULL) {
			log_error("out of memory");
			polsrc_stop(pol);
			store_free(s);
			return 2;
		}
		filesrc_viewsrc(fsrc, &src);
	}
	{
		struct webhook_config wc = { .src = &src, .rules = &o.rules, .strict = o.rules.strict,
					     .body_max = o.body_max, .json_depth_max = o.depth_max, .quiet = o.quiet,
					     .policies = pol, .extra_metrics = cluster ? cache_metrics : NULL,
					     .extra_metrics_ud = csrc.cache };

		w = webhook_new(&wc);
	}
	if (w == NULL) {
		log_error("out of memory");
		polsrc_stop(pol);
		filesrc_free(fsrc);
		kubeopts_cluster_stop(&csrc);
		return 2;
	}
	{
		struct httpd_config hc = {
			.listen = o.listen, .cert_file = o.cert, .key_file = o.key, .client_ca_file = o.client_ca,
			.client_cn = o.client_cn, .body_max = o.body_max, .threads = o.threads,
			.conn_limit = o.max_conns, .idle_timeout_s = o.idle_timeout,
			.request_timeout_s = o.request_timeout, .reload_ms = o.reload_ms,
			.precheck = webhook_precheck, .handle = webhook_handle, .log = log_from_httpd, .ud = w,
		};

		rc = httpd_start(&hc, &h, &err);
	}
	if (rc != 0) {
		log_error(err.msg);
		webhook_free(w);
		polsrc_stop(pol);
		filesrc_free(fsrc);
		kubeopts_cluster_stop(&csrc);
		return 2;
	}
	webhook_set_httpd(w, h);
	{
		char addr[160];
		const char *colon = strrchr(o.listen, ':');
		json_t *f;

		snprintf(addr, sizeof(addr), "%.*s:%u", colon ? (int)(colon - o.listen) : 0, o.listen, httpd_port(h));
		f = json_pack("{sssisisssi}", "listen", addr, "port", (int)httpd_port(h), "objects", (int)nobjs, "view",
			      cluster ? "watch cache (ready after the first sync)" : "files", "threads", (int)httpd_threads(h));
		jlog("info", "serving", f);
		json_decref(f);
	}
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			struct err e;

			err_init(&e);
			polsrc_reload(pol, &e);
			continue;
		}
		break;
	}
	webhook_set_draining(w);
	{
		json_t *f = json_pack("{sssi}", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT", "delay_s",
				      sig == SIGTERM ? (int)o.shutdown_delay : 0);

		jlog("info", "shutting down", f);
		json_decref(f);
	}
	if (sig == SIGTERM && o.shutdown_delay > 0)
		sleep_s(o.shutdown_delay);
	httpd_quiesce(h);
	for (unsigned waited = 0; httpd_in_flight(h) > 0 && waited < o.drain_timeout * 100; waited++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	{
		json_t *f = json_pack("{si}", "in_flight_left", (int)httpd_in_flight(h));

		httpd_stop(h);
		jlog("info", "stopped", f);
		json_decref(f);
	}
	webhook_free(w);
	polsrc_stop(pol);
	filesrc_free(fsrc);
	kubeopts_cluster_stop(&csrc);
	return 0;
}
