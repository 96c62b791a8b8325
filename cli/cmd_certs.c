/*
 * cmd_certs: `gatewarden certs` — the webhook's TLS material.
 *   generate --out DIR   a CA and a serving certificate as four files, for local use,
 *                        tests and demos (the cluster's path is `certs bootstrap` or
 *                        cert-manager; see docs/install.md)
 *   inspect FILE         the facts of a PEM certificate as JSON (names, usages, validity)
 *   bootstrap            the cluster's copy: CA and serving certificate in a Secret, the
 *                        CA bundle in both webhook configurations, rotation
 *                        (certs/bootstrap.h)
 *
 * Files are written next to their final names and renamed into place only once all
 * four are complete, so a failure leaves DIR as it was; existing files are kept
 * unless --force. Keys are 0600, certificates 0644.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bootstrap.h"
#include "certgen.h"
#include "cmd_certs.h"
#include "err.h"
#include "kube.h"
#include "x509.h"

#define PEM_FILE_MAX (1 << 20)

static void usage(FILE *f)
{
	fputs("usage: gatewarden certs generate --out DIR [options]\n"
	      "       gatewarden certs inspect FILE\n"
	      "       gatewarden certs bootstrap [options]\n"
	      "\n"
	      "generate: a CA (ca.crt, ca.key) and a serving certificate signed by it (tls.crt,\n"
	      "tls.key) for the webhook Service. The serving certificate names\n"
	      "<service>.<namespace>.svc, <service>.<namespace>.svc.cluster.local,\n"
	      "<service>.<namespace> and <service>, plus the extra names given; EKU serverAuth.\n"
	      "\n"
	      "  --out DIR          directory to write to (created if missing, parent must exist)\n"
	      "  --service NAME     the webhook Service (default gatewarden)\n"
	      "  --namespace NS     its namespace (default gatewarden)\n"
	      "  --dns NAME         an extra DNS name, e.g. localhost (repeatable)\n"
	      "  --ip ADDR          an extra IP address, e.g. 127.0.0.1 or ::1 (repeatable)\n"
	      "  --days N           serving certificate lifetime in days (default 365, at most 825)\n"
	      "  --ca-days N        CA lifetime in days (default 1825, at most 3650)\n"
	      "  --rsa              RSA 2048 keys instead of ECDSA P-256\n"
	      "  --force            replace existing files in DIR\n"
	      "\n"
	      "inspect: print a certificate's subject, issuer, serial, DNS and IP names, key\n"
	      "usages, validity (Unix seconds) and key as one JSON object.\n"
	      "\n"
	      "bootstrap: keep the webhook's CA and serving certificate in a Secret and the CA\n"
	      "bundle in caBundle of both webhook configurations; renew the serving certificate\n"
	      "and roll the CA over before they expire, trusting a new CA before it signs.\n"
	      "Idempotent, safe to run from several replicas at once. Run it at install and\n"
	      "then daily (manifests/overlays/self-signed).\n"
	      "\n"
	      "  --kubeconfig FILE       API server and credentials (default: in-cluster)\n"
	      "  --context NAME          the kubeconfig context (default: current)\n"
	      "  --namespace NS          the Secret's and the Service's namespace (default gatewarden)\n"
	      "  --service NAME          the webhook Service (default gatewarden)\n"
	      "  --secret NAME           the Secret (default gatewarden-webhook-tls)\n"
	      "  --webhook-config NAME   both webhook configurations' name (default gatewarden)\n"
	      "  --dns NAME, --ip ADDR   extra names in the serving certificate (repeatable)\n"
	      "  --days N                serving certificate lifetime (default 90)\n"
	      "  --ca-days N             CA lifetime (default 1825)\n"
	      "  --renew-before DUR      renew the serving certificate this long before it\n"
	      "                          expires (default 30d; DUR is N, Ns, Nm, Nh or Nd)\n"
	      "  --ca-renew-before DUR   start a CA rollover this long before expiry (default 180d)\n"
	      "  --propagation DUR       how long a new CA is in caBundle before it signs (default 60s)\n"
	      "  --now SECONDS           decide as if it were this time (tests; default: now)\n"
	      "  --rsa                   RSA 2048 keys instead of ECDSA P-256\n"
	      "\n"
	      "Exit status: 0 done, 1 the API server refused or could not be reached (run again),\n"
	      "2 bad options or a file that cannot be read or written.\n",
	      f);
}

static int parse_days(const char *opt, const char *s, unsigned *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s == '\0' || *s == '-' || *end != '\0' || errno != 0 || v > 100000) {
		fprintf(stderr, "gatewarden certs: %s: expected a number of days, got '%s'\n", opt, s);
		return 2;
	}
	*ret = (unsigned)v;
	return 0;
}

/* ---- writing the four files --------------------------------------------------------- */

