/* httpd: libmicrohttpd + GnuTLS HTTPS server (see httpd.h). */
#include "httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "memtrim.h"

/* TLS 1.3 and TLS 1.2 with ECDHE and AEAD ciphers only (Mozilla "intermediate"). */
static const char TLS_PRIORITIES[] =
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:"
	"+CHACHA20-POLY1305:-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:%SERVER_PRECEDENCE";

#define CERT_FILE_MAX (1 << 20)

/* One loaded certificate chain and key. */
struct pair {
	gnutls_pcert_st *pcerts;
	unsigned npcerts;
	gnutls_privkey_t key;
	long long not_after;
	struct pair *next_retired;
};

/* identity of the files a pair was loaded from (stat follows symlinks) */
struct file_sig {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

struct httpd {
	struct httpd_config c;
	struct MHD_Daemon *_Atomic d;  /* atomic: requests may read it (httpd_connections) before httpd_start stores it */
	pthread_mutex_t lock;          /* guards cur and retired */
	struct pair *cur;
	struct pair *retired;
	struct file_sig sig_cert, sig_key;
	pthread_t reloader;
	bool reloader_started;
	pthread_mutex_t stop_lock;
	pthread_cond_t stop_cond;
	bool stopping;
	char *trust_pem;
	atomic_uint in_flight;
	atomic_ulong reloads_ok, reloads_failed;
	unsigned port;
	atomic_uchar *sock;            /* by socket: SOCK_* (answer_flush) */
	size_t nsock;
	atomic_uint open_conns;        /* connections open now (on_connection) */
	atomic_llong trimmed_ms;       /* CLOCK_MONOTONIC ms of the last memtrim */
};

/* After a connection ends, malloc's free memory goes back to the kernel when no
 * connection is left open, or when the last time was this long ago. Each connection
 * (its TLS session, its buffers) is tens of KiB that malloc frees into its arenas,
 * and the next connections' blocks land elsewhere: under connection churn a server
 * grew by about 1 MiB per new set of 64 connections before it levelled out, 3 MiB
 * above a steady one (bench/RESULTS.md). */
#define TRIM_EVERY_MS 30000

/* GnuTLS's retrieve callback has no user pointer: the one server of the process. */
static struct httpd *g_server;

static void logf_(struct httpd *h, const char *level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void logf_(struct httpd *h, const char *level, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	if (h->c.log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	h->c.log(h->c.ud, level, msg);
}

/* ---- certificate pairs ---- */

static void pair_free(struct pair *p)
{
	if (p == NULL)
		return;
	for (unsigned i = 0; i < p->npcerts; i++)
		gnutls_pcert_deinit(&p->pcerts[i]);
	free(p->pcerts);
	if (p->key)
		gnutls_privkey_deinit(p->key);
	free(p);
}

static int read_file(const char *path, gnutls_datum_t *ret, char *why, size_t whylen)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	size_t n;

	ret->data = NULL;
	ret->size = 0;
	if (f == NULL) {
		snprintf(why, whylen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	buf = malloc(CERT_FILE_MAX + 1);
	if (buf == NULL) {
		fclose(f);
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	n = fread(buf, 1, CERT_FILE_MAX + 1, f);
	if (ferror(f) || n > CERT_FILE_MAX) {
		snprintf(why, whylen, ferror(f) ? "cannot read %s" : "%s is larger than 1 MiB", path);
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	buf[n] = '\0';
	ret->data = buf;
	ret->size = (unsigned)n;
	return 0;
}

/* DER of a public key, for comparing the key's and the certificate's */
static int pubkey_der(gnutls_pubkey_t pk, gnutls_datum_t *ret)
{
	return gnutls_pubkey_export2(pk, GNUTLS_X509_FMT_DER, ret);
}

static int key_matches(gnutls_privkey_t key, gnutls_pcert_st *leaf)
{
	gnutls_pubkey_t from_key;
	gnutls_datum_t a = { 0 }, b = { 0 };
	int same = 0;

	if (gnutls_pubkey_init(&from_key) < 0)
		return 0;
	if (gnutls_pubkey_import_privkey(from_key, key, 0, 0) >= 0 && pubkey_der(from_key, &a) >= 0 &&
	    pubkey_der(leaf->pubkey, &b) >= 0)
		same = a.size == b.size && memcmp(a.data, b.data, a.size) == 0;
	gnutls_free(a.data);
	gnutls_free(b.data);
	gnutls_pubkey_deinit(from_key);
	return same;
}

static long long leaf_not_after(gnutls_pcert_st *leaf)
{
	gnutls_x509_crt_t crt;
	long long t = 0;

	if (gnutls_x509_crt_init(&crt) < 0)
		return 0;
	if (gnutls_x509_crt_import(crt, &leaf->cert, GNUTLS_X509_FMT_DER) >= 0)
		t = (long long)gnutls_x509_crt_get_expiration_time(crt);
	gnutls_x509_crt_deinit(crt);
	return t;
}

#define CHAIN_MAX 8

/* Load and check a pair; NULL with why filled when it is not usable. */
static struct pair *pair_load(const char *cert_file, const char *key_file, char *why, size_t whylen)
{
	gnutls_datum_t cert = { 0 }, key = { 0 };
	struct pair *p = calloc(1, sizeof(*p));
	unsigned n = CHAIN_MAX;
	int rc;

	if (p == NULL) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	if (read_file(cert_file, &cert, why, whylen) != 0 || read_file(key_file, &key, why, whylen) != 0)
		goto fail;
	p->pcerts = calloc(CHAIN_MAX, sizeof(*p->pcerts));
	if (p->pcerts == NULL) {
		snprintf(why, whylen, "out of memory");
		goto fail;
	}
	rc = gnutls_pcert_list_import_x509_raw(p->pcerts, &n, &cert, GNUTLS_X509_FMT_PEM, 0);
	if (rc < 0 || n == 0) {
		snprintf(why, whylen, "%s holds no usable PEM certificate: %s", cert_file,
			 rc < 0 ? gnutls_strerror(rc) : "empty");
		goto fail;
	}
	p->npcerts = n;
	if ((rc = gnutls_privkey_init(&p->key)) < 0 ||
	    (rc = gnutls_privkey_import_x509_raw(p->key, &key, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
		snprintf(why, whylen, "%s holds no usable PEM private key: %s", key_file, gnutls_strerror(rc));
		goto fail;
	}
	if (!key_matches(p->key, &p->pcerts[0])) {
		snprintf(why, whylen, "the key in %s does not belong to the certificate in %s", key_file, cert_file);
		goto fail;
	}
	p->not_after = leaf_not_after(&p->pcerts[0]);
	gnutls_memset(key.data, 0, key.size);
	free(cert.data);
	free(key.data);
	return p;
fail:
	if (key.data)
		gnutls_memset(key.data, 0, key.size);
	free(cert.data);
	free(key.data);
	pair_free(p);
	return NULL;
}

static int cert_retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca_rdn, int nreqs,
			 const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length, gnutls_pcert_st **pcert,
			 unsigned int *pcert_length, gnutls_privkey_t *privkey)
{
	struct httpd *h = g_server;
	struct pair *p;

	(void)session;
	(void)req_ca_rdn;
	(void)nreqs;
	(void)pk_algos;
	(void)pk_algos_length;
	if (h == NULL)
		return -1;
	pthread_mutex_lock(&h->lock);
	p = h->cur;
	pthread_mutex_unlock(&h->lock);
	if (p == NULL)
		return -1;
	*pcert = p->pcerts;
	*pcert_length = p->npcerts;
	*privkey = p->key;
	return 0;
}

static void file_sig(const char *path, struct file_sig *ret)
{
	struct stat st;

	memset(ret, 0, sizeof(*ret));
	if (stat(path, &st) != 0)
		return;
	ret->dev = st.st_dev;
	ret->ino = st.st_ino;
	ret->size = st.st_size;
	ret->mtime = st.st_mtim;
}

static bool sig_eq(const struct file_sig *a, const struct file_sig *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->mtime.tv_sec == b->mtime.tv_sec &&
	       a->mtime.tv_nsec == b->mtime.tv_nsec;
}

/* One poll: reload when either file changed since the last attempt. */
static void reload_check(struct httpd *h)
{
	struct file_sig sc, sk;
	struct pair *p;
	char why[512];

	file_sig(h->c.cert_file, &sc);
	file_sig(h->c.key_file, &sk);
	if (sig_eq(&sc, &h->sig_cert) && sig_eq(&sk, &h->sig_key))
		return;
	h->sig_cert = sc;
	h->sig_key = sk;
	p = pair_load(h->c.cert_file, h->c.key_file, why, sizeof(why));
	if (p == NULL) {
		atomic_fetch_add(&h->reloads_failed, 1);
		logf_(h, "error", "certificate reload refused, keeping the pair in force: %s", why);
		return;
	}
	pthread_mutex_lock(&h->lock);
	h->cur->next_retired = h->retired;
	h->retired = h->cur;
	h->cur = p;
	pthread_mutex_unlock(&h->lock);
	atomic_fetch_add(&h->reloads_ok, 1);
	logf_(h, "info", "certificate reloaded from %s (notAfter %lld)", h->c.cert_file, p->not_after);
}

static void *reloader_main(void *arg)
{
	struct httpd *h = arg;

	pthread_mutex_lock(&h->stop_lock);
	while (!h->stopping) {
		struct timespec until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += h->c.reload_ms / 1000;
		until.tv_nsec += (long)(h->c.reload_ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&h->stop_cond, &h->stop_lock, &until);
		if (h->stopping)
			break;
		pthread_mutex_unlock(&h->stop_lock);
		reload_check(h);
		pthread_mutex_lock(&h->stop_lock);
	}
	pthread_mutex_unlock(&h->stop_lock);
	return NULL;
}

/* ---- requests ---- */

struct req {
	struct timespec start;
	char *body;
	size_t len, cap;
	bool answered;       /* a response was queued before the body was read */
	gnutls_session_t tls; /* the session holding this answer (answer_cork), or NULL */
	int fd;              /* its socket */
	unsigned char mhd_cork; /* CORK_*: what libmicrohttpd did to TCP_CORK for it */
	char *content_type, *timeout;
	unsigned long long content_length;
};

static double since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

/*
 * One answer, one TLS record, one send. libmicrohttpd hands GnuTLS the HTTP header and
 * the body separately, so each answer used to cost two records (two encryptions here,
 * two decryptions at the client) and two sendmsg calls. Now the session is corked in
 * GnuTLS when the answer is queued (answer_cork): both parts collect in GnuTLS's buffer,
 * and the completion callback, which libmicrohttpd calls once the answer is handed over
 * and before it closes or reuses the connection, flushes them as one record
 * (answer_flush): one record and one sendmsg per answer (bench/RESULTS.md has what
 * that gives).
 *
 * TCP_CORK: for a complete answer below 1,400 bytes, libmicrohttpd corks the socket
 * before the header and, after the body, pushes with TCP_NODELAY (mhd_send.c); it keeps
 * the socket corked for later answers. The flush comes after that push, so a corked
 * socket would hold it for the kernel's 200 ms timer: the flush uncorks the socket once
 * per connection, after the first answer libmicrohttpd surely corked (SOCK_UNCORKED;
 * it never corks again once it has). The table is by descriptor and reset when a
 * connection starts (on_connection).
 *
 * A client that does not read its answers (its receive window full) is given
 * FLUSH_WAIT_MS to take the answer; then the connection is shut down, so a worker thread
 * is never held longer than that.
 */
#define MHD_PUSH_FROM 1400      /* mhd_send.c: a complete answer this long is pushed uncorked */
#define ANSWER_HEADER_MAX 512   /* our answers' HTTP headers are shorter than this */
#define SOCK_FDS_MAX (1u << 20)
#define SOCK_UNCORKED 1u        /* libmicrohttpd corked the socket and we uncorked it */
#define FLUSH_WAIT_MS 250

enum { CORK_NO, CORK_MAYBE, CORK_YES };

/* Cork conn's session for the answer about to be queued (body_len bytes of body, none
 * for HEAD). Without a session or socket the answer goes out as libmicrohttpd sends it. */
static void answer_cork(struct httpd *h, struct MHD_Connection *conn, struct req *q, size_t body_len, bool head)
{
	const union MHD_ConnectionInfo *fi = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	const union MHD_ConnectionInfo *si = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);

	if (q == NULL || fi == NULL || si == NULL || si->tls_session == NULL || fi->connect_fd < 0 ||
	    (size_t)fi->connect_fd >= h->nsock)
		return;
	q->tls = (gnutls_session_t)si->tls_session;
	q->fd = fi->connect_fd;
	if (head || body_len == 0 || body_len >= MHD_PUSH_FROM)
		q->mhd_cork = CORK_NO;     /* the header is pushed as it is written */
	else
		q->mhd_cork = body_len + ANSWER_HEADER_MAX < MHD_PUSH_FROM ? CORK_YES : CORK_MAYBE;
	gnutls_record_cork(q->tls);
}

/* Send what answer_cork held back, when the request ended well (on an error the
 * connection is being closed, and what is held goes with the session). */
static void answer_flush(struct httpd *h, struct req *q, bool ok)
{
	atomic_uchar *st;
	struct timespec t0;
	int rc;

	if (q->tls == NULL || !ok)
		return;
	st = &h->sock[q->fd];
	if (q->mhd_cork != CORK_NO && !(atomic_load_explicit(st, memory_order_relaxed) & SOCK_UNCORKED)) {
		int off = 0;

		(void)setsockopt(q->fd, IPPROTO_TCP, TCP_CORK, &off, sizeof(off));
		if (q->mhd_cork == CORK_YES)
			atomic_fetch_or_explicit(st, SOCK_UNCORKED, memory_order_relaxed);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = gnutls_record_uncork(q->tls, 0);
	while ((rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) && since(&t0) * 1000 < FLUSH_WAIT_MS) {
		struct pollfd p = { .fd = q->fd, .events = POLLOUT };

		(void)poll(&p, 1, 50);
		rc = gnutls_record_uncork(q->tls, 0);
	}
	if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
		logf_(h, "warning", "connection dropped: the client took no answer for %d ms", FLUSH_WAIT_MS);
		(void)shutdown(q->fd, SHUT_RDWR);
	}
}

/* A connection starts or ends: whatever an earlier connection on its descriptor left
 * in h->sock no longer applies. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct httpd *h = cls;
	const union MHD_ConnectionInfo *fi = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);

	(void)socket_context;
	if (fi != NULL && fi->connect_fd >= 0 && (size_t)fi->connect_fd < h->nsock)
		atomic_store_explicit(&h->sock[fi->connect_fd], 0, memory_order_relaxed);
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		atomic_fetch_add_explicit(&h->open_conns, 1, memory_order_relaxed);
	} else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		unsigned left = atomic_fetch_sub_explicit(&h->open_conns, 1, memory_order_relaxed) - 1;
		struct timespec t;
		long long now, last = atomic_load_explicit(&h->trimmed_ms, memory_order_relaxed);

		clock_gettime(CLOCK_MONOTONIC, &t);
		now = (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
		/* one closing thread trims (the exchange), the others go on */
		if ((left == 0 || now - last >= TRIM_EVERY_MS) &&
		    atomic_compare_exchange_strong_explicit(&h->trimmed_ms, &last, now, memory_order_relaxed,
							    memory_order_relaxed))
			memtrim();
	}
}

/* Queue r on conn (answer_cork first; q is NULL only before the request has state) */
static enum MHD_Result send_resp(struct httpd *h, struct MHD_Connection *conn, struct req *q,
				 struct httpd_response *r, bool close, bool head)
{
	struct MHD_Response *resp;
	enum MHD_Result ok;

	if (r->body == NULL) {
		r->body = strdup("");
		r->len = 0;
		if (r->body == NULL)
			return MHD_NO;
	}
	resp = MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(r->body);
		return MHD_NO;
	}
	r->body = NULL;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type ? r->content_type : "text/plain");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (close)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	answer_cork(h, conn, q, r->len, head);
	ok = MHD_queue_response(conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ok;
}

static void simple(struct httpd_response *r, int status, const char *msg)
{
	r->status = status;
	r->content_type = "text/plain";
	r->body = strdup(msg);
	r->len = r->body ? strlen(r->body) : 0;
}

/* With --client-ca: the peer's certificate chains to it (and has the CN asked for). */
static int client_check(struct httpd *h, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	gnutls_session_t s;
	const gnutls_datum_t *peers;
	unsigned npeers = 0, status = 0;

	if (h->c.client_ca_file == NULL)
		return 0;
	if (ci == NULL || ci->tls_session == NULL)
		return 401;
	s = (gnutls_session_t)ci->tls_session;
	peers = gnutls_certificate_get_peers(s, &npeers);
	if (peers == NULL || npeers == 0)
		return 401;
	if (gnutls_certificate_verify_peers2(s, &status) < 0 || status != 0)
		return 403;
	if (h->c.client_cn != NULL) {
		gnutls_x509_crt_t crt;
		char cn[256];
		size_t cnlen = sizeof(cn);
		int ok = 0;

		if (gnutls_x509_crt_init(&crt) < 0)
			return 403;
		if (gnutls_x509_crt_import(crt, &peers[0], GNUTLS_X509_FMT_DER) >= 0 &&
		    gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn, &cnlen) >= 0)
			ok = strcmp(cn, h->c.client_cn) == 0;
		gnutls_x509_crt_deinit(crt);
		if (!ok)
			return 403;
	}
	return 0;
}

static char *dup_opt(const char *s)
{
	return s ? strdup(s) : NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct httpd *h = cls;
	struct req *q = *con_cls;
	struct httpd_request hr = { .method = method, .path = url };
	struct httpd_response resp = { 0 };
	bool head = strcmp(method, "HEAD") == 0;  /* libmicrohttpd sends no body: answer_cork */

	(void)version;
	if (q == NULL) {
		const char *cl;
		int cs;

		q = calloc(1, sizeof(*q));
		if (q == NULL)
			return MHD_NO;
		*con_cls = q;
		atomic_fetch_add(&h->in_flight, 1);
		clock_gettime(CLOCK_MONOTONIC, &q->start);
		q->content_type = dup_opt(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE));
		q->timeout = dup_opt(MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "timeout"));
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		q->content_length = HTTPD_LENGTH_UNKNOWN;
		if (cl != NULL) {
			char *end;
			unsigned long long v = strtoull(cl, &end, 10);

			if (end != cl && *end == '\0')
				q->content_length = v;
		}
		if ((cs = client_check(h, conn)) != 0) {
			simple(&resp, cs, cs == 401 ? "a client certificate is required\n"
						    : "client certificate not accepted\n");
			q->answered = true;
			return send_resp(h, conn, q, &resp, true, head);
		}
		hr.content_type = q->content_type;
		hr.timeout = q->timeout;
		hr.content_length = q->content_length;
		h->c.precheck(h->c.ud, &hr, &resp);
		if (resp.status == 0 && q->content_length != HTTPD_LENGTH_UNKNOWN && q->content_length > h->c.body_max) {
			char msg[128];

			snprintf(msg, sizeof(msg), "request body of %llu bytes is over the %zu-byte limit\n",
				 q->content_length, h->c.body_max);
			simple(&resp, 413, msg);
		}
		if (resp.status != 0) {
			q->answered = true;
			return send_resp(h, conn, q, &resp, true, head);
		}
		return MHD_YES;
	}
	if (q->answered) {
		*upload_data_size = 0; /* discard whatever still arrives */
		return MHD_YES;
	}
	if (h->c.request_timeout_s && since(&q->start) > h->c.request_timeout_s) {
		logf_(h, "warning", "request to %s dropped: not complete after %u s", url, h->c.request_timeout_s);
		return MHD_NO;
	}
	if (*upload_data_size != 0) {
		size_t n = *upload_data_size;

		if (q->len + n > h->c.body_max) {
			char msg[128];

			snprintf(msg, sizeof(msg), "request body is over the %zu-byte limit\n", h->c.body_max);
			simple(&resp, 413, msg);
			q->answered = true;
			*upload_data_size = 0;
			/* MHD refuses a response in the middle of a body: then close */
			return send_resp(h, conn, q, &resp, true, head) == MHD_YES ? MHD_YES : MHD_NO;
		}
		if (q->len + n + 1 > q->cap) {
			size_t ncap = q->cap ? q->cap : 16384;
			char *nb;

			while (ncap < q->len + n + 1)
				ncap *= 2;
			if (ncap > h->c.body_max + 1)
				ncap = h->c.body_max + 1;
			nb = realloc(q->body, ncap);
			if (nb == NULL)
				return MHD_NO;
			q->body = nb;
			q->cap = ncap;
		}
		memcpy(q->body + q->len, upload_data, n);
		q->len += n;
		q->body[q->len] = '\0';
		*upload_data_size = 0;
		return MHD_YES;
	}
	hr.content_type = q->content_type;
	hr.timeout = q->timeout;
	hr.content_length = q->content_length;
	hr.body = q->body ? q->body : "";
	hr.body_len = q->len;
	h->c.handle(h->c.ud, &hr, &resp);
	if (resp.status == 0)
		simple(&resp, 500, "no answer\n");
	q->answered = true;
	return send_resp(h, conn, q, &resp, false, head);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct httpd *h = cls;
	struct req *q = *con_cls;