struct outfile {
	const char *name;
	const char *text;
	mode_t mode;
	char tmp[4096];
	char final[4096];
	bool written;
};

static int write_all(int fd, const char *s)
{
	size_t n = strlen(s);

	while (n > 0) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static void remove_tmps(struct outfile *f, int n)
{
	for (int i = 0; i < n; i++)
		if (f[i].written)
			unlink(f[i].tmp);
}

static int write_files(const char *dir, struct outfile *f, int n, bool force)
{
	struct stat st;

	if (stat(dir, &st) != 0) {
		if (errno != ENOENT || mkdir(dir, 0755) != 0) {
			fprintf(stderr, "gatewarden certs: %s: cannot create directory: %s\n", dir, strerror(errno));
			return 2;
		}
	} else if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "gatewarden certs: %s: not a directory\n", dir);
		return 2;
	}
	for (int i = 0; i < n; i++) {
		if ((size_t)snprintf(f[i].final, sizeof(f[i].final), "%s/%s", dir, f[i].name) >= sizeof(f[i].final) ||
		    (size_t)snprintf(f[i].tmp, sizeof(f[i].tmp), "%s/.%s.XXXXXX", dir, f[i].name) >= sizeof(f[i].tmp)) {
			fprintf(stderr, "gatewarden certs: %s: path too long\n", dir);
			return 2;
		}
		if (!force && lstat(f[i].final, &st) == 0) {
			fprintf(stderr, "gatewarden certs: %s exists (use --force to replace it)\n", f[i].final);
			return 2;
		}
	}
	for (int i = 0; i < n; i++) {
		int fd = mkstemp(f[i].tmp);

		if (fd < 0) {
			fprintf(stderr, "gatewarden certs: %s: %s\n", dir, strerror(errno));
			remove_tmps(f, i);
			return 2;
		}
		f[i].written = true;
		if (fchmod(fd, f[i].mode) != 0 || write_all(fd, f[i].text) != 0 || fsync(fd) != 0) {
			fprintf(stderr, "gatewarden certs: %s: %s\n", f[i].tmp, strerror(errno));
			close(fd);
			remove_tmps(f, i + 1);
			return 2;
		}
		if (close(fd) != 0) {
			fprintf(stderr, "gatewarden certs: %s: %s\n", f[i].tmp, strerror(errno));
			remove_tmps(f, i + 1);
			return 2;
		}
	}
	for (int i = 0; i < n; i++) {
		if (rename(f[i].tmp, f[i].final) != 0) {
			fprintf(stderr, "gatewarden certs: %s: %s\n", f[i].final, strerror(errno));
			remove_tmps(f + i, n - i);
			return 2;
		}
		f[i].written = false;
	}
	return 0;
}

/* ---- generate --------------------------------------------------------------------- */

static int generate_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },   { "service", required_argument, NULL, 's' },
		{ "namespace", required_argument, NULL, 'n' }, { "dns", required_argument, NULL, 'd' },
		{ "ip", required_argument, NULL, 'i' },     { "days", required_argument, NULL, 'D' },
		{ "ca-days", required_argument, NULL, 'C' }, { "rsa", no_argument, NULL, 'r' },
		{ "force", no_argument, NULL, 'f' },        { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct certgen_opts o;
	struct x509_pem ca = { 0 }, leaf = { 0 };
	const char *out = NULL;
	bool force = false;
	struct err err;
	int ch, rc;

	certgen_opts_init(&o, (long long)time(NULL));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'o': out = optarg; break;
		case 's': o.service = optarg; break;
		case 'n': o.namespace = optarg; break;
		case 'd':
		case 'i':
			if ((ch == 'd' ? o.ndns : o.nips) >= CERTGEN_MAX_EXTRA) {
				fprintf(stderr, "gatewarden certs: at most %d --%s values\n", CERTGEN_MAX_EXTRA,
					ch == 'd' ? "dns" : "ip");
				return 2;
			}
			if (ch == 'd')
				o.dns[o.ndns++] = optarg;
			else
				o.ips[o.nips++] = optarg;
			break;
		case 'D':
			if (parse_days("--days", optarg, &o.days) != 0)
				return 2;
			break;
		case 'C':
			if (parse_days("--ca-days", optarg, &o.ca_days) != 0)
				return 2;
			break;
		case 'r': o.keytype = X509_KEY_RSA_2048; break;
		case 'f': force = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "gatewarden certs generate: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (out == NULL || out[0] == '\0') {
		fprintf(stderr, "gatewarden certs generate: --out DIR is required\n");
		return 2;
	}
	err_init(&err);
	rc = certgen_make_ca(&o, &ca, &err);
	if (rc == 0)
		rc = certgen_make_serving(&o, &ca, &leaf, &err);
	if (rc != 0) {
		fprintf(stderr, "gatewarden certs generate: %s\n", err.msg);
		x509_pem_free(&ca);
		x509_pem_free(&leaf);
		return 2;
	}
	{
		struct outfile f[4] = {
			{ .name = "ca.key", .text = ca.key, .mode = 0600 },
			{ .name = "tls.key", .text = leaf.key, .mode = 0600 },
			{ .name = "ca.crt", .text = ca.cert, .mode = 0644 },
			{ .name = "tls.crt", .text = leaf.cert, .mode = 0644 },
		};

		rc = write_files(out, f, 4, force);
	}
	if (rc == 0)
		printf("wrote %s/ca.crt, ca.key, tls.crt, tls.key: %s.%s.svc, %u days (CA %u days), %s\n", out,
		       o.service, o.namespace, o.days, o.ca_days,
		       o.keytype == X509_KEY_RSA_2048 ? "RSA 2048" : "ECDSA P-256");
	x509_pem_free(&ca);
	x509_pem_free(&leaf);
	return rc;
}

/* ---- inspect ------------------------------------------------------------------------ */

static char *read_small(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "gatewarden certs inspect: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	buf = malloc(PEM_FILE_MAX + 1);
	if (buf == NULL) {
		fclose(f);
		fprintf(stderr, "gatewarden certs inspect: out of memory\n");
		return NULL;
	}
	n = fread(buf, 1, PEM_FILE_MAX + 1, f);
	if (ferror(f) || n > PEM_FILE_MAX) {
		fprintf(stderr, "gatewarden certs inspect: %s: %s\n", path,
			ferror(f) ? "read error" : "larger than 1 MiB");
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static int inspect_main(int argc, char **argv)
{
	struct x509_cert *c = NULL;
	struct x509_info info;
	bool rest_bad;
	json_t *j;
	char *pem, *text;
	int rc;

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return 0;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: gatewarden certs inspect FILE\n");
		return 2;
	}
	pem = read_small(argv[1]);
	if (pem == NULL)
		return 2;
	rc = x509_chain_first(pem, strlen(pem), &c, &rest_bad);
	free(pem);
	if (rc != 0) {
		fprintf(stderr, "gatewarden certs inspect: %s: %s\n", argv[1],
			rc == 1 ? "holds no PEM certificate" : "out of memory");
		return 2;
	}
	rc = x509_cert_info(c, &info);
	x509_cert_free(c);
	if (rc != 0) {
		fprintf(stderr, "gatewarden certs inspect: out of memory\n");
		return 2;
	}
	j = json_pack("{ss ss ss sO sO sb sb sb sb sb sI sI ss si ss}", "subject", info.subject_cn, "issuer",
		      info.issuer_cn, "serial", info.serial, "dnsNames", info.dns, "ipAddresses", info.ips, "isCA",
		      info.is_ca, "serverAuth", info.server_auth, "clientAuth", info.client_auth, "keyCertSign",
		      info.key_cert_sign, "digitalSignature", info.digital_signature, "notBefore",
		      (json_int_t)info.not_before, "notAfter", (json_int_t)info.not_after, "keyType", info.key_type,
		      "keyBits", info.key_bits, "signature", info.sig_alg);
	x509_info_free(&info);
	text = j != NULL ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(j);
	if (text == NULL) {
		fprintf(stderr, "gatewarden certs inspect: out of memory\n");
		return 2;
	}
	puts(text);
	free(text);
	return 0;
}

/* ---- bootstrap ------------------------------------------------------------------------ */

/* N, Ns, Nm, Nh or Nd into seconds; -1 when malformed */
static long long parse_duration(const char *s)
{
	char *end;
	long long v, mul = 1;

	errno = 0;
	if (*s < '0' || *s > '9')
		return -1;
	v = strtoll(s, &end, 10);
	if (errno != 0 || v > 100LL * 365 * 86400)
		return -1;
	if (*end != '\0') {
		if (end[1] != '\0')
			return -1;
		switch (*end) {
		case 's': mul = 1; break;
		case 'm': mul = 60; break;
		case 'h': mul = 3600; break;
		case 'd': mul = 86400; break;
		default: return -1;
		}
	}
	return v * mul;
}

static int bootstrap_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kubeconfig", required_argument, NULL, 'K' }, { "context", required_argument, NULL, 'X' },
		{ "namespace", required_argument, NULL, 'n' }, { "service", required_argument, NULL, 's' },
		{ "secret", required_argument, NULL, 'S' },    { "webhook-config", required_argument, NULL, 'W' },
		{ "dns", required_argument, NULL, 'd' },       { "ip", required_argument, NULL, 'i' },
		{ "days", required_argument, NULL, 'D' },      { "ca-days", required_argument, NULL, 'C' },
		{ "renew-before", required_argument, NULL, 'R' }, { "ca-renew-before", required_argument, NULL, 'A' },
		{ "propagation", required_argument, NULL, 'P' }, { "now", required_argument, NULL, 'N' },
		{ "rsa", no_argument, NULL, 'r' },             { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bootstrap_opts o;
	struct bootstrap_result r;
	struct kube_config kc;
	struct kube *k;
	const char *kubeconfig = NULL, *context = NULL;
	struct err err;
	long long d;
	int ch, rc;

	bootstrap_opts_init(&o, (long long)time(NULL));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'K': kubeconfig = optarg; break;
		case 'X': context = optarg; break;
		case 'n': o.gen.namespace = optarg; break;
		case 's': o.gen.service = optarg; break;
		case 'S': o.secret = optarg; break;
		case 'W': o.webhook_config = optarg; break;
		case 'd':
		case 'i':
			if ((ch == 'd' ? o.gen.ndns : o.gen.nips) >= CERTGEN_MAX_EXTRA) {
				fprintf(stderr, "gatewarden certs: at most %d --%s values\n", CERTGEN_MAX_EXTRA,
					ch == 'd' ? "dns" : "ip");
				return 2;
			}
			if (ch == 'd')
				o.gen.dns[o.gen.ndns++] = optarg;
			else
				o.gen.ips[o.gen.nips++] = optarg;
			break;
		case 'D':
			if (parse_days("--days", optarg, &o.gen.days) != 0)
				return 2;
			break;
		case 'C':
			if (parse_days("--ca-days", optarg, &o.gen.ca_days) != 0)
				return 2;
			break;
		case 'R':
		case 'A':
		case 'P':
			d = parse_duration(optarg);
			if (d < 0) {
				fprintf(stderr, "gatewarden certs bootstrap: expected a duration (N, Ns, Nm, Nh, Nd), got '%s'\n",
					optarg);
				return 2;
			}
			*(ch == 'R' ? &o.renew_before : ch == 'A' ? &o.ca_renew_before : &o.propagation) = d;
			break;
		case 'N': {
			char *end;

			errno = 0;
			o.now = strtoll(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || errno != 0 || o.now < 0) {
				fprintf(stderr, "gatewarden certs bootstrap: --now: expected Unix seconds, got '%s'\n", optarg);
				return 2;
			}
			break;
		}
		case 'r': o.gen.keytype = X509_KEY_RSA_2048; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "gatewarden certs bootstrap: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	err_init(&err);
	memset(&kc, 0, sizeof(kc));
	rc = kubeconfig != NULL ? kubeconfig_load(kubeconfig, context, &kc, &err) : kubeconfig_in_cluster(NULL, &kc, &err);
	if (rc != 0) {
		fprintf(stderr, "gatewarden certs bootstrap: %s\n", err.msg);
		kube_config_free(&kc);
		return 2;
	}
	k = kube_new(&kc, &err);
	kube_config_free(&kc);
	if (k == NULL) {
		fprintf(stderr, "gatewarden certs bootstrap: %s\n", err.msg);
		return 2;
	}
	rc = bootstrap_run(k, &o, &r, &err);
	kube_free(k);
	if (rc != 0) {
		fprintf(stderr, "gatewarden certs bootstrap: %s\n", err.msg);
		return rc == ERR_INVALID ? 2 : 1;
	}
	printf("certs bootstrap: Secret %s/%s %s; serving certificate %s; CA %s; %d expired CA(s) dropped; "
	       "%d CA(s) in the bundle; caBundle updated in %d configuration(s); %d conflict(s)\n",
	       o.gen.namespace, o.secret, r.created ? "created" : r.secret_written ? "updated" : "unchanged",
	       r.leaf_issued ? "issued" : "kept",
	       r.ca_created ? "created" : r.ca_promoted ? "rolled over (next CA now signs)" :
	       r.ca_next_added ? "next added to the bundle" : "kept",
	       r.ca_dropped, r.bundle_size, r.configs_patched, r.conflicts);
	return 0;
}

int certs_main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "generate") == 0)
		return generate_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "inspect") == 0)
		return inspect_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "bootstrap") == 0)
		return bootstrap_main(argc - 1, argv + 1);
	fprintf(stderr, "gatewarden certs: unknown subcommand '%s' (generate, inspect, bootstrap)\n", argv[1]);
	return 2;
}