	(void)conn;
	if (q == NULL)
		return;
	answer_flush(h, q, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
	free(q->body);
	free(q->content_type);
	free(q->timeout);
	free(q);
	*con_cls = NULL;
	atomic_fetch_sub(&h->in_flight, 1);
}

static __attribute__((format(printf, 2, 0))) void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct httpd *h = cls;
	char msg[512];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	if (h->c.log)
		h->c.log(h->c.ud, "debug", msg);
}

/* ---- lifecycle ---- */

static int parse_listen(const char *s, struct sockaddr_storage *ret, bool *v6, struct err *err)
{
	char host[128];
	const char *colon, *port_s;
	char *end;
	unsigned long port;

	memset(ret, 0, sizeof(*ret));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL || close[1] != ':' || (size_t)(close - s - 1) >= sizeof(host))
			return err_set(err, ERR_INVALID, "--listen %s: expected [IPv6]:PORT", s);
		memcpy(host, s + 1, (size_t)(close - s - 1));
		host[close - s - 1] = '\0';
		port_s = close + 2;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || (size_t)(colon - s) >= sizeof(host))
			return err_set(err, ERR_INVALID, "--listen %s: expected ADDR:PORT", s);
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
		port_s = colon + 1;
	}
	port = strtoul(port_s, &end, 10);
	if (end == port_s || *end != '\0' || port > 65535)
		return err_set(err, ERR_INVALID, "--listen %s: bad port", s);
	if (host[0] == '\0' || strcmp(host, "0.0.0.0") == 0) {
		struct sockaddr_in *a = (struct sockaddr_in *)ret;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		a->sin_addr.s_addr = htonl(INADDR_ANY);
		*v6 = false;
		return 0;
	}
	if (strchr(host, ':') != NULL) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ret;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			return err_set(err, ERR_INVALID, "--listen %s: %s is not an IPv6 address", s, host);
		*v6 = true;
		return 0;
	}
	{
		struct sockaddr_in *a = (struct sockaddr_in *)ret;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return err_set(err, ERR_INVALID, "--listen %s: %s is not an IP address (give an address, not a name)",
				       s, host);
		*v6 = false;
	}
	return 0;
}

int httpd_start(const struct httpd_config *c, struct httpd **ret, struct err *err)
{
	struct httpd *h;
	struct sockaddr_storage sa;
	bool v6 = false;
	char why[512];
	unsigned flags;
	const union MHD_DaemonInfo *di;
	int rc;

	*ret = NULL;
	if (g_server != NULL)
		return err_set(err, ERR_INTERNAL, "one HTTPS server per process");
	if ((rc = parse_listen(c->listen, &sa, &v6, err)) != 0)
		return rc;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return err_set(err, ERR_NOMEM, "out of memory");
	h->c = *c;
	if (h->c.threads == 0) {
		/* the CPUs this process may run on (a cpuset or taskset narrows them), not
		 * every CPU the machine has */
		cpu_set_t cpus;
		long n = sched_getaffinity(0, sizeof(cpus), &cpus) == 0 ? CPU_COUNT(&cpus) : sysconf(_SC_NPROCESSORS_ONLN);

		h->c.threads = n > 0 ? (unsigned)n : 1;
	}
	pthread_mutex_init(&h->lock, NULL);
	pthread_mutex_init(&h->stop_lock, NULL);
	pthread_cond_init(&h->stop_cond, NULL);
	{
		/* one byte per descriptor this process may open (answer_flush); the pages of
		 * descriptors never used are never touched */
		struct rlimit rl;

		h->nsock = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < SOCK_FDS_MAX ? rl.rlim_cur : SOCK_FDS_MAX;
		h->sock = calloc(h->nsock, sizeof(*h->sock));
		if (h->sock == NULL) {
			h->nsock = 0;
			rc = err_set(err, ERR_NOMEM, "out of memory");
			goto fail;
		}
	}
	file_sig(c->cert_file, &h->sig_cert);
	file_sig(c->key_file, &h->sig_key);
	h->cur = pair_load(c->cert_file, c->key_file, why, sizeof(why));
	if (h->cur == NULL) {
		rc = err_set(err, ERR_IO, "serving certificate: %s", why);
		goto fail;
	}
	if (c->client_ca_file != NULL) {
		gnutls_datum_t ca;

		if (read_file(c->client_ca_file, &ca, why, sizeof(why)) != 0) {
			rc = err_set(err, ERR_IO, "--client-ca: %s", why);
			goto fail;
		}
		h->trust_pem = (char *)ca.data;
	}
	g_server = h;
	flags = MHD_USE_TLS | MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	if (v6)
		flags |= MHD_USE_IPv6;
	{
		struct MHD_OptionItem opts[] = {
			{ MHD_OPTION_SOCK_ADDR, 0, &sa },
			{ MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)TLS_PRIORITIES },
			{ MHD_OPTION_THREAD_POOL_SIZE, h->c.threads, NULL },
			{ MHD_OPTION_CONNECTION_LIMIT, h->c.conn_limit, NULL },
			{ MHD_OPTION_CONNECTION_TIMEOUT, h->c.idle_timeout_s, NULL },
			{ MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL },
			{ h->trust_pem ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, 0, h->trust_pem },
			{ MHD_OPTION_END, 0, NULL },
		};

		gnutls_certificate_retrieve_function2 *retrieve = cert_retrieve;
		MHD_RequestCompletedCallback completed = on_completed;
		MHD_NotifyConnectionCallback connection = on_connection;
		MHD_LogCallback logger = mhd_log;

		h->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h, MHD_OPTION_HTTPS_CERT_CALLBACK, retrieve,
					MHD_OPTION_NOTIFY_COMPLETED, completed, h, MHD_OPTION_NOTIFY_CONNECTION, connection, h,
					MHD_OPTION_EXTERNAL_LOGGER, logger, h,
					MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	}
	if (h->d == NULL) {
		rc = err_set(err, ERR_IO, "cannot listen on %s (address in use, or not allowed?)", c->listen);
		goto fail;
	}
	di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	h->port = di ? di->port : 0;
	if (h->c.reload_ms > 0) {
		if (pthread_create(&h->reloader, NULL, reloader_main, h) != 0) {
			rc = err_set(err, ERR_INTERNAL, "cannot start the certificate reloader thread");
			goto fail;
		}
		h->reloader_started = true;
	}
	*ret = h;
	return 0;
fail:
	httpd_stop(h);
	return rc;
}

unsigned httpd_port(const struct httpd *h)
{
	return h->port;
}

unsigned httpd_threads(const struct httpd *h)
{
	return h->c.threads;
}

void httpd_quiesce(struct httpd *h)
{
	MHD_socket fd;

	if (h->d == NULL)
		return;
	fd = MHD_quiesce_daemon(h->d);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
}

unsigned httpd_in_flight(const struct httpd *h)
{
	return atomic_load(&h->in_flight);
}

unsigned httpd_connections(const struct httpd *h)
{
	const union MHD_DaemonInfo *di;

	if (h->d == NULL)
		return 0;
	di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
	return di ? di->num_connections : 0;
}

long long httpd_cert_not_after(struct httpd *h)
{
	long long t;

	pthread_mutex_lock(&h->lock);
	t = h->cur ? h->cur->not_after : 0;
	pthread_mutex_unlock(&h->lock);
	return t;
}

void httpd_cert_reloads(struct httpd *h, unsigned long *ret_ok, unsigned long *ret_failed)
{
	*ret_ok = atomic_load(&h->reloads_ok);
	*ret_failed = atomic_load(&h->reloads_failed);
}

void httpd_stop(struct httpd *h)
{
	if (h == NULL)
		return;
	if (h->reloader_started) {
		pthread_mutex_lock(&h->stop_lock);
		h->stopping = true;
		pthread_cond_signal(&h->stop_cond);
		pthread_mutex_unlock(&h->stop_lock);
		pthread_join(h->reloader, NULL);
	}
	if (h->d)
		MHD_stop_daemon(h->d);
	if (g_server == h)
		g_server = NULL;
	pair_free(h->cur);
	while (h->retired) {
		struct pair *next = h->retired->next_retired;

		pair_free(h->retired);
		h->retired = next;
	}
	free(h->trust_pem);
	free(h->sock);
	pthread_mutex_destroy(&h->lock);
	pthread_mutex_destroy(&h->stop_lock);
	pthread_cond_destroy(&h->stop_cond);
	free(h);
}
